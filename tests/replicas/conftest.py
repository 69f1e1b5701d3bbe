"""A real PostgreSQL primary with one streaming replica (scripts/scale/postgres.py) for the replica tests.

The cluster is started once per test session (and worker) on two ports of this worker's LIVE_SERVER_PORTS share, in
a directory of its own, with fsync off; its database is migrated once. ``replica_db`` points Django's ``default``
connection at that primary and ``replica_0`` at the replica for one test, then truncates every table and waits
for the replica to replay it. Data must be committed to reach the replica, so these tests do not run inside the
usual test transaction.
"""

from __future__ import annotations

import copy
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from asgiref.local import Local
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from core.replicas import monitor
from scripts.scale import postgres
from tests.support import worker_ports


def _two_free_ports() -> tuple[int, int]:
    ports = worker_ports()
    for port in reversed(ports[:-1]):
        free = True
        for candidate in (port, port + 1):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", candidate))
                except OSError:
                    free = False
        if free:
            return port, port + 1
    raise RuntimeError(f"no two consecutive free ports in {ports.start}-{ports.stop - 1} (LIVE_SERVER_PORTS)")


def database_settings(topology: postgres.Topology) -> dict[str, dict[str, Any]]:
    """``DATABASES`` for the topology: the project's default settings, pointed at the primary and its replicas."""
    base = copy.deepcopy(settings.DATABASES["default"])
    base.pop("TEST", None)
    result = {"default": {**base, "HOST": "127.0.0.1", "PORT": topology.primary.port, "NAME": topology.database}}
    for index, replica in enumerate(topology.replicas):
        result[f"replica_{index}"] = {
            **copy.deepcopy(base),
            "HOST": "127.0.0.1",
            "PORT": replica.port,
            "NAME": topology.database,
        }
    return result


@contextmanager
def using_databases(databases: dict[str, dict[str, Any]]) -> Iterator[None]:
    """Django's connections (and settings.DATABASES) pointed at ``databases`` for the block, then restored."""
    handler: Any = connections  # the handler's per-thread connections are private to Django
    saved_settings = handler.settings
    saved_connections = handler._connections
    saved_databases = settings.DATABASES
    handler._connections = Local(handler.thread_critical)
    handler.__dict__["settings"] = handler.configure_settings(databases)
    settings.DATABASES = handler.settings
    try:
        yield
    finally:
        handler.close_all()
        handler._connections = saved_connections
        handler.__dict__["settings"] = saved_settings
        settings.DATABASES = saved_databases


@pytest.fixture(scope="session")
def pg_topology(django_db_blocker: Any) -> Iterator[postgres.Topology]:
    base = tempfile.mkdtemp(prefix=f"shop-replicas-{settings.TEST_WORKER}-")
    primary_port, replica_port = _two_free_ports()
    try:
        topology = postgres.start(base, primary_port, database="shop_replicas", fast=True, replica_ports=[replica_port])
        with django_db_blocker.unblock(), using_databases(database_settings(topology)):
            call_command("migrate", verbosity=0, interactive=False)
            postgres.wait_for_replay(topology.primary_dsn, topology.replica_dsns[0])
        yield topology
    finally:
        postgres.stop(base)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def replica_db(pg_topology: postgres.Topology, django_db_blocker: Any) -> Iterator[postgres.Topology]:
    """Django's ``default`` on the topology's primary and ``replica_0`` on its replica, for one test."""
    monitor.reset()
    with django_db_blocker.unblock(), using_databases(database_settings(pg_topology)):
        try:
            yield pg_topology
        finally:
            for replica in pg_topology.replicas:
                postgres.start_cluster(replica)
            postgres.set_replay_paused(pg_topology.replica_dsns[0], paused=False)
            call_command("flush", verbosity=0, interactive=False, database="default")
            postgres.wait_for_replay(pg_topology.primary_dsn, pg_topology.replica_dsns[0])
            monitor.reset()
