"""Read-through cache for public catalog responses, kept in the ``default`` Redis alias.

Entries hold rendered JSON bytes, so a hit costs one Redis round trip and no serialisation.

Freshness: every key carries a generation number read *before* the database is queried. Lists share one
namespace generation, each product detail has its own; a write bumps them after commit
(:func:`generations_bump`). A response computed from data older than the bump is stored under the old
generation, which nobody reads any more, so a slow reader racing a write can never reinstall a stale price.

Replicas: a fill may read from a streaming replica only once the replica has replayed every write the generation
it stores under stands for. A bump records the primary's WAL position after commit in a key next to the
generation (``catalog:genlsn:<scope>``, only ever raised, set in the same script as the increment); a fill reads
it with the generation and hands it to :mod:`core.replicas` as the position the replica must have replayed, else
the fill reads from the primary. Without a recorded position (never written, or evicted) the primary's current
position stands in. The generation and entry keys keep their format and a hit still costs one round trip.

Stampedes: concurrent misses on one key are coalesced twice over: inside a process by a shared future,
across processes by a short Redis lock (``SET NX PX``); the others wait for the leader's entry.

Outages: the cache fails open. Any Redis error makes the caller compute the response from the database,
and the location is skipped for a moment so a dead Redis does not cost a connect attempt per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode
from uuid import UUID

import redis
import redis.asyncio as aredis
from django.conf import settings
from django.db import DatabaseError

from core.db import read_on_thread
from core.redis_clients import LuaScript, async_client, async_lean_client
from core.replicas import areplica_call, primary_wal_position, replica_aliases

logger = logging.getLogger(__name__)

KEY_PREFIX = "catalog"
LIST_NAMESPACE = "lists"
LOCK_TTL_MS = 5_000
WAIT_STEP_SECONDS = 0.02
WAIT_LIMIT_SECONDS = 2.5
OUTAGE_BACKOFF_SECONDS = 1.0

# Reads the generation (initialising it when missing, e.g. after an eviction) and the entry in one round trip; on a
# miss also the WAL position recorded with the generation (KEYS[2]), which the fill needs.
_READ_SCRIPT = LuaScript("""
local gen = redis.call('GET', KEYS[1])
if not gen then
  redis.call('SET', KEYS[1], ARGV[2], 'NX')
  gen = redis.call('GET', KEYS[1])
end
local entry = redis.call('GET', ARGV[1] .. gen)
if entry then
  return {gen, entry}
end
return {gen, false, redis.call('GET', KEYS[2])}
""")

# Bumps generations (KEYS[1..n]) after raising their recorded WAL positions (KEYS[n+1..2n]) to ARGV[1]; an empty
# ARGV[1] (the position could not be read) forgets the positions, so fills fall back to the primary's current one.
_BUMP_SCRIPT = LuaScript("""
local n = #KEYS / 2
for i = 1, n do
  if ARGV[1] == '' then
    redis.call('DEL', KEYS[n + i])
  elseif tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[n + i]) or '0') then
    redis.call('SET', KEYS[n + i], ARGV[1])
  end
  redis.call('INCR', KEYS[i])
end
return n
""")

_REDIS_ERRORS = (redis.RedisError, OSError, asyncio.TimeoutError)


@dataclass(frozen=True, slots=True)
class CachedBody:
    body: bytes
    etag: str
    hit: bool
    # The generation the body belongs to (None when Redis was not consulted): aliases must use the same one.
    generation: str | None = None


def etag_for(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _location() -> str:
    return str(settings.CACHES["default"]["LOCATION"])


def _generation_key(scope: str) -> str:
    return f"{KEY_PREFIX}:gen:{scope}"


def _position_key(scope: str) -> str:
    """Where the primary's WAL position recorded with ``scope``'s generation lives (next to it, own format)."""
    return f"{KEY_PREFIX}:genlsn:{scope}"


def product_scope(product_id: UUID | str) -> str:
    return f"product:{product_id}"


def _pack(body: bytes, etag: str) -> bytes:
    return etag.encode() + b"\n" + body


def _unpack(raw: bytes) -> tuple[bytes, str]:
    etag, _, body = raw.partition(b"\n")
    return body, etag.decode()


class _Outages:
    """Remembers, per Redis location, until when it is considered down."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def is_down(self, location: str) -> bool:
        return self._until.get(location, 0.0) > time.monotonic()

    def record(self, location: str, exc: BaseException) -> None:
        logger.warning("Catalog cache unavailable at %s (%s); serving from the database.", location, exc)
        self._until[location] = time.monotonic() + OUTAGE_BACKOFF_SECONDS

    def clear(self) -> None:
        self._until.clear()


