import os

from celery import Celery
from celery.signals import worker_init, worker_process_shutdown, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Request ids carried into tasks and bound to their log lines, and task metrics (imported for their signal handlers).
import core.task_context  # noqa: E402
import core.task_metrics  # noqa: E402,F401


@worker_init.connect(weak=False)
def _observability(**kwargs: object) -> None:
    """Traces and error reports of the worker when their endpoints are set (before the pool forks: each child
    inherits the instrumentation, and the exporters restart their threads after the fork)."""
    from config.observability import configure

    configure("worker")


@worker_ready.connect(weak=False)
def _serve_metrics(**kwargs: object) -> None:
    """CELERY_METRICS_PORT set: the worker answers Prometheus scrapes there (its tasks' metrics, every child's)."""
    port = os.environ.get("CELERY_METRICS_PORT")
    if port:
        from core.metrics import serve

        serve(int(port))


@worker_process_shutdown.connect(weak=False)
def _child_exited(pid: int | None = None, **kwargs: object) -> None:
    from core.metrics import process_exited

    process_exited(pid or os.getpid())
