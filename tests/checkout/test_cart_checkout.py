from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from carts.models import CartItem
from catalog.models import Product
from checkout.services import checkout_cart_place
from core.errors import DomainError
from inventory.models import StockMovement
from orders.models import Order, OrderStatus
from tests.carts.conftest import add, quantities
from tests.factories import ProductFactory
from tests.factories.carts import CartFactory, CartItemFactory

pytestmark = pytest.mark.django_db
ORDERS_URL = "/api/v1/orders/"


def test_checkout_from_cart_places_order_and_empties_cart(customer: User, customer_client: APIClient) -> None:
    first = ProductFactory.create(stock=5, price=Decimal("10.00"))
    second = ProductFactory.create(stock=5, price=Decimal("2.50"))
    add(customer_client, first, 2)
    add(customer_client, second, 4)

    response = customer_client.post(ORDERS_URL, {"from_cart": True})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == OrderStatus.PENDING
    assert body["total_amount"] == "30.00"
    assert {i["product_id"]: i["quantity"] for i in body["items"]} == {str(first.pk): 2, str(second.pk): 4}
    assert not CartItem.objects.filter(cart__user=customer).exists()
    assert customer_client.get("/api/v1/cart/").json()["items"] == []
    first.refresh_from_db()
    assert first.stock_quantity == 3
    assert StockMovement.objects.filter(order_id=body["id"]).count() == 2


def test_failing_checkout_keeps_the_cart(customer: User, customer_client: APIClient) -> None:
    plenty = ProductFactory.create(stock=5)
    scarce = ProductFactory.create(stock=3)
    add(customer_client, plenty, 1)
    add(customer_client, scarce, 3)
    # Someone else bought the scarce product after it was put in the cart.
    Product.objects.filter(pk=scarce.pk).update(stock_quantity=1)

    response = customer_client.post(ORDERS_URL, {"from_cart": True})

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "insufficient_stock"
    assert [e["product_id"] for e in response.json()["errors"]] == [str(scarce.pk)]
    assert not Order.objects.filter(user=customer).exists()
    assert quantities(customer_client.get("/api/v1/cart/").json()) == {str(plenty.pk): 1, str(scarce.pk): 3}


def test_checkout_of_empty_cart_is_400(customer: User, customer_client: APIClient) -> None:
    response = customer_client.post(ORDERS_URL, {"from_cart": True})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "cart_empty"
    CartFactory.create(user=customer)
    with pytest.raises(DomainError) as excinfo:
        checkout_cart_place(user=customer)
    assert excinfo.value.code == "cart_empty"


def test_checkout_is_idempotent_with_key(customer: User, customer_client: APIClient) -> None:
    product = ProductFactory.create(stock=5)
    CartItemFactory.create(cart=CartFactory.create(user=customer), product=product, quantity=2)

    first = customer_client.post(ORDERS_URL, {"from_cart": True}, HTTP_IDEMPOTENCY_KEY="checkout-1")
    again = customer_client.post(ORDERS_URL, {"from_cart": True}, HTTP_IDEMPOTENCY_KEY="checkout-1")

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Order.objects.filter(user=customer).count() == 1
