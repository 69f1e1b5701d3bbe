"""Celery metrics: task runs by outcome and duration (counted in the process that runs the task), and the depth of
each queue in the broker (read by the process answering a scrape)."""

from __future__ import annotations

import sys
import time
from typing import Any
from urllib.parse import urlsplit

import redis
from celery.exceptions import Retry
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from redis.sentinel import Sentinel

from core.metrics import CachedGauges

TASKS = Counter(
    "celery_tasks", "Celery task runs, by task and outcome (succeeded, failed, retried).", ["task", "outcome"]
)
TASK_DURATION = Histogram(
    "celery_task_duration_seconds",
    "Time a Celery task ran, by task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
_OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}
_started: dict[str, float] = {}


@task_prerun.connect(weak=False)
def _task_started(task_id: str | None = None, **kwargs: Any) -> None:
    _started[str(task_id)] = time.perf_counter()


def _outcome(state: str | None) -> str:
    """``state`` is SUCCESS, FAILURE or RETRY (a task that called ``self.retry()``), or REJECTED/IGNORED.

    A task run in-process (eager: ``task_always_eager`` in tests and locally, or ``apply()``) that raises while
    errors propagate (``task_eager_propagates``) ends with no state at all: Celery re-raises the exception to the
    caller and sends ``task_postrun`` from its ``finally`` with ``state=None``. The exception in flight tells the
    outcome then: a ``Retry`` is a retry, anything else a failure, so an eager run is counted once like a worker's.
    """
    if state is not None:
        return _OUTCOMES.get(state, state.lower())
    return "retried" if isinstance(sys.exc_info()[1], Retry) else "failed"


@task_postrun.connect(weak=False)
def _task_finished(task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    started = _started.pop(str(task_id), None)
    name = str(getattr(task, "name", "unknown"))
    TASKS.labels(name, _outcome(state)).inc()
    if started is not None:
        TASK_DURATION.labels(name).observe(time.perf_counter() - started)


def task_queues() -> list[str]:
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values() if "queue" in route}
    return sorted({settings.CELERY_TASK_DEFAULT_QUEUE, *routed})


def _broker_client(url: str) -> redis.Redis:
    """A client of the Redis broker: ``redis://``, or the current master of ``sentinel://h:p/db;…`` (kombu's
    spelling, with the master set's name in the transport options)."""
    timeouts = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    if not url.startswith("sentinel://"):
        return redis.Redis.from_url(url, **timeouts)
    parts = [urlsplit(part) for part in url.split(";")]
    sentinels = [(str(part.hostname), part.port or 26379) for part in parts]
    sentinel = Sentinel(sentinels, sentinel_kwargs=timeouts, **timeouts)
    master = settings.CELERY_BROKER_TRANSPORT_OPTIONS["master_name"]
    return sentinel.master_for(master, db=int(parts[0].path.strip("/") or 0), **timeouts)


class QueueDepth(CachedGauges):
    """Messages waiting in each queue (a Redis list per queue: one LLEN each, pipelined)."""

    def compute(self) -> list[Metric]:
        depth = GaugeMetricFamily("celery_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"])
        url = str(settings.CELERY_BROKER_URL)
        if not url.startswith(("redis://", "rediss://", "sentinel://")):
            return [depth]
        queues = task_queues()
        try:
            client = _broker_client(url)
            with client.pipeline(transaction=False) as pipe:
                for queue in queues:
                    pipe.llen(queue)
                lengths = pipe.execute()
            client.close()
        except redis.RedisError:
            return [depth]  # the broker is down: /healthz says so; the series goes missing (an alert on absent())
        for queue, length in zip(queues, lengths, strict=True):
            depth.add_metric([queue], float(length))
        return [depth]
