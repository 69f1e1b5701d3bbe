"""A PostgreSQL backend killed in the middle of placing an order: nothing half-written, nothing lost."""

import threading
import time

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, connections
from rest_framework.test import APIClient

from catalog.models import Product
from orders.models import Order
from tests.factories import ProductFactory, UserFactory
from tests.support import bearer, current_database_url


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_backend_killed_mid_order_leaves_no_partial_order():
    customer = UserFactory.create()
    product = ProductFactory.create(stock=5)
    url = current_database_url().replace("postgres://", "postgresql://", 1)
    responses: list[int] = []
    bodies: list[dict] = []

    def place_order() -> None:
        try:
            # A 5xx is reported through got_request_exception; answer it like a server would, don't re-raise.
            client = APIClient(raise_request_exception=False)
            client.credentials(HTTP_AUTHORIZATION=bearer(customer))
            response = client.post("/api/v1/orders/", {"items": [{"product_id": str(product.pk), "quantity": 2}]})
            responses.append(response.status_code)
            bodies.append(response.json())
        finally:
            connections.close_all()

    # A second connection holds the product row, so the order stops inside its transaction, at the stock lock.
    with psycopg.connect(url) as blocker, psycopg.connect(url, autocommit=True) as watcher:
        blocker.execute("SELECT id FROM products WHERE id = %s FOR UPDATE", [product.pk])
        buyer = threading.Thread(target=place_order)
        buyer.start()
        victim = None
        deadline = time.monotonic() + 30
        while victim is None and time.monotonic() < deadline:
            # Autocommit: inside a transaction pg_stat_activity would be one frozen snapshot.
            row = watcher.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            victim = row[0] if row else None
            time.sleep(0.05)
        assert victim is not None, "the order never reached the stock lock"
        watcher.execute("SELECT pg_terminate_backend(%s)", [victim])
        buyer.join(timeout=30)
        blocker.rollback()

    assert responses == [503]
    assert bodies[0]["errors"][0]["code"] == "database_unavailable"
    assert not Order.objects.exists()  # order, items and status event rolled back with the killed backend
    assert Product.objects.get(pk=product.pk).stock_quantity == 5
    call_command("check_inventory")  # exits 1 (SystemExit) on any ledger mismatch

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=bearer(customer))
    retry = client.post("/api/v1/orders/", {"items": [{"product_id": str(product.pk), "quantity": 2}]})
    assert retry.status_code == 201
    assert Product.objects.get(pk=product.pk).stock_quantity == 3
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_database_unreachable_is_503_in_the_envelope():
    customer = UserFactory.create()
    token = bearer(customer)
    db = connections["default"]
    original_port = db.settings_dict["PORT"]
    db.close()
    db.settings_dict["PORT"] = "1"  # nothing listens there: connection refused
    try:
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=token)
        response = client.get("/api/v1/orders/")
    finally:
        db.close()
        db.settings_dict["PORT"] = original_port
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "database_unavailable"
    assert response["Retry-After"] == "1"
