"""Prometheus metrics: the one module that knows about multi-process mode.

Every app defines its own metrics with ``prometheus_client`` next to the code that owns the event (HTTP metrics in
:mod:`api.metrics`, domain counters in each app's ``metrics.py``). A process serving several workers (gunicorn with
uvicorn workers, a prefork Celery worker) sets ``PROMETHEUS_MULTIPROC_DIR`` before ``prometheus_client`` is first
imported; every process then writes its values to its own files in that directory, and a scrape answered by any
one worker adds up the files of all of them (:func:`exposition`). Without the variable (tests, ``runserver``) the
values live in the process and the default registry answers.

Values that are read, not counted (outbox rows by state, low-stock products…) are computed when a scrape asks for
them, by collectors registered with :func:`register_scrape_collector`.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Protocol

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess, start_http_server
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric

__all__ = [
    "CONTENT_TYPE_LATEST",
    "exposition",
    "metric_names",
    "multiprocess_dir",
    "prepare_directory",
    "process_exited",
    "register_scrape_collector",
]


class Collector(Protocol):
    def collect(self) -> Iterable[Metric]: ...


_scrape_collectors: list[Collector] = []


def multiprocess_dir() -> str | None:
    """The shared directory of multi-process mode, or None when this process keeps its values to itself."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def register_scrape_collector(collector: Collector) -> None:
    """Adds ``collector`` to every scrape (computed by the process that answers it, once per scrape)."""
    if collector not in _scrape_collectors:
        _scrape_collectors.append(collector)


def exposition() -> bytes:
    """Every metric of every process sharing the directory (or of this process), in the text format."""
    directory = multiprocess_dir()
    if directory is None:
        registry = REGISTRY
        output = generate_latest(registry)
        extra = CollectorRegistry(auto_describe=False)
    else:
        extra = CollectorRegistry(auto_describe=False)
        multiprocess.MultiProcessCollector(extra, path=directory)
        output = b""
    for collector in _scrape_collectors:
        extra.register(collector)
    return output + generate_latest(extra)


# The samples prometheus-client writes for a family of each type (``_created`` only outside multi-process mode).
_SAMPLE_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
    "stateset": ("",),
    "unknown": ("",),
}


def metrics_modules() -> list[ModuleType]:
    """Every metrics module of the project's apps (``<app>/metrics.py`` and ``<app>/*_metrics.py``), imported: the
    metrics they define exist from then on, whichever code paths this process has run."""
    from django.apps import apps
    from django.conf import settings

    root = Path(settings.BASE_DIR).resolve()
    modules = []
    for config in apps.get_app_configs():
        if Path(config.path).resolve().parent != root:
            continue  # a library's app
        for found in pkgutil.iter_modules([config.path]):
            if found.name == "metrics" or found.name.endswith("_metrics"):
                modules.append(importlib.import_module(f"{config.name}.{found.name}"))
    return modules


def metric_names() -> frozenset[str]:
    """Every sample name a scrape of the project can show (``http_requests_total``,
    ``http_request_duration_seconds_bucket``, ``outbox_messages``…): the metrics defined in every app's metrics
    module, with the suffixes prometheus-client writes for their type, and the families of the scrape collectors
    (computed once for the purpose: they read the database and the broker)."""
    families: list[Metric] = []
    for module in metrics_modules():
        for value in vars(module).values():
            if isinstance(value, MetricWrapperBase):
                families.extend(value.describe())
    for collector in _scrape_collectors:
        families.extend(collector.collect())
    return frozenset(family.name + suffix for family in families for suffix in _SAMPLE_SUFFIXES[family.type])


def expire_scrape_collectors() -> None:
    """The next scrape computes every cached figure afresh (tests; an operator's shell)."""
    for collector in _scrape_collectors:
        if isinstance(collector, CachedGauges):
            collector.expire()


def serve(port: int, addr: str = "0.0.0.0") -> None:  # noqa: S104 - a worker container's own port, not published
    """Answers scrapes on ``port`` from a thread of this process (a Celery worker, which has no web server); every
    process sharing the multi-process directory (the pool's children) is counted."""
    registry = REGISTRY
    directory = multiprocess_dir()
    if directory is not None:
        registry = CollectorRegistry(auto_describe=False)
        multiprocess.MultiProcessCollector(registry, path=directory)
    start_http_server(port, addr=addr, registry=registry)


def prepare_directory(path: str) -> None:
    """Creates the multi-process directory and removes the files of an earlier run (a server starting)."""
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def process_exited(pid: int) -> None:
    """Drops the live gauges of a worker that exited (its counters stay: they still count)."""
    directory = multiprocess_dir()
    if directory is not None:
        multiprocess.mark_process_dead(pid, directory)


class CachedGauges(ABC):
    """A scrape collector whose figures cost a query: computed at most once per ``ttl`` seconds in this process,
    so scrapes (every worker, every Prometheus) never turn into a query each."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._computed_at = float("-inf")
        self._metrics: list[Metric] = []

    @abstractmethod
    def compute(self) -> list[Metric]:
        """The figures, from the queries they cost."""

    def collect(self) -> Iterable[Metric]:
        now = time.monotonic()
        if now - self._computed_at >= self.ttl:
            self._metrics = self.compute()
            self._computed_at = now
        return list(self._metrics)

    def expire(self) -> None:
        self._computed_at = float("-inf")
