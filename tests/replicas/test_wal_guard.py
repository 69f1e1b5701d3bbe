"""The catalog cache never stores replica data older than the generation it stores it under.

A price change bumps the product's generation after commit and records the primary's WAL position next to it; a
fill reads from the replica only once the replica has replayed that far. With replay paused on the replica, the API
must serve the new price and the cache must hold it; with the guard switched off, the same steps cache the stale
price (so the first test can fail).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from catalog import cache
from catalog.services import product_update
from scripts.scale import postgres
from tests.factories import ProductFactory


def _detail(product_id: object) -> tuple[str, str]:
    response = APIClient().get(f"/api/v1/products/{product_id}/")
    assert response.status_code == 200
    return response.json()["price"], response["X-Cache"]


def _cached_price(product_id: UUID) -> str:
    """The price in the entry stored under the product's current generation (what every node would serve)."""
    redis = get_redis_connection("default")
    generation = redis.get(f"catalog:gen:{cache.product_scope(product_id)}")
    assert generation is not None
    raw = redis.get(f"{cache.detail_key(resource='products', pk=product_id)}:{generation.decode()}")
    assert raw is not None
    import json

    return str(json.loads(cache._unpack(raw)[0])["price"])


def _price_change_with_replay_paused(topology: postgres.Topology) -> Any:
    product = ProductFactory.create(price=Decimal("10.00"))
    postgres.wait_for_replay(topology.primary_dsn, topology.replica_dsns[0])
    # A first read fills the cache from the replica (the generation has no recorded position yet).
    with CaptureQueriesContext(connections["replica_0"]) as on_replica:
        assert _detail(product.pk) == ("10.00", "MISS")
    assert on_replica.captured_queries
    assert _cached_price(product.pk) == "10.00"
    postgres.set_replay_paused(topology.replica_dsns[0], paused=True)
    product_update(product_id=product.pk, data={"price": Decimal("20.00")})
    return product


def test_a_fill_after_a_price_change_never_caches_the_replica_s_stale_price(replica_db: postgres.Topology) -> None:
    product = _price_change_with_replay_paused(replica_db)
    with CaptureQueriesContext(connections["replica_0"]) as on_replica:
        assert _detail(product.pk) == ("20.00", "MISS")
    # The replica was asked how far it has replayed, and then not used for the product.
    assert all("pg_last_wal_replay_lsn" in q["sql"] for q in on_replica.captured_queries)
    assert _cached_price(product.pk) == "20.00"
    assert _detail(product.pk) == ("20.00", "HIT")
    # Once the replica catches up, fills of the generation read from it again.
    postgres.set_replay_paused(replica_db.replica_dsns[0], paused=False)
    postgres.wait_for_replay(replica_db.primary_dsn, replica_db.replica_dsns[0])
    product_update(product_id=product.pk, data={"price": Decimal("21.00")})
    postgres.wait_for_replay(replica_db.primary_dsn, replica_db.replica_dsns[0])
    with CaptureQueriesContext(connections["replica_0"]) as on_replica:
        assert _detail(product.pk) == ("21.00", "MISS")
    assert any('FROM "products"' in q["sql"] for q in on_replica.captured_queries)


def test_without_the_guard_the_stale_price_would_be_cached(
    replica_db: postgres.Topology, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_position(scope: str, recorded: bytes | None) -> None:
        return None

    monkeypatch.setattr(cache, "_fill_position", no_position)
    product = _price_change_with_replay_paused(replica_db)
    assert _detail(product.pk) == ("10.00", "MISS")
    assert _cached_price(product.pk) == "10.00"


def test_list_pages_are_guarded_too(replica_db: postgres.Topology) -> None:
    product = ProductFactory.create(price=Decimal("10.00"), name="Guarded list")
    postgres.wait_for_replay(replica_db.primary_dsn, replica_db.replica_dsns[0])
    assert APIClient().get("/api/v1/products/", {"search": "Guarded"}).json()["results"][0]["price"] == "10.00"
    postgres.set_replay_paused(replica_db.replica_dsns[0], paused=True)
    product_update(product_id=product.pk, data={"price": Decimal("30.00")})
    for _ in range(2):
        page = APIClient().get("/api/v1/products/", {"search": "Guarded"}).json()
        assert page["results"][0]["price"] == "30.00"


def test_a_missing_recorded_position_falls_back_to_the_primary_s_current_one(replica_db: postgres.Topology) -> None:
    product = ProductFactory.create(price=Decimal("10.00"))
    postgres.wait_for_replay(replica_db.primary_dsn, replica_db.replica_dsns[0])
    postgres.set_replay_paused(replica_db.replica_dsns[0], paused=True)
    product_update(product_id=product.pk, data={"price": Decimal("40.00")})
    # The recorded position is lost (evicted): the primary's current position stands in, and is recorded.
    get_redis_connection("default").delete(f"catalog:genlsn:{cache.product_scope(product.pk)}")
    assert _detail(product.pk) == ("40.00", "MISS")
    assert get_redis_connection("default").get(f"catalog:genlsn:{cache.product_scope(product.pk)}") is not None
