"""gunicorn settings for the ASGI app (uvicorn workers); every value is overridable by environment."""

import os
import tempfile
from pathlib import Path
from typing import Any

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Two workers per core (docs/server.md, bench/results/sizing.md). Under ASGI a worker does not run its sync views on
# one thread: Django's handler gives every request a thread of its own, so a worker runs as many sync views at once
# as arrive (12 payments of 0.5 s on 2 workers finish in about 1 s, not 3). What bounds them is the worker's
# connection pool (DATABASE_POOL_MAX_SIZE, 10): a sync view holds its connection until it answers, a slow provider
# call included, and the worker's other database requests queue for the pool meanwhile. Each worker is one process
# with one GIL and one event loop, so a second per core keeps a core busy while the other waits; more only adds
# memory and connections (workers x pool size must stay under PostgreSQL's max_connections, Celery included).
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1))))
# Ours: no `Server:` header naming the software.
worker_class = "config.workers.UvicornWorker"
# A worker whose event loop stops answering (its heartbeat, every timeout / 2) is killed and replaced after this
# many seconds (tests/server/test_gunicorn.py); a sync view running in its thread does not stop the heartbeat.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = 100
# gunicorn/uvicorn would otherwise rewrite the client address from X-Forwarded-For for requests from 127.0.0.1.
# The application decides whom to believe (TRUSTED_PROXIES, api/client_ip.py), so the server believes nobody and
# REMOTE_ADDR stays the address of the TCP peer.
forwarded_allow_ips = ""

# Prometheus multi-process mode (core/metrics.py): every worker writes its metrics to files in one directory and a
# scrape answered by any worker reads them all. Default: one directory per port, so two servers on one machine never
# mix their figures.
METRICS_DIR_DEFAULT = str(Path(tempfile.gettempdir()) / f"shop-metrics-{bind.rpartition(':')[2]}")


def on_starting(server: Any) -> None:
    """The master starts, before any worker imports prometheus_client: the workers inherit the directory, and the
    files of an earlier run are removed (their counters would add to this run's)."""
    directory = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", METRICS_DIR_DEFAULT)
    from core.metrics import prepare_directory  # after the variable: prometheus_client reads it on import

    prepare_directory(directory)


def child_exit(server: Any, worker: Any) -> None:
    """A worker exited: its live gauges (requests in flight) leave the sums; its counters still count."""
    from core.metrics import process_exited

    process_exited(worker.pid)
