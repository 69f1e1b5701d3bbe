"""Helpers for tests that run real threads or processes (Celery workers) against the test database."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

ROOT = Path(__file__).resolve().parent.parent

# Processes a test starts (live servers) listen on ports of LIVE_SERVER_PORTS, a range split evenly between the
# pytest-xdist workers, so parallel workers never race for one port (and runs sharing a machine can each keep to a
# range of their own).


def worker_ports() -> range:
    """This worker's share of LIVE_SERVER_PORTS (default 18700-18799)."""
    first, _, last = os.environ.get("LIVE_SERVER_PORTS", "18700-18799").partition("-")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    share = (int(last or first) - int(first) + 1) // workers
    if share < 1:
        raise RuntimeError(f"LIVE_SERVER_PORTS={first}-{last} has fewer ports than the {workers} test workers")
    start = int(first) + share * settings.TEST_WORKER_INDEX
    return range(start, start + share)


_port_offsets = itertools.count()


def worker_port() -> int:
    """A free port of this worker's share (each call moves on, so a port just released is not reused at once)."""
    ports = worker_ports()
    for _ in ports:
        port = ports[next(_port_offsets) % len(ports)]
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1} (LIVE_SERVER_PORTS)")


def current_database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(mail_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": current_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "OUTBOX_DELIVER_ON_COMMIT": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        **extra,
    }


@contextmanager
def celery_worker(mail_dir: Path, **extra_env: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real worker process on the `celery` and `email` queues; stopped (or killed) on exit."""
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "solo",
            "-Q",
            "celery,email",
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=worker_env(mail_dir, **extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def mails_to(mail_dir: Path, recipient: str) -> list[str]:
    if not mail_dir.exists():
        return []
    return [text for path in sorted(mail_dir.glob("*.log")) if f"To: {recipient}" in (text := path.read_text())]


def wait_for_mail(mail_dir: Path, recipient: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := mails_to(mail_dir, recipient):
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no e-mail to {recipient} within {timeout}s")


def bearer(user: Any) -> str:
    return f"Bearer {RefreshToken.for_user(user).access_token}"


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=bearer(user))
    return client


def connect_with_retry(*, timeout: float = 60.0) -> None:
    """Open this thread's connection, waiting while a shared server is at ``max_connections``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection.ensure_connection()
            return
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def run_concurrently(count: int, work: Callable[[int], Any], *, reraise: bool = False) -> list[Any]:
    """Start ``count`` threads together and return each one's result, or the exception it raised.

    Every thread connects first, then all wait on a barrier, so the work really overlaps. With ``reraise``
    the first exception is raised instead of returned. A thread still running after two minutes fails
    the test (a lock wait that never ended).
    """
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(index: int) -> None:
        try:
            try:
                connect_with_retry()
            except Exception:
                barrier.abort()
                raise
            barrier.wait(timeout=60)
            results[index] = work(index)
        except Exception as exc:  # surfaced to the caller, which asserts on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung (lock wait that never ended?)"
    if reraise:
        for result in results:
            if isinstance(result, Exception):
                raise result
    return results


def wait_for(condition: Callable[[], bool], *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)
