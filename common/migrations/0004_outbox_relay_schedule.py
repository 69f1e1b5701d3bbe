from django.db import migrations

from common.beat import periodic_task_operation


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0003_outbox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        periodic_task_operation(
            name="Relay the e-mail outbox", task="common.outbox_relay", every=5, period="seconds", expire_seconds=30
        )
    ]
