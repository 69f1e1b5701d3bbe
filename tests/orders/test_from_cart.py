from typing import Any

import pytest
from rest_framework.test import APIClient

from catalog.models import Product
from inventory.services import stock_adjust
from orders.models import Order
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def _add(client: APIClient, product: Product, quantity: int) -> None:
    response = client.post("/api/v1/cart/items/", {"product_id": str(product.pk), "quantity": quantity}, format="json")
    assert response.status_code == 201, response.data


def _cart(client: APIClient) -> dict[str, Any]:
    return client.get("/api/v1/cart/").json()


def test_order_from_cart_places_and_empties_the_cart(customer_client: APIClient) -> None:
    a, b = ProductFactory.create(stock=5), ProductFactory.create(stock=5)
    _add(customer_client, a, 2)
    _add(customer_client, b, 1)
    response = customer_client.post(ORDERS, {"from_cart": True}, format="json")
    assert response.status_code == 201, response.data
    assert {(i["product_id"], i["quantity"]) for i in response.data["items"]} == {(str(a.pk), 2), (str(b.pk), 1)}
    assert Product.objects.get(pk=a.pk).stock_quantity == 3
    assert _cart(customer_client)["items"] == []


def test_empty_cart_cannot_be_ordered(customer_client: APIClient) -> None:
    response = customer_client.post(ORDERS, {"from_cart": True}, format="json")
    assert response.status_code == 400
    assert response.data["errors"][0]["code"] == "cart_empty"
    assert not Order.objects.exists()


def test_short_cart_line_keeps_the_cart(customer_client: APIClient) -> None:
    product = ProductFactory.create(stock=3)
    _add(customer_client, product, 3)
    stock_adjust(product_id=product.pk, delta=-2, note="Counted", actor=None)
    response = customer_client.post(ORDERS, {"from_cart": True}, format="json")
    assert response.status_code == 409
    assert response.data["errors"][0]["code"] == "insufficient_stock"
    assert [line["quantity"] for line in _cart(customer_client)["items"]] == [3]


def test_from_cart_with_idempotency_key_orders_once(customer_client: APIClient) -> None:
    product = ProductFactory.create(stock=5)
    _add(customer_client, product, 1)
    first = customer_client.post(ORDERS, {"from_cart": True}, format="json", HTTP_IDEMPOTENCY_KEY="cart-1")
    retry = customer_client.post(ORDERS, {"from_cart": True}, format="json", HTTP_IDEMPOTENCY_KEY="cart-1")
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1
