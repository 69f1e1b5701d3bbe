"""Database helpers: the row lock every service takes the same way, and reads from code on the event loop."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar, cast

from asgiref.sync import sync_to_async
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model, QuerySet

P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=Model)


def lock_one(queryset: QuerySet[M]) -> M | None:
    """The first row of ``queryset`` locked ``FOR UPDATE`` (its own table only, not the joined ones), or ``None``.

    Must run inside a transaction; the lock is held until it ends.
    """
    return queryset.select_for_update(of=("self",)).first()


def _insert_sql(rows: Sequence[Model], connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
    """``INSERT INTO table (columns) VALUES (...), ...`` for unsaved instances of one model, with its parameters.

    Values are prepared as ``Model.save()`` prepares them (``pre_save`` fills ``auto_now``/``auto_now_add`` on the
    instances, ``get_db_prep_save`` adapts them); primary keys must be set in Python (``BaseModel``'s UUIDs are).
    """
    meta = rows[0]._meta
    fields = [field for field in meta.local_concrete_fields if not field.generated]
    quote = connection.ops.quote_name
    params: list[Any] = []
    for row in rows:
        params.extend(field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields)
    values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
    columns = ", ".join(quote(field.column) for field in fields)
    # Only quoted identifiers and %s markers are formatted in; every value is passed as a query parameter.
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values}", params  # noqa: S608


def _mark_saved(rows: Sequence[Model], using: str) -> None:
    for row in rows:
        row._state.adding = False
        row._state.db = using


def insert_together(*groups: Sequence[Model]) -> None:
    """Insert several tables' new rows in one statement (one round trip): each group is a list of unsaved
    instances of one model, written by a data-modifying CTE (``WITH a AS (INSERT ...), b AS (INSERT ...) INSERT
    ...``). Foreign keys between the groups are checked at the end of the statement, so a group may refer to rows
    of another. No signals are sent (like ``bulk_create``); empty groups are skipped."""
    groups = tuple(group for group in groups if group)
    if not groups:
        return
    using = router.db_for_write(type(groups[0][0]))
    connection = connections[using]
    statements, params = [], []
    for group in groups:
        sql, group_params = _insert_sql(group, connection)
        statements.append(sql)
        params.extend(group_params)
    *ctes, last = statements
    sql = (f"WITH {', '.join(f'w{i} AS ({cte})' for i, cte in enumerate(ctes))} " if ctes else "") + last
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    for group in groups:
        _mark_saved(group, using)


def insert_unless_conflict(row: Model, *, conflict_fields: Sequence[str]) -> bool:
    """Insert ``row`` unless a row with the same ``conflict_fields`` (a unique constraint's) exists: one statement,
    ``INSERT ... ON CONFLICT (...) DO NOTHING RETURNING``. True when this call inserted it."""
    using = router.db_for_write(type(row))
    connection = connections[using]
    sql, params = _insert_sql([row], connection)
    meta = row._meta
    fields = [cast(Field[Any, Any], meta.get_field(name)) for name in conflict_fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} ON CONFLICT ({columns}) DO NOTHING RETURNING 1", params)
        inserted = cursor.fetchone() is not None
    if inserted:
        _mark_saved([row], using)
    return inserted


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
