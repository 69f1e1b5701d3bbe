"""The lean asyncio Redis client of the hottest reads: connections reused, and never reused after a failure."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio as aredis
from asgiref.sync import async_to_sync
from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError

from core.redis_clients import LeanAsyncClient, LuaScript, async_lean_client

_ECHO = LuaScript("return ARGV[1]")


def test_commands_reuse_one_idle_connection() -> None:
    async def scenario() -> tuple[list[bytes], int]:
        client = async_lean_client("default")
        replies = [await _ECHO.acall(client, keys=[], args=[str(n)]) for n in range(5)]
        ids = {await client.execute_command("CLIENT", "ID") for _ in range(3)}
        return replies, len(ids)

    replies, connections = async_to_sync(scenario)()
    assert replies == [b"0", b"1", b"2", b"3", b"4"]
    assert connections == 1


def test_a_connection_the_server_dropped_fails_once_then_a_new_one_serves() -> None:
    async def scenario() -> tuple[bool, bytes, bool]:
        client = LeanAsyncClient(aredis.Redis.from_url(str(settings.CACHES["default"]["LOCATION"])))
        other = LeanAsyncClient(aredis.Redis.from_url(str(settings.CACHES["default"]["LOCATION"])))
        # Two idle connections, then the server drops both (as a restart would).
        first, second = await asyncio.gather(
            client.execute_command("CLIENT", "ID"), client.execute_command("CLIENT", "ID")
        )
        for connection_id in (first, second):
            await other.execute_command("CLIENT", "KILL", "ID", connection_id)
        try:
            await client.execute_command("PING")
            failed = False
        except (RedisConnectionError, OSError):
            failed = True
        # The failure also let go of the other idle connection: the next command opens a fresh one.
        reply = await client.execute_command("PING")
        return failed, reply, await client.execute_command("CLIENT", "ID") not in (first, second)

    failed, reply, fresh = async_to_sync(scenario)()
    assert failed
    assert reply == b"PONG"
    assert fresh


def test_a_server_that_does_not_answer_times_out() -> None:
    async def scenario() -> float:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(1024)
            await asyncio.sleep(5)

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = LeanAsyncClient(aredis.Redis.from_url(f"redis://127.0.0.1:{port}", socket_timeout=0.2))
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await client.execute_command("PING")
        server.close()
        return time.monotonic() - started

    assert async_to_sync(scenario)() < 2
