"""A real request path through PgBouncer in transaction mode (Debian's pgbouncer; skipped where it is missing)."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from catalog.models import Product
from scripts.scale import postgres
from tests.factories import ProductFactory, UserFactory
from tests.replicas.conftest import database_settings, using_databases
from tests.support import client_for, worker_port

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
pytestmark = pytest.mark.skipif(not Path(PGBOUNCER).exists(), reason="pgbouncer is not installed")


@pytest.fixture
def pgbouncer(pg_topology: postgres.Topology) -> Iterator[int]:
    """PgBouncer (transaction pooling, two server connections) in front of the topology's primary."""
    directory = Path(tempfile.mkdtemp(prefix="shop-pgbouncer-"))
    port = worker_port()
    (directory / "users.txt").write_text('"postgres" ""\n')
    (directory / "pgbouncer.ini").write_text(
        f"""[databases]
{pg_topology.database} = host=127.0.0.1 port={pg_topology.primary.port} dbname={pg_topology.database}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/users.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 50
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""
    )
    user = postgres.run_as_user(directory)  # PgBouncer refuses to run as root, like PostgreSQL
    if user is not None:
        directory.chmod(0o755)
        for path in (directory, *directory.iterdir()):
            shutil.chown(path, user)
    process = subprocess.Popen([PGBOUNCER, str(directory / "pgbouncer.ini")], user=user, cwd="/")
    try:
        for _ in range(100):
            try:
                psycopg.connect(f"postgres://postgres@127.0.0.1:{port}/{pg_topology.database}").close()
                break
            except psycopg.OperationalError:
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


def test_requests_work_through_pgbouncer_in_transaction_mode(
    pg_topology: postgres.Topology, pgbouncer: int, django_db_blocker: Any
) -> None:
    databases = database_settings(pg_topology)
    through = copy.deepcopy(databases["default"])
    through["PORT"] = pgbouncer
    # What DATABASE_PGBOUNCER=true applies (config.settings.base.pgbouncer_configure).
    through["DISABLE_SERVER_SIDE_CURSORS"] = True
    through["OPTIONS"] = {**through.get("OPTIONS", {}), "prepare_threshold": None}
    with django_db_blocker.unblock(), using_databases({"default": through}):
        try:
            customer = UserFactory.create()
            products = [ProductFactory.create(stock=5, price=Decimal("2.50")) for _ in range(3)]
            client = client_for(customer)
            # Many statements of the same shape: psycopg would prepare them after five runs without the setting.
            for _ in range(8):
                placed = client.post(
                    "/api/v1/orders/",
                    {"items": [{"product_id": str(products[0].pk), "quantity": 1}]},
                    format="json",
                )
                assert placed.status_code in (201, 409), placed.data
            assert client.get("/api/v1/orders/").status_code == 200
            assert APIClient().get("/api/v1/products/").status_code == 200
            # .iterator() would open a named server-side cursor, which cannot outlive PgBouncer's transaction.
            assert len(list(Product.objects.all().iterator(chunk_size=1))) == 3
            assert settings.DATABASES["default"]["PORT"] == pgbouncer
        finally:
            from django.core.management import call_command

            call_command("flush", verbosity=0, interactive=False)
    assert os.environ.get("DATABASE_PGBOUNCER") in (None, "", "false")
