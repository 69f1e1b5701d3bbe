"""The e-mail outbox and idempotency keys keep their tables across the move out of the former shared app.

A fresh database gets the tables from the new apps' first migrations; a database the former app already migrated
keeps its tables and rows, and its periodic tasks are pointed at the tasks' new names.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.tables import table_create_if_missing
from emails.models import OutboxMessage

pytestmark = pytest.mark.django_db

TABLES = {"emails": ("OutboxMessage", "outbox_messages"), "idempotency": ("IdempotencyKey", "idempotency_keys")}


def _tables() -> set[str]:
    return set(connection.introspection.table_names())


def _constraints(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def test_a_fresh_database_gets_both_tables_with_their_constraints() -> None:
    assert {"outbox_messages", "idempotency_keys"} <= _tables()
    assert {"outbox_state_valid", "outbox_pending_due_idx"} <= _constraints("outbox_messages")
    assert {"idempotency_keys_user_key_unique", "idempotency_keys_state_valid"} <= _constraints("idempotency_keys")


@pytest.mark.parametrize("app_label", sorted(TABLES))
def test_the_table_is_created_only_where_it_is_missing(app_label: str) -> None:
    model_name, table = TABLES[app_label]
    operation = table_create_if_missing(app_label, model_name)
    apps = MigrationLoader(connection).project_state().apps
    with connection.schema_editor() as editor:
        operation.code(apps, editor)  # present: left alone
    assert table in _tables()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)} CASCADE")
    assert table not in _tables()
    with connection.schema_editor() as editor:
        operation.code(apps, editor)
    assert table in _tables()
    assert any(name.endswith("_valid") for name in _constraints(table))


def test_a_database_migrated_by_the_former_app_keeps_its_rows_and_repoints_its_schedules() -> None:
    message = OutboxMessage.objects.create(
        idempotency_key="kept-across-the-move", payload={"to": ["a@example.com"]}, next_attempt_at=timezone.now()
    )
    # The state before the move: the tables exist, the new apps' migrations are not recorded, the schedules name the
    # former app's tasks.
    PeriodicTask.objects.filter(name="Relay the e-mail outbox").update(task="common.outbox_relay")
    PeriodicTask.objects.filter(name="Purge expired idempotency keys").update(task="common.idempotency_keys_purge")
    MigrationRecorder.Migration.objects.filter(app__in=TABLES).delete()

    call_command("migrate", verbosity=0)

    assert OutboxMessage.objects.filter(pk=message.pk).exists()
    applied = set(MigrationRecorder.Migration.objects.filter(app__in=TABLES).values_list("app", "name"))
    assert {("emails", "0001_initial"), ("idempotency", "0001_initial")} <= applied
    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    assert tasks["Relay the e-mail outbox"] == "emails.outbox_relay"
    assert tasks["Purge expired idempotency keys"] == "idempotency.idempotency_keys_purge"
    assert message.next_attempt_at - timezone.now() < timedelta(minutes=1)


def test_migrate_again_changes_nothing_and_no_model_change_is_pending() -> None:
    call_command("migrate", verbosity=0)
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
