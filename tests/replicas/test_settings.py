"""Settings wiring of the scale-out: replica aliases, PgBouncer, Redis Sentinel for every role (a process each)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.support import ROOT, worker_port

_DUMP = """
import django, json; django.setup()
from django.conf import settings as s
print(json.dumps({
    "databases": s.DATABASES, "routers": s.DATABASE_ROUTERS, "caches": s.CACHES,
    "broker": s.CELERY_BROKER_URL, "transport": s.CELERY_BROKER_TRANSPORT_OPTIONS,
}, default=str))
"""


def _settings(module: str = "config.settings.base", **env: str) -> dict[str, Any]:
    process_env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("REDIS_URL") and k not in ("CACHE_URL", "CELERY_BROKER_URL", "DATABASE_POOL")
    }
    process_env.update(
        {
            "DJANGO_SETTINGS_MODULE": module,
            "DATABASE_URL": "postgres://app@primary.internal:5432/shop",
            "REDIS_URL": "redis://127.0.0.1:6379",
            "DJANGO_SECRET_KEY": "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "shop.example.com",
            "PUBLIC_ORIGIN": "https://shop.example.com",
            **env,
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", _DUMP], cwd=ROOT, env=process_env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_without_replicas_there_is_one_database_and_the_router_sends_everything_to_it() -> None:
    loaded = _settings()
    assert list(loaded["databases"]) == ["default"]
    assert loaded["routers"] == ["core.replicas.ReplicaRouter"]


def test_replica_urls_become_aliases_with_the_primary_s_options_mirrored_in_tests() -> None:
    loaded = _settings(
        "config.settings.production",
        DATABASE_REPLICA_URLS="postgres://app@replica-a:5432/shop,postgres://app@replica-b:6432/shop",
    )
    databases = loaded["databases"]
    assert list(databases) == ["default", "replica_0", "replica_1"]
    assert (databases["replica_0"]["HOST"], databases["replica_1"]["PORT"]) == ("replica-a", 6432)
    for alias in ("replica_0", "replica_1"):
        assert databases[alias]["TEST"]["MIRROR"] == "default"
        # The production pool applies to the replicas too; the connect timeout is short.
        assert databases[alias]["OPTIONS"]["pool"] == databases["default"]["OPTIONS"]["pool"]
        assert databases[alias]["OPTIONS"]["connect_timeout"] == 2


def test_pgbouncer_turns_off_server_side_cursors_prepared_statements_and_the_pool() -> None:
    loaded = _settings(
        "config.settings.production",
        DATABASE_PGBOUNCER="true",
        DATABASE_REPLICA_URLS="postgres://app@replica-a:5432/shop",
    )
    for database in loaded["databases"].values():
        assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
        assert database["OPTIONS"]["prepare_threshold"] is None
        assert "pool" not in database["OPTIONS"]


def test_sentinel_wires_every_redis_role_through_the_master_set() -> None:
    loaded = _settings(REDIS_SENTINELS="10.0.0.1:26379,10.0.0.2:26379", REDIS_SENTINEL_MASTER="shop")
    for alias, db in (("default", 1), ("carts", 2), ("throttle", 3), ("sessions", 4)):
        cache = loaded["caches"][alias]
        assert cache["LOCATION"] == f"redis://shop/{db}"
        assert cache["OPTIONS"]["CONNECTION_FACTORY"] == "django_redis.pool.SentinelConnectionFactory"
        assert cache["OPTIONS"]["SENTINELS"] == [["10.0.0.1", 26379], ["10.0.0.2", 26379]]
    assert loaded["broker"] == "sentinel://10.0.0.1:26379/0;sentinel://10.0.0.2:26379/0"
    assert loaded["transport"]["master_name"] == "shop"


@pytest.fixture
def sentinel(tmp_path: Path) -> Iterator[int]:
    """A real Redis master and one Sentinel watching it (as set ``shop``), on ports of this worker's range.

    Nothing here fails over, so the Sentinel waits 5 s before it calls the master down: with a shorter wait a busy
    machine made it flag the master subjectively down mid-test, and redis-py then finds no master."""
    if not shutil.which("redis-sentinel"):
        pytest.skip("redis-sentinel is not installed")
    master_port, sentinel_port = worker_port(), worker_port()
    config = tmp_path / "sentinel.conf"
    config.write_text(
        f"port {sentinel_port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor shop 127.0.0.1 {master_port} 1\nsentinel down-after-milliseconds shop 5000\n"
    )
    master = subprocess.Popen(
        ["redis-server", "--port", str(master_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    watcher = subprocess.Popen(["redis-sentinel", str(config)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                with redis.Redis(port=sentinel_port, socket_timeout=0.5) as client:
                    # As redis-py's discovery requires: seen as a master and not down.
                    state = client.sentinel_master("shop")
                    if state.get("is_master") and not state.get("is_sdown") and not state.get("is_odown"):
                        break
            except redis.RedisError:
                pass
            time.sleep(0.05)
        yield sentinel_port
    finally:
        for process in (watcher, master):
            process.terminate()
            process.wait(timeout=10)


def test_every_redis_role_works_through_a_real_sentinel(sentinel: int) -> None:
    """django-redis, core.redis_clients (sync and async, the Lua helper), the Celery broker and its queue-depth
    metric find the master."""
    code = """
import asyncio, django; django.setup()
from django.core.cache import caches
from kombu import Connection
from django.conf import settings
from core.redis_clients import LuaScript, async_client, async_lean_client
for alias in ("default", "carts", "throttle", "sessions"):
    caches[alias].set("probe", alias)
    assert caches[alias].get("probe") == alias, alias
script = LuaScript("return redis.call('INCR', KEYS[1])")
async def main():
    client = async_client("carts")
    assert await client.ping()
    assert await script.acall(client, keys=["n"], args=[]) == 1
    # The catalog's hot read path: the same master and database as every other client of the alias.
    assert await script.acall(async_lean_client("carts"), keys=["n"], args=[]) == 2
    assert await client.get("n") == b"2"
asyncio.run(main())
with Connection(settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS) as conn:
    conn.ensure_connection(max_retries=1)
    queue = conn.SimpleQueue("sentinel-probe")
    queue.put({"ok": 1})
    assert queue.get(timeout=5).payload == {"ok": 1}
    queue.close()
from core.task_metrics import QueueDepth
depths = {sample.labels["queue"]: sample.value for sample in QueueDepth(ttl=0).compute()[0].samples}
assert depths == {"celery": 0.0, "email": 0.0}, depths
print("ok")
"""
    env = {k: v for k, v in os.environ.items() if not k.endswith("REDIS_URL") and k != "CELERY_BROKER_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        REDIS_URL="redis://127.0.0.1:6379",
        REDIS_SENTINELS=f"127.0.0.1:{sentinel}",
        REDIS_SENTINEL_MASTER="shop",
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")