outages = _Outages()

# In-process single flight: one computation per key and loop, the others await its result.
_inflight: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Future[tuple[bytes, str]]]] = (
    weakref.WeakKeyDictionary()
)


def _client() -> aredis.Redis:
    return async_client("default")


async def _read_full(scope: str, key: str) -> tuple[str, bytes | None, bytes | None]:
    """(generation, entry, recorded WAL position; the last only on a miss)."""
    # Every read, hit or not, is this one script: it goes through the lean client (core.redis_clients).
    reply = await _READ_SCRIPT.acall(
        async_lean_client("default"),
        keys=[_generation_key(scope), _position_key(scope)],
        args=[f"{key}:", time.time_ns()],
    )
    generation, raw = reply[0], reply[1]
    return generation.decode(), raw, reply[2] if len(reply) > 2 else None


async def _read(scope: str, key: str) -> tuple[str, bytes | None]:
    generation, raw, _ = await _read_full(scope, key)
    return generation, raw


async def _fill_position(scope: str, recorded: bytes | None) -> int | None:
    """The WAL position a replica must have replayed to fill ``scope``'s current generation (None: no replicas)."""
    if not replica_aliases():
        return None
    if recorded is not None:
        return int(recorded)
    # Nothing recorded: the primary's position now covers every write made before this generation was read.
    position = await read_on_thread(primary_wal_position)
    with contextlib.suppress(*_REDIS_ERRORS):
        await _client().set(_position_key(scope), position, nx=True)
    return position


async def _wait_for(client: aredis.Redis, full_key: str) -> bytes | None:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while time.monotonic() < deadline:
        await asyncio.sleep(WAIT_STEP_SECONDS)
        raw = await client.get(full_key)
        if isinstance(raw, bytes):
            return raw
    return None


async def _fill(full_key: str, compute: Callable[[], Awaitable[bytes]]) -> tuple[bytes, str, bool]:
    """Compute under the cross-process lock, or wait for the process that holds it. Returns (body, etag, hit)."""
    client = _client()
    lock_key = f"{full_key}:lock"
    if await client.set(lock_key, b"1", nx=True, px=LOCK_TTL_MS):
        try:
            # A leader may have filled the entry and released the lock between our read and our lock.
            raw = await client.get(full_key)
            if isinstance(raw, bytes):
                body, etag = _unpack(raw)
                return body, etag, True
            body = await compute()
            etag = etag_for(body)
            await client.set(full_key, _pack(body, etag), ex=settings.CATALOG_CACHE_TTL)
            return body, etag, False
        finally:
            await client.delete(lock_key)
    raw = await _wait_for(client, full_key)
    if raw is not None:
        body, etag = _unpack(raw)
        return body, etag, True
    # The leader died or is very slow: answer from the database rather than keep the client waiting.
    body = await compute()
    return body, etag_for(body), False


