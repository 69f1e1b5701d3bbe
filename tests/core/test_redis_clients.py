"""The lean asyncio Redis client of the hottest reads: pipelined, connections reused, never after a failure."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import redis.asyncio as aredis
from asgiref.sync import async_to_sync
from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

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


def test_commands_of_one_turn_share_a_batch_and_each_gets_its_own_reply() -> None:
    async def scenario() -> tuple[list[Any], set[Any]]:
        client = LeanAsyncClient(aredis.Redis.from_url(str(settings.CACHES["default"]["LOCATION"])))
        commands = [("ECHO", str(n)) if n != 3 else ("NO-SUCH-COMMAND",) for n in range(6)]
        calls = [client.execute_command(*command) for command in commands]
        replies = await asyncio.gather(*calls, return_exceptions=True)
        ids = await asyncio.gather(*(client.execute_command("CLIENT", "ID") for _ in range(4)))
        return replies, set(ids)

    replies, connections = async_to_sync(scenario)()
    assert replies[:3] == [b"0", b"1", b"2"]
    assert isinstance(replies[3], ResponseError)
    assert replies[4:] == [b"4", b"5"]
    assert len(connections) == 1


def test_a_connection_the_server_dropped_fails_once_then_a_new_one_serves() -> None:
    async def scenario() -> tuple[bool, bytes, bool]:
        client = LeanAsyncClient(aredis.Redis.from_url(str(settings.CACHES["default"]["LOCATION"])))
        other = LeanAsyncClient(aredis.Redis.from_url(str(settings.CACHES["default"]["LOCATION"])))
        # The server drops the idle connection, as a restart would.
        dropped = await client.execute_command("CLIENT", "ID")
        await other.execute_command("CLIENT", "KILL", "ID", dropped)
        try:
            await client.execute_command("PING")
            failed = False
        except (RedisConnectionError, OSError):
            failed = True
        reply = await client.execute_command("PING")
        return failed, reply, await client.execute_command("CLIENT", "ID") != dropped

    failed, reply, fresh = async_to_sync(scenario)()
    assert failed
    assert reply == b"PONG"
    assert fresh


def test_a_server_that_does_not_answer_times_out() -> None:
    async def scenario() -> float:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(1024)
            await asyncio.sleep(1)

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = LeanAsyncClient(aredis.Redis.from_url(f"redis://127.0.0.1:{port}", socket_timeout=0.2))
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await client.execute_command("PING")
        server.close()
        return time.monotonic() - started

    assert async_to_sync(scenario)() < 2
