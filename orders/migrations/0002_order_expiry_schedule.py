from django.db import migrations

from core.beat import periodic_task_operation


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        periodic_task_operation(
            name="Expire unpaid orders", task="orders.order_expire_overdue", every=1, period="minutes"
        )
    ]
