"""Read replicas: the database router, the one way a read opts in, read-your-writes and the lag guard.

``DATABASE_REPLICA_URLS`` adds the aliases ``replica_0``… (settings). Every query goes to ``default`` (the primary)
unless it runs inside :func:`replica_reads` / :func:`replica_read` / :func:`replica_call` (read-only selectors opt
in that way) and all of these hold:

- no transaction is open on the primary (``atomic`` blocks always read what they are about to write);
- the client is not marked as a recent writer (read-your-writes: :func:`mark_recent_writer`, answered by
  ``api.read_your_writes``; a Redis error counts as "marked");
- a replica passes the lag guard: checked at most every ``REPLICA_CHECK_SECONDS`` per process, it answers (short
  connect timeout) and is at most ``REPLICA_MAX_LAG_SECONDS`` behind. Lag is 0 when the replica has replayed the
  primary's current WAL position (an idle primary never looks lagged); else the time since the latest earlier
  check's primary position it has replayed, or, before there is one, the age of the last transaction it replayed;
- when the caller names a WAL position (``min_lsn``, the catalog cache's guard), the replica has replayed at least
  that far (asked again when the last check is not enough).

One opted-in block reads from one database. A replica that fails during the block is marked down and the block is
run again on the primary (:func:`replica_read`, :func:`replica_call`), so no request fails because a replica did.

The lag guard is written here rather than taken from a library: django's router API has no notion of replica
health, and the libraries that add one (django-replicated, django-multidb-router) measure nothing of replay.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar, cast

import redis
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Model

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA_PREFIX = "replica_"
WRITER_KEY_PREFIX = "ryw"

P = ParamSpec("P")
R = TypeVar("R")


# --- The opt-in ---------------------------------------------------------------------------------------------


@dataclass
class _Policy:
    """One opted-in block: the WAL position it needs (None: any healthy replica) and the database it settled on."""

    min_lsn: int | None = None
    primary_only: bool = False
    chosen: str | None = None


_policy: ContextVar[_Policy | None] = ContextVar("replica_policy", default=None)


@contextmanager
def replica_reads(*, min_lsn: int | None = None, primary_only: bool = False) -> Iterator[_Policy]:
    """The block's reads may go to a replica (nested blocks keep the outer block's choice)."""
    current = _policy.get()
    if current is not None:
        yield current
        return
    policy = _Policy(min_lsn=min_lsn, primary_only=primary_only)
    token = _policy.set(policy)
    try:
        yield policy
    finally:
        _policy.reset(token)


def _failed_on_replica(policy: _Policy, exc: BaseException) -> bool:
    alias = policy.chosen
    if alias is None or alias == PRIMARY:
        return False
    logger.warning("Replica %s failed during a read (%s); reading from the primary.", alias, exc)
    monitor.mark_down(alias)
    connections[alias].close_if_unusable_or_obsolete()
    return True


def replica_call(function: Callable[[], R], *, min_lsn: int | None = None) -> R:
    """``function()`` with its reads on a replica, run again on the primary if the replica fails meanwhile."""
    if _policy.get() is not None:
        return function()
    with replica_reads(min_lsn=min_lsn) as policy:
        try:
            return function()
        except DatabaseError as exc:
            if not _failed_on_replica(policy, exc):
                raise
    with replica_reads(primary_only=True):
        return function()


async def areplica_call(function: Callable[[], Awaitable[R]], *, min_lsn: int | None = None) -> R:
    """:func:`replica_call` for a coroutine (the async ORM carries the choice into its threads)."""
    if _policy.get() is not None:
        return await function()
    with replica_reads(min_lsn=min_lsn) as policy:
        try:
            return await function()
        except DatabaseError as exc:
            if not _failed_on_replica(policy, exc):
                raise
    with replica_reads(primary_only=True):
        return await function()


def replica_read(function: Callable[P, R]) -> Callable[P, R]:
    """Decorator of a read-only selector (sync or async): its queries may use a replica (see the module)."""
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
            return await areplica_call(lambda: function(*args, **kwargs))

        return cast(Callable[P, R], async_wrapper)

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return replica_call(lambda: function(*args, **kwargs))

    return wrapper


# --- Read-your-writes ---------------------------------------------------------------------------------------


@dataclass
class _Client:
    """Who the current request is, asked lazily (the user is known only once DRF has authenticated)."""

    identities: Callable[[], tuple[str, ...]]
    decided: dict[tuple[str, ...], bool] = field(default_factory=dict)


_client: ContextVar[_Client | None] = ContextVar("replica_client", default=None)


@contextmanager
def client_context(identities: Callable[[], tuple[str, ...]]) -> Iterator[None]:
    """The current request's client identities (``user:<id>``, ``cart:<token>``) for read-your-writes."""
    token = _client.set(_Client(identities))
    try:
        yield
    finally:
        _client.reset(token)


def writer_key(identity: str) -> str:
    return f"{WRITER_KEY_PREFIX}:{identity}"


def _redis() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def mark_recent_writer(identities: tuple[str, ...] | list[str]) -> None:
    """The client just wrote: its reads go to the primary for ``READ_YOUR_WRITES_SECONDS`` (sync)."""
    if not identities or not replica_aliases():
        return
    try:
        pipe = _redis().pipeline(transaction=False)
        for identity in identities:
            pipe.set(writer_key(identity), b"1", ex=settings.READ_YOUR_WRITES_SECONDS)
        pipe.execute()
    except (redis.RedisError, OSError) as exc:
        logger.warning("Could not mark %s as a recent writer (%s).", identities, exc)


