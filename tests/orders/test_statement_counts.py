"""SQL statements per order placement, pinned (docs/design.md §5): the whole request through the API with a real
JWT, authentication included, as production runs it (no in-process delivery of the outbox)."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import Product
from inventory.models import StockMovement
from orders.models import Order, OrderStatusEvent
from orders.services import OrderEventReason
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
# Product snapshot, BEGIN, one INSERT (order, items, status event, e-mail), one statement (lock, check, decrement,
# ledger), COMMIT; the Idempotency-Key adds its claim and its stored response; the user row is read only on the
# first request of a cold auth cache.
WITHOUT_KEY = 5
WITH_KEY = 7


@pytest.fixture(autouse=True)
def _production_outbox(settings: Any) -> None:
    settings.OUTBOX_DELIVER_ON_COMMIT = False


def _warm(client: APIClient) -> None:
    assert client.get("/api/v1/auth/me/").status_code == 200


def _body(*products: Product) -> dict[str, Any]:
    return {"items": [{"product_id": str(p.pk), "quantity": 1} for p in products]}


def test_order_without_key(customer_client: APIClient, django_assert_max_num_queries: Any) -> None:
    products = [ProductFactory.create(stock=10) for _ in range(3)]
    _warm(customer_client)
    with django_assert_max_num_queries(WITHOUT_KEY):
        response = customer_client.post(ORDERS, _body(*products), format="json")
    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.data["id"])
    assert order.items.count() == 3
    assert list(OrderStatusEvent.objects.filter(order=order).values_list("reason", flat=True)) == [
        OrderEventReason.PLACED.value
    ]
    assert StockMovement.objects.filter(order=order, delta=-1).count() == 3
    assert sorted(Product.objects.filter(pk__in=[p.pk for p in products]).values_list("stock_quantity", flat=True)) == [
        9,
        9,
        9,
    ]


def test_order_with_key(customer_client: APIClient, django_assert_max_num_queries: Any) -> None:
    product = ProductFactory.create(stock=10)
    _warm(customer_client)
    with django_assert_max_num_queries(WITH_KEY):
        response = customer_client.post(ORDERS, _body(product), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 201, response.content
    replay = customer_client.post(ORDERS, _body(product), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.content == response.content


def test_cold_auth_cache_adds_only_the_user_row(
    customer_client: APIClient, customer: User, django_assert_max_num_queries: Any
) -> None:
    product = ProductFactory.create(stock=10)
    with CaptureQueriesContext(connection) as queries:
        response = customer_client.post(ORDERS, _body(product), format="json")
    assert response.status_code == 201
    assert len(queries.captured_queries) <= WITHOUT_KEY + 1


def test_the_response_is_what_a_read_returns(customer_client: APIClient) -> None:
    """Built from the rows just written, not re-read: the same body the order's detail answers."""
    products = [ProductFactory.create(stock=10, price="12.50"), ProductFactory.create(stock=10, price="3.00")]
    body = {
        "items": [
            {"product_id": str(products[0].pk), "quantity": 2},
            {"product_id": str(products[1].pk), "quantity": 1},
        ]
    }
    placed = customer_client.post(ORDERS, body, format="json")
    assert placed.status_code == 201
    detail = customer_client.get(f"{ORDERS}{placed.data['id']}/")
    assert placed.json() == detail.json()
    assert placed.data["total_amount"] == "28.00"


def test_order_from_cart(customer_client: APIClient, django_assert_max_num_queries: Any) -> None:
    product = ProductFactory.create(stock=10)
    assert (
        customer_client.post(
            "/api/v1/cart/items/", {"product_id": str(product.pk), "quantity": 2}, format="json"
        ).status_code
        == 201
    )
    # The cart adds its lock, one statement deleting its lines (returning them), and the savepoint around the placement.
    with django_assert_max_num_queries(WITHOUT_KEY + 4):
        response = customer_client.post(ORDERS, {"from_cart": True}, format="json")
    assert response.status_code == 201, response.content
    assert response.data["items"][0]["quantity"] == 2
