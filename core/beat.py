"""Periodic tasks are created by migrations, never by hand in the admin: one function builds that operation."""

from typing import Any

from django.db import migrations


def periodic_task_operation(
    *, name: str, task: str, every: int, period: str, expire_seconds: int | None = None
) -> migrations.RunPython:
    """A reversible migration operation that installs (or removes) one django-celery-beat interval task."""

    def create(apps: Any, schema_editor: Any) -> None:
        interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
        task_model = apps.get_model("django_celery_beat", "PeriodicTask")
        interval, _ = interval_model.objects.get_or_create(every=every, period=period)
        task_model.objects.update_or_create(
            name=name,
            defaults={"task": task, "interval": interval, "enabled": True, "expire_seconds": expire_seconds},
        )

    def delete(apps: Any, schema_editor: Any) -> None:
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()

    return migrations.RunPython(create, delete)
