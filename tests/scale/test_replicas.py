"""Read traffic on the streaming replica: counted there, never older than the reader's own writes or the cache
generation it is stored under. Replay is paused on the replica (pg_wal_replay_pause) to make it stale at will."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from scripts.scale import postgres
from tests.scale.conftest import CUSTOMER, MANAGER, Shop, wait_until


@pytest.fixture
def replay_paused(shop: Shop) -> Iterator[None]:
    postgres.set_replay_paused(shop.replica_dsn, True)
    try:
        yield
    finally:
        postgres.set_replay_paused(shop.replica_dsn, False)
        postgres.wait_for_replay(shop.primary_dsn, shop.replica_dsn, timeout=60)


def _catalog_calls_on_replica(shop: Shop) -> int:
    with shop.replica() as conn:
        row = conn.execute(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
            "WHERE d.datname = 'shop' AND s.query ILIKE '%products%'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_catalog_reads_are_served_by_the_replica(shop: Shop) -> None:
    with shop.primary() as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    postgres.wait_for_replay(shop.primary_dsn, shop.replica_dsn)
    before = _catalog_calls_on_replica(shop)
    client = shop.client()

    def searched_on_the_replica() -> bool:
        for _ in range(6):  # a search nobody made before: a cache miss, so a query
            response = client.get("/api/v1/products/", params={"search": uuid.uuid4().hex[:8]})
            assert response.status_code == 200
        return _catalog_calls_on_replica(shop) >= before + 6

    # A replica that was down (an earlier test stops it) rejoins at the lag guard's next check on each node.
    wait_until(searched_on_the_replica, timeout=60, what="catalog searches counted on the replica")


def test_a_customer_reads_their_own_order_with_replay_paused(shop: Shop, replay_paused: None) -> None:
    product = shop.product()
    token = shop.token(*CUSTOMER)
    client = shop.client()
    auth = {"Authorization": f"Bearer {token}"}
    placed = client.post(
        "/api/v1/orders/", json={"items": [{"product_id": product["id"], "quantity": 1}]}, headers=auth
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    with shop.replica() as conn:  # the replica has not seen it
        assert conn.execute("SELECT 1 FROM orders WHERE id = %s", [order_id]).fetchone() is None

    served_by = set()
    for _ in range(4):  # both nodes
        response = client.get("/api/v1/orders/", headers=auth)
        assert response.status_code == 200
        assert order_id in [order["id"] for order in response.json()["results"]]
        served_by.add(response.headers["X-Served-By"])
    assert served_by == set(shop.nodes)


def test_the_cache_never_stores_replica_data_older_than_its_generation(shop: Shop, replay_paused: None) -> None:
    """The write bumps the catalog generation; a reader then misses the cache under the new generation while the
    replica still has the old row. The entry must be filled from the primary, never with the old price."""
    product = shop.product()
    path = f"/api/v1/products/{product['id']}/"
    new_price = str(Decimal(product["price"]) + Decimal(random.randint(1, 900)) / 100)
    token = shop.token(*MANAGER)
    written = shop.client().patch(path, json={"price": new_price}, headers={"Authorization": f"Bearer {token}"})
    assert written.status_code == 200, written.text
    with shop.replica() as conn:
        row = conn.execute("SELECT price FROM products WHERE id = %s", [product["id"]]).fetchone()
    assert row is not None
    assert str(row[0]) == product["price"]  # the replica is stale

    for node in shop.nodes:  # anonymous readers: no read-your-writes for them
        for _ in range(2):
            assert shop.client(node).get(path).json()["price"] == new_price


def test_the_replica_catches_up_after_replay_resumes(shop: Shop) -> None:
    with shop.primary() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS scale_probe (n int)")
        conn.execute("INSERT INTO scale_probe VALUES (1)")

    def replayed() -> bool:
        with shop.replica() as conn:
            return conn.execute("SELECT to_regclass('scale_probe') IS NOT NULL").fetchone() == (True,)

    wait_until(replayed, timeout=30, what="replica replays the primary's writes")
