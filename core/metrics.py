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

import os
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess, start_http_server
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import Metric

__all__ = [
    "CONTENT_TYPE_LATEST",
    "exposition",
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
