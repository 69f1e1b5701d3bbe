from django.db import migrations

from common.beat import periodic_task_operation


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        periodic_task_operation(
            name="Purge expired idempotency keys", task="common.idempotency_keys_purge", every=1, period="hours"
        )
    ]
