"""The scaled setup these tests run against: ``make scale-up``'s topology, reused when one already answers, else
started here (and then stopped at the end of the session).

These tests run outside `pytest -n` (``make test-scale``): they share one topology and stop and start its pieces.
A topology started here takes its ports from SCALE_PORT_BASE, else from the start of LIVE_SERVER_PORTS (free again
once the main test run is over), else 19900.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from scripts.scale import postgres, topology

ROOT = Path(__file__).resolve().parent.parent.parent
MANAGER = ("manager@example.com", "manager-pass-123")
CUSTOMER = ("customer@example.com", "customer-pass-123")


@dataclass
class Shop:
    """The running topology: its JSON summary and layout, and HTTP clients through nginx or one node."""

    summary: dict[str, Any]
    layout: topology.Layout
    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return str(self.summary["base_url"])

    @property
    def nodes(self) -> list[str]:
        return list(self.summary["nodes"])

    @property
    def primary_dsn(self) -> str:
        return str(self.summary["primary_dsn"])

    @property
    def replica_dsn(self) -> str:
        return str(self.summary["replica_dsns"][0])

    def client(self, node: str | None = None, *, source: str | None = None) -> httpx.Client:
        """A client through nginx (or straight to ``node``), from its own loopback address unless ``source``
        names one: rate limits and lock-outs count per client address, so tests do not share theirs."""
        address = source or fresh_address()
        base = f"http://{node}" if node else self.base_url
        client = httpx.Client(
            base_url=base, timeout=30, transport=httpx.HTTPTransport(local_address=address, retries=0)
        )
        self.clients.append(client)
        return client

    def token(self, email: str, password: str) -> str:
        response = self.client().post("/api/v1/auth/token/", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return str(response.json()["access"])

    def product(self) -> dict[str, Any]:
        """An active product in stock (the demo catalog has hundreds)."""
        response = self.client().get("/api/v1/products/", params={"page_size": 50})
        assert response.status_code == 200, response.text
        products = [p for p in response.json()["results"] if p["is_active"] and p["stock_quantity"] > 5]
        return random.choice(products)

    def primary(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.primary_dsn, autocommit=True, connect_timeout=5)

    def replica(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.replica_dsn, autocommit=True, connect_timeout=5)

    def replica_cluster(self) -> postgres.Cluster:
        info = postgres.status(self.layout.pg_dir)["replica_0"]
        assert isinstance(info, dict)
        return postgres.Cluster("replica_0", "replica", str(info["datadir"]), int(info["port"]))


def fresh_address() -> str:
    """A loopback address of its own (127.0.0.0/8 all reaches this machine): a new client as the nodes see it."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> float:
    """Poll ``condition`` until true; returns the seconds it took (fails after ``timeout``)."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.25)
    return time.monotonic() - start


def _topology_env(layout: topology.Layout) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS", "COV_"))}
    env.setdefault("SCALE_PG_FAST", "1")
    env |= {"SCALE_PORT_BASE": str(layout.base_port), "SCALE_DIR": str(layout.state_dir)}
    return env


def _run_topology(layout: topology.Layout, command: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.scale.topology", command],
        cwd=str(ROOT),
        env=_topology_env(layout),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"scale {command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _running(layout: topology.Layout) -> dict[str, Any] | None:
    """The summary of the topology already running on ``layout``, if every piece runs and nginx answers."""
    summary_file = layout.state_dir / "topology.json"
    if not summary_file.exists():
        return None
    processes = topology.load_state(layout)
    if not processes or not all(topology.alive(entry) for entry in processes.values()):
        return None
    try:
        if httpx.get(f"{layout.base_url}/healthz", timeout=5).status_code != 200:
            return None
    except httpx.HTTPError:
        return None
    return dict(json.loads(summary_file.read_text()))


def _layout() -> topology.Layout:
    live = os.environ.get("LIVE_SERVER_PORTS", "")
    if "SCALE_PORT_BASE" not in os.environ and live:
        first, _, last = live.partition("-")
        if int(last or first) - int(first) >= 40:  # the setup's ports span base..base+40
            return topology.Layout.from_env(int(first))
    return topology.Layout.from_env()


@pytest.fixture(scope="session")
def shop() -> Iterator[Shop]:
    layout = _layout()
    summary = _running(layout)
    started = summary is None
    if summary is None:
        summary = json.loads(_run_topology(layout, "up").strip().splitlines()[-1])
    shop = Shop(summary, layout)
    try:
        yield shop
    finally:
        for client in shop.clients:
            client.close()
        if started:
            _run_topology(layout, "down")


@pytest.fixture
def restore(shop: Shop) -> Iterator[None]:
    """After a test that stops pieces: `scale-up` again brings back whatever is missing."""
    yield
    _run_topology(shop.layout, "up")


def unique_email() -> str:
    return f"scale-{uuid.uuid4().hex[:12]}@example.com"
