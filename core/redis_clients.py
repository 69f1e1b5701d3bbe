"""Redis plumbing shared by the apps: Lua scripts run by digest, and asyncio clients for the ``CACHES`` aliases.

django-redis gives sync clients only. Async views (catalog reads, anonymous carts, their throttles) use
``redis.asyncio`` clients built from the same alias settings (location and socket timeouts).
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from typing import Any

import redis.asyncio as aredis
from django.conf import settings
from redis.exceptions import NoScriptError


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

    async def acall(self, client: aredis.Redis, keys: list[str], args: list[Any]) -> Any:
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


def async_client(alias: str) -> aredis.Redis:
    """The running loop's asyncio client for the ``CACHES[alias]`` Redis, with the alias's socket timeouts."""
    config = settings.CACHES[alias]
    location = str(config["LOCATION"])
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get((alias, location))
    if client is None:
        options = config.get("OPTIONS", {})
        client = aredis.Redis.from_url(
            location,
            socket_connect_timeout=options.get("SOCKET_CONNECT_TIMEOUT", 0.25),
            socket_timeout=options.get("SOCKET_TIMEOUT", 0.5),
        )
        per_loop[alias, location] = client
    return client
