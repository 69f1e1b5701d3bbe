"""Database helpers: the row lock every service takes the same way, and reads from code on the event loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import connections
from django.db.models import Model, QuerySet

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=Model)


def lock_one(queryset: QuerySet[M]) -> M | None:
    """The first row of ``queryset`` locked ``FOR UPDATE`` (its own table only, not the joined ones), or ``None``.

    Must run inside a transaction; the lock is held until it ends.
    """
    return queryset.select_for_update(of=("self",)).first()


def _release_pooled_connection() -> None:
    """Give this request's pooled connections (primary and replicas) back now rather than when the request finishes.

    Django returns it on ``request_finished``, after the response has gone through every middleware
    and out to the client; under load that holds it for many event-loop turns, and requests queue for
    the pool. Only outside a transaction (closing inside one would doom it) and only with the pool
    (closing a persistent connection would just cost the next query a new one).
    """
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and not conn.in_atomic_block and getattr(conn, "pool", None) is not None:
            conn.close()


async def read_on_thread(function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a sync read (ORM queries) from async code: one hop to the request's thread, connection released."""

    def run() -> R:
        try:
            return function(*args, **kwargs)
        finally:
            _release_pooled_connection()

    return await sync_to_async(run)()
