"""Thread helpers for concurrency tests: each thread has its own database connection."""

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import OperationalError, connection
from rest_framework.test import APIClient

from tests.conftest import bearer


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


def run_concurrently(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Start ``count`` threads together and return each one's result or exception.

    Every thread connects first, then all wait on a barrier, so the requests really overlap.
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
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # surfaced by the assertions on results
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=bearer(user))
    return client


def wait_for(condition: Callable[[], bool], *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)
