import importlib

import pytest
from django.apps import apps
from django_celery_beat.models import PeriodicTask


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("migration", "task", "every", "period"),
    [
        ("orders.migrations.0002_order_expiry_schedule", "orders.order_expire_overdue", 1, "minutes"),
        ("idempotency.migrations.0002_idempotency_purge_schedule", "idempotency.idempotency_keys_purge", 1, "hours"),
        ("emails.migrations.0002_outbox_relay_schedule", "emails.outbox_relay", 5, "seconds"),
    ],
)
def test_schedules_come_from_migrations(migration: str, task: str, every: int, period: str) -> None:
    """Each schedule exists after migrate; re-running its migration (as after a flush) is harmless."""
    operation = importlib.import_module(migration).Migration.operations[0]
    operation.code(apps, None)
    operation.code(apps, None)
    scheduled = PeriodicTask.objects.get(task=task)
    assert scheduled.enabled
    assert scheduled.interval is not None
    assert (scheduled.interval.every, scheduled.interval.period) == (every, period)
    operation.reverse_code(apps, None)
    assert not PeriodicTask.objects.filter(task=task).exists()
