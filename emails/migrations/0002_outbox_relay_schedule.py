from django.db import migrations

from core.beat import periodic_task_operation


class Migration(migrations.Migration):
    dependencies = [
        ("emails", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    # Same name as before the model moved here: on an existing database this points the row at the new task.
    operations = [
        periodic_task_operation(
            name="Relay the e-mail outbox", task="emails.outbox_relay", every=5, period="seconds", expire_seconds=30
        )
    ]
