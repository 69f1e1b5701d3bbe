"""The tests share no state with a running `make run`, nor between pytest-xdist workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django_redis import get_redis_connection

from config.celery import app as celery_app
from config.settings.base import redis_db_url
from tests.support import ROOT, worker_env

CACHE_ALIASES = ("default", "carts", "throttle", "sessions")


def _database(client: Any) -> int:
    return int(client.connection_pool.connection_kwargs.get("db", 0))


def _broker_database() -> int:
    with celery_app.connection_for_write() as conn:
        return int(conn.transport_options.get("virtual_host") or conn.virtual_host or 0)


def test_each_role_has_its_own_redis_database_outside_the_development_ones() -> None:
    used = {alias: _database(get_redis_connection(alias)) for alias in CACHE_ALIASES}
    used["broker"] = _broker_database()
    assert used == settings.REDIS_TEST_DATABASES
    assert len(set(used.values())) == len(used)
    assert not set(used.values()) & set(settings.REDIS_DEV_DATABASES)


def test_keys_in_the_development_databases_survive_the_tests_flushes() -> None:
    key = f"dev-key-{uuid.uuid4()}"
    dev = [redis.Redis.from_url(redis_db_url(db)) for db in settings.REDIS_DEV_DATABASES]
    try:
        for client in dev:
            client.set(key, "kept", ex=60)
        for alias in CACHE_ALIASES:
            caches[alias].clear()  # what every test does first (tests/conftest.py)
        assert [client.get(key) for client in dev] == [b"kept"] * len(dev)
    finally:
        for client in dev:
            client.delete(key)
            client.close()


def test_published_tasks_go_to_the_tests_broker_not_the_development_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(celery_app.conf, "task_always_eager", False)
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    dev_broker = redis.Redis.from_url(redis_db_url(0))
    test_broker_client = redis.Redis.from_url(redis_db_url(settings.REDIS_TEST_DATABASES["broker"]))
    try:
        dev_before = dev_broker.llen(queue)
        test_before = test_broker_client.llen(queue)
        celery_app.send_task("shop.isolation_probe", queue=queue)
        assert test_broker_client.llen(queue) == test_before + 1
        assert dev_broker.llen(queue) == dev_before
    finally:
        test_broker_client.delete(queue)
        dev_broker.close()
        test_broker_client.close()


def test_processes_started_by_a_test_use_the_same_worker_databases(tmp_path: Path) -> None:
    """A Celery worker or live server a test starts reads the test settings with this worker's id."""
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.CELERY_BROKER_URL, {a: c['LOCATION'] for a, c in s.CACHES.items()}]))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=worker_env(tmp_path), capture_output=True, check=True, text=True
    )
    broker, locations = json.loads(completed.stdout.strip().splitlines()[-1])
    assert broker == settings.CELERY_BROKER_URL
    assert locations == {alias: config["LOCATION"] for alias, config in settings.CACHES.items()}


@pytest.mark.django_db
def test_each_xdist_worker_has_its_own_test_database() -> None:
    name = connection.settings_dict["NAME"]
    assert name.startswith("test_")
    if worker := os.environ.get("PYTEST_XDIST_WORKER"):
        assert name.endswith(f"_{worker}")