async def cached_body(*, scope: str, key: str, compute: Callable[[], Awaitable[bytes]]) -> CachedBody:
    """The rendered response for ``key`` within ``scope``'s generation, computing it at most once on a miss."""
    location = _location()
    if outages.is_down(location):
        body = await areplica_call(compute)
        return CachedBody(body, etag_for(body), hit=False)
    try:
        generation, raw, recorded = await _read_full(scope, key)
    except _REDIS_ERRORS as exc:
        outages.record(location, exc)
        # Nothing is stored meanwhile, so any replica that passes the lag guard may answer.
        body = await areplica_call(compute)
        return CachedBody(body, etag_for(body), hit=False)
    if raw is not None:
        body, etag = _unpack(raw)
        return CachedBody(body, etag, hit=True, generation=generation)
    position = await _fill_position(scope, recorded)

    async def guarded() -> bytes:
        """The fill: from a replica that has replayed ``position``, else from the primary."""
        return await areplica_call(compute, min_lsn=position)

    full_key = f"{key}:{generation}"
    loop = asyncio.get_running_loop()
    inflight = _inflight.setdefault(loop, {})
    if full_key in inflight:
        body, etag = await asyncio.shield(inflight[full_key])
        return CachedBody(body, etag, hit=True, generation=generation)
    future: asyncio.Future[tuple[bytes, str]] = loop.create_future()
    inflight[full_key] = future
    try:
        filled_generation: str | None = generation
        try:
            body, etag, hit = await _fill(full_key, guarded)
        except _REDIS_ERRORS as exc:
            outages.record(location, exc)
            body = await guarded()
            etag, hit, filled_generation = etag_for(body), False, None
        future.set_result((body, etag))
        return CachedBody(body, etag, hit=hit, generation=filled_generation)
    except BaseException as exc:
        future.set_exception(exc)
        # Waiters re-raise it; mark it retrieved so an unobserved failure is not logged twice.
        future.exception()
        raise
    finally:
        del inflight[full_key]


async def cached_alias_store(*, key: str, cached: CachedBody) -> None:
    """Store ``cached`` under a second key of the same generation (e.g. the raw query of a list page).

    The alias lives in the generation the body was computed in, so a write that bumped the generation
    meanwhile leaves the alias unreachable, exactly like the entry itself.
    """
    if cached.generation is None:
        return
    location = _location()
    if outages.is_down(location):
        return
    client = _client()
    try:
        await client.set(f"{key}:{cached.generation}", _pack(cached.body, cached.etag), ex=settings.CATALOG_CACHE_TTL)
    except _REDIS_ERRORS as exc:
        outages.record(location, exc)


def raw_list_key(params: Iterable[tuple[str, list[str]]], *, origin: str, resource: str) -> str:
    """A key from the query string as sent (names sorted, values in order), checked before validation."""
    query = urlencode(sorted(params), doseq=True)
    digest = hashlib.blake2b(f"{origin}?{query}".encode(), digest_size=16).hexdigest()
    return f"{KEY_PREFIX}:{resource}:rawlist:{digest}"


async def cached_peek(*, scope: str, key: str) -> CachedBody | None:
    """The stored response, or None on a miss or when Redis is unreachable (never computes)."""
    location = _location()
    if outages.is_down(location):
        return None
    try:
        generation, raw = await _read(scope, key)
    except _REDIS_ERRORS as exc:
        outages.record(location, exc)
        return None
    if raw is None:
        return None
    body, etag = _unpack(raw)
    return CachedBody(body, etag, hit=True, generation=generation)


def list_key(parts: Iterable[tuple[str, str]], *, resource: str) -> str:
    """A key independent of parameter order: the parts are the *validated* query, sorted."""
    canonical = "&".join(f"{name}={value}" for name, value in sorted(parts))
    digest = hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest()
    return f"{KEY_PREFIX}:{resource}:list:{digest}"


def detail_key(*, resource: str, pk: UUID | str) -> str:
    return f"{KEY_PREFIX}:{resource}:detail:{pk}"


def generations_bump(*, product_ids: Iterable[UUID | str] = ()) -> None:
    """Invalidate every list page and the given products' details (sync; called after commit)."""
    from django_redis import get_redis_connection

    location = _location()
    scopes = [LIST_NAMESPACE, *(product_scope(product_id) for product_id in product_ids)]
    position = ""
    if replica_aliases():
        try:
            position = str(primary_wal_position())
        except DatabaseError as exc:
            logger.warning("Primary WAL position unreadable (%s); catalog fills use the primary's current one.", exc)
    try:
        client = get_redis_connection("default")
        _BUMP_SCRIPT(
            client,
            keys=[*(_generation_key(scope) for scope in scopes), *(_position_key(scope) for scope in scopes)],
            args=[position],
        )
    except _REDIS_ERRORS as exc:
        # Nothing to invalidate in a Redis we cannot reach; entries written before the outage expire with their TTL.
        outages.record(location, exc)
