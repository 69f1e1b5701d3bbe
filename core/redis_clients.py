"""Redis plumbing shared by the apps: Lua scripts run by digest, and asyncio clients for the ``CACHES`` aliases.

django-redis gives sync clients only. Async views (catalog reads, anonymous carts, their throttles) use
``redis.asyncio`` clients built from the same alias settings (location and socket timeouts).

With Redis Sentinel (``REDIS_SENTINELS``) an alias's location is ``redis://<master set name>/<db>``; the clients
here then ask redis-py's Sentinel for the current master (``master_for``), as django-redis's
SentinelConnectionFactory does for the sync clients, and follow it through a failover.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import weakref
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aredis
from django.conf import settings
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.exceptions import NoScriptError, ResponseError


class LuaScript:
    """A Lua script run by its digest (one round trip); the first call on a fresh Redis loads it.

    Unlike redis-py's ``register_script`` nothing is bound to a client, so one module-level script serves
    every client, sync or async, without a registry that would keep per-request clients alive.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()  # noqa: S324  # Redis names scripts so

    def __call__(self, client: Any, keys: list[str], args: list[Any]) -> Any:
        try:
            return client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return client.eval(self.source, len(keys), *keys, *args)

    async def acall(self, client: aredis.Redis | LeanAsyncClient, keys: list[str], args: list[Any]) -> Any:
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await client.eval(self.source, len(keys), *keys, *args)


# redis.asyncio connections belong to the event loop that opened them: one client per loop, alias and location
# (aliases may share a server with different timeouts; tests move an alias to another location).
# Keyed weakly by loop, so the clients of a finished loop (a test's async_to_sync call) go with it.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], aredis.Redis]] = (
    weakref.WeakKeyDictionary()
)


class LeanAsyncClient:
    """Commands for the hottest reads (a catalog cache hit), pipelined: those issued in one turn of the event loop
    are written together on one connection and their replies read in order.

    Written here because redis-py's asyncio client spends more CPU than the round trip itself on every command
    (a pool lock, a readability check of the connection, connection-state metrics, a task per timed write) and
    sends each command on its own; this keeps redis-py's connections (the alias's location, auth, parser with
    hiredis) and drops that bookkeeping. Every batch runs under one deadline (the alias's socket timeout); a
    caller waits at most that long; a connection that failed or was interrupted is closed with every idle one
    (the server may be gone or restarted), and its batch's callers get the error.
    """

    def __init__(self, client: aredis.Redis) -> None:
        pool = client.connection_pool
        self._connection_class = pool.connection_class
        # The deadlines below cover writing and reading: the connections need no timer of their own.
        self._connection_kwargs = {**pool.connection_kwargs, "socket_timeout": None}
        self._timeout = float(pool.connection_kwargs.get("socket_timeout") or 0.5)
        self._idle: deque[Any] = deque()
        self._queued: list[tuple[tuple[Any, ...], asyncio.Future[Any]]] = []
        self._batches: set[asyncio.Task[None]] = set()

    async def execute_command(self, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._queued:
            loop.call_soon(self._flush)
        self._queued.append((args, future))
        async with asyncio.timeout(self._timeout):
            return await future

    def _flush(self) -> None:
        batch, self._queued = self._queued, []
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._batches.add(task)
        task.add_done_callback(self._batches.discard)

    async def _send(self, batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]]) -> None:
        connection = self._idle.pop() if self._idle else self._connection_class(**self._connection_kwargs)
        try:
            async with asyncio.timeout(self._timeout):
                packed = [chunk for args, _ in batch for chunk in connection.pack_command(*args)]
                await connection.send_packed_command(packed, check_health=False)
                for _, future in batch:
                    try:
                        reply = await connection.read_response(timeout=math.inf)
                    except ResponseError as exc:  # that command's error; the connection stays in step
                        if not future.done():
                            future.set_exception(exc)
                    else:
                        if not future.done():
                            future.set_result(reply)
        except BaseException as exc:
            await connection.disconnect(nowait=True)
            while self._idle:
                await self._idle.pop().disconnect(nowait=True)
            for _, future in batch:
                if not future.done():
                    future.set_exception(
                        exc if isinstance(exc, Exception) else ConnectionError("Redis batch interrupted")
                    )
            if not isinstance(exc, Exception):
                raise
            return
        self._idle.append(connection)

    async def evalsha(self, sha: str, numkeys: int, *args: Any) -> Any:
        return await self.execute_command("EVALSHA", sha, numkeys, *args)

    async def eval(self, source: str, numkeys: int, *args: Any) -> Any:
        return await self.execute_command("EVAL", source, numkeys, *args)


_lean_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, str], LeanAsyncClient]] = (
    weakref.WeakKeyDictionary()
)


def async_lean_client(alias: str) -> LeanAsyncClient | aredis.Redis:
    """The running loop's :class:`LeanAsyncClient` for the ``CACHES[alias]`` Redis (see :func:`async_client`).

    Through Sentinel, the alias's own :func:`async_client` instead: its managed connections ask the Sentinels for
    the master and follow a failover, which the lean client's plain connections do not.
    """
    if settings.CACHES[alias].get("OPTIONS", {}).get("SENTINELS"):
        return async_client(alias)
    location = str(settings.CACHES[alias]["LOCATION"])
    per_loop = _lean_clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get((alias, location))
    if client is None:
        client = LeanAsyncClient(async_client(alias))
        per_loop[alias, location] = client
    return client


def async_client(alias: str) -> aredis.Redis:
    """The running loop's asyncio client for the ``CACHES[alias]`` Redis, with the alias's socket timeouts."""
    config = settings.CACHES[alias]
    location = str(config["LOCATION"])
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get((alias, location))
    if client is None:
        options = config.get("OPTIONS", {})
        timeouts = {
            "socket_connect_timeout": options.get("SOCKET_CONNECT_TIMEOUT", 0.25),
            "socket_timeout": options.get("SOCKET_TIMEOUT", 0.5),
        }
        if options.get("SENTINELS"):
            service, db = sentinel_service(location)
            sentinel = AsyncSentinel(options["SENTINELS"], sentinel_kwargs=options.get("SENTINEL_KWARGS"), **timeouts)
            client = sentinel.master_for(service, db=db, **timeouts)
        else:
            client = aredis.Redis.from_url(location, **timeouts)
        per_loop[alias, location] = client
    return client


def sentinel_service(location: str) -> tuple[str, int]:
    """``(master set name, database)`` of a Sentinel location ``redis://<name>/<db>``."""
    parts = urlsplit(location)
    return str(parts.hostname), int(parts.path.strip("/") or 0)