def _client_is_recent_writer() -> bool:
    client = _client.get()
    if client is None:
        return False
    identities = client.identities()
    if not identities:
        return False
    if identities not in client.decided:
        try:
            marked = bool(_redis().exists(*(writer_key(i) for i in identities)))
        except (redis.RedisError, OSError):
            marked = True  # unknown: the primary is always right
        client.decided[identities] = marked
    return client.decided[identities]


# --- The lag guard ------------------------------------------------------------------------------------------


@dataclass
class Health:
    """What the last check of a replica found."""

    usable: bool = False
    checked_at: float = float("-inf")
    replay_lsn: int = 0
    lag_seconds: float | None = None


def _lsn_query(alias: str, sql: str) -> tuple[Any, ...]:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    assert row is not None
    return tuple(row)


def primary_wal_position() -> int:
    """The primary's current WAL insert position in bytes (covers every transaction committed before the call)."""
    return int(_lsn_query(PRIMARY, "SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")[0])


class ReplicaMonitor:
    """Per-process health of each replica, checked at most every ``REPLICA_CHECK_SECONDS``."""

    SAMPLES = 16

    def __init__(self) -> None:
        self._health: dict[str, Health] = {}
        self._lock = threading.Lock()
        self._checking: set[str] = set()
        # The primary's WAL position at recent checks, (monotonic time, position), oldest first.
        self._primary_samples: deque[tuple[float, int]] = deque(maxlen=self.SAMPLES)

    def reset(self) -> None:
        with self._lock:
            self._health.clear()
            self._primary_samples.clear()

    def _lag(self, now: float, primary_lsn: int, replay_lsn: int, since_last_replay: float | None) -> float | None:
        """0 when the replica has replayed the primary's current position. Else the time since the latest earlier
        sample of the primary's position it has replayed (it had everything the primary had then); with no such
        sample, the age of the last transaction it replayed (None when it has replayed none)."""
        if replay_lsn >= primary_lsn:
            return 0.0
        with self._lock:
            passed = [at for at, position in self._primary_samples if replay_lsn >= position]
        if passed:
            return now - max(passed)
        return max(0.0, since_last_replay) if since_last_replay is not None else None

    def mark_down(self, alias: str) -> None:
        with self._lock:
            self._health[alias] = Health(usable=False, checked_at=time.monotonic())

    def health(self, alias: str) -> Health:
        with self._lock:
            current = self._health.get(alias, Health())
            due = time.monotonic() - current.checked_at >= settings.REPLICA_CHECK_SECONDS
            if not due or alias in self._checking:
                return current
            self._checking.add(alias)
        try:
            return self.check(alias)
        finally:
            with self._lock:
                self._checking.discard(alias)

    def check(self, alias: str) -> Health:
        """Measure the replica now: answering, in recovery, and its lag behind the primary."""
        try:
            (primary_lsn,) = _lsn_query(PRIMARY, "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
            in_recovery, replay_lsn, since_last_replay = _lsn_query(
                alias,
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0'::pg_lsn, "
                "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())",
            )
        except DatabaseError as exc:
            logger.warning("Replica %s does not answer (%s); reading from the primary.", alias, exc)
            connections[alias].close()
            health = Health(usable=False, checked_at=time.monotonic())
        else:
            now = time.monotonic()
            lag = (
                self._lag(
                    now,
                    int(primary_lsn),
                    int(replay_lsn),
                    float(since_last_replay) if since_last_replay is not None else None,
                )
                if in_recovery and replay_lsn is not None
                else None
            )
            with self._lock:
                self._primary_samples.append((now, int(primary_lsn)))
            health = Health(
                usable=lag is not None and lag <= settings.REPLICA_MAX_LAG_SECONDS,
                checked_at=now,
                replay_lsn=int(replay_lsn or 0),
                lag_seconds=lag,
            )
            if not health.usable:
                logger.warning(
                    "Replica %s skipped: lag %s s (limit %s s).", alias, lag, settings.REPLICA_MAX_LAG_SECONDS
                )
        with self._lock:
            self._health[alias] = health
        return health

    def replayed_at_least(self, alias: str, position: int) -> bool:
        """Whether the replica has replayed ``position`` (asks it when the last check is not enough)."""
        with self._lock:
            known = self._health.get(alias, Health()).replay_lsn
        if known >= position:
            return True
        try:
            (replay_lsn,) = _lsn_query(alias, "SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn")
        except DatabaseError:
            self.mark_down(alias)
            connections[alias].close()
            return False
        replay = int(replay_lsn or 0)
        with self._lock:
            health = self._health.get(alias)
            if health is not None and replay > health.replay_lsn:
                health.replay_lsn = replay
        return replay >= position


monitor = ReplicaMonitor()
_turn = itertools.count()


def replica_aliases() -> list[str]:
    return [alias for alias in connections.settings if alias.startswith(REPLICA_PREFIX)]


def read_alias(policy: _Policy) -> str:
    """The database an opted-in read uses now (see the module); fixed for the rest of the block once chosen."""
    if policy.chosen is not None:
        return policy.chosen
    aliases = replica_aliases()
    chosen = PRIMARY
    if (
        aliases
        and not policy.primary_only
        and not connections[PRIMARY].in_atomic_block
        and not _client_is_recent_writer()
    ):
        first = next(_turn)
        for offset in range(len(aliases)):
            alias = aliases[(first + offset) % len(aliases)]
            if not monitor.health(alias).usable:
                continue
            if policy.min_lsn is not None and not monitor.replayed_at_least(alias, policy.min_lsn):
                continue
            chosen = alias
            break
    policy.chosen = chosen
    return chosen


class ReplicaRouter:
    """Writes, migrations and every read not opted in go to the primary; opted-in reads per :func:`read_alias`."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        policy = _policy.get()
        if policy is None:
            return PRIMARY
        return read_alias(policy)

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == PRIMARY
