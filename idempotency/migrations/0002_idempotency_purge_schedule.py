from django.db import migrations

from core.beat import periodic_task_operation


class Migration(migrations.Migration):
    dependencies = [
        ("idempotency", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    # Same name as before the model moved here: on an existing database this points the row at the new task.
    operations = [
        periodic_task_operation(
            name="Purge expired idempotency keys", task="idempotency.idempotency_keys_purge", every=1, period="hours"
        )
    ]
