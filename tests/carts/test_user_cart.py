from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from accounts.models import User
from carts.models import Cart, CartItem
from catalog.models import Product
from tests.carts.conftest import CART_URL, add, headers, item_url, quantities
from tests.factories import ProductFactory
from tests.factories.carts import CartFactory, CartItemFactory

pytestmark = pytest.mark.django_db


def test_signed_in_add_writes_database_cart(customer_client: APIClient, customer: User, product: Product) -> None:
    response = add(customer_client, product, 2)

    assert response.status_code == 201
    assert response.json()["cart_token"] is None
    assert "X-Cart-Token" not in response.headers
    assert quantities(response.json()) == {str(product.pk): 2}
    assert CartItem.objects.get(cart__user=customer).quantity == 2

    add(customer_client, product, 3)
    assert CartItem.objects.get(cart__user=customer).quantity == 5


def test_signed_in_user_ignores_cart_token(customer_client: APIClient, product: Product) -> None:
    token = add(APIClient(), product, 4).json()["cart_token"]

    body = customer_client.get(CART_URL, **headers(token)).json()

    assert body["items"] == []


def test_empty_cart_for_new_user(customer_client: APIClient) -> None:
    body = customer_client.get(CART_URL).json()
    assert body == {"cart_token": None, "items": [], "total": "0.00", "item_count": 0, "notices": []}


def test_stock_cap_and_validation(customer_client: APIClient, customer: User, product: Product) -> None:
    add(customer_client, product, 9)

    over = add(customer_client, product, 2)
    assert over.status_code == 409
    assert over.json()["errors"][0] == {
        "code": "insufficient_stock",
        "detail": f"Only 10 of “{product.name}” available.",
        "attr": "quantity",
        "product_id": str(product.pk),
        "requested": 11,
        "available": 10,
    }
    assert CartItem.objects.get(cart__user=customer).quantity == 9

    assert customer_client.patch(item_url(product), {"quantity": 0}).status_code == 400
    assert customer_client.patch(item_url(product), {"quantity": 11}).status_code == 409
    assert customer_client.patch(item_url(product), {"quantity": 10}).status_code == 200
    assert CartItem.objects.get(cart__user=customer).quantity == 10


def test_inactive_and_unknown_products_are_404(customer_client: APIClient) -> None:
    inactive = ProductFactory.create(stock=3, is_active=False)
    assert add(customer_client, inactive).status_code == 404
    unknown = customer_client.post(
        "/api/v1/cart/items/", {"product_id": "00000000-0000-0000-0000-000000000009", "quantity": 1}
    )
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["code"] == "product_not_found"


def test_patch_missing_line_is_404_and_delete_is_idempotent(customer_client: APIClient, product: Product) -> None:
    assert customer_client.patch(item_url(product), {"quantity": 1}).json()["errors"][0]["code"] == "not_in_cart"
    add(customer_client, product)
    assert customer_client.delete(item_url(product)).status_code == 204
    assert customer_client.delete(item_url(product)).status_code == 204
    assert customer_client.get(CART_URL).json()["items"] == []


def test_current_prices_and_totals(customer: User, customer_client: APIClient) -> None:
    cheap = ProductFactory.create(stock=5, price=Decimal("2.25"))
    dear = ProductFactory.create(stock=5, price=Decimal("100.00"))
    cart = CartFactory.create(user=customer)
    CartItemFactory.create(cart=cart, product=cheap, quantity=4)
    CartItemFactory.create(cart=cart, product=dear, quantity=1)
    Product.objects.filter(pk=dear.pk).update(price=Decimal("80.00"))

    body = customer_client.get(CART_URL).json()

    assert [(i["unit_price"], i["line_total"]) for i in body["items"]] == [("2.25", "9.00"), ("80.00", "80.00")]
    assert body["total"] == "89.00"
    assert body["item_count"] == 5


def test_inactive_product_line_dropped_with_notice(customer: User, customer_client: APIClient) -> None:
    kept, withdrawn = ProductFactory.create_batch(2, stock=5)
    cart = CartFactory.create(user=customer)
    CartItemFactory.create(cart=cart, product=kept, quantity=1)
    CartItemFactory.create(cart=cart, product=withdrawn, quantity=2)
    Product.objects.filter(pk=withdrawn.pk).update(is_active=False)

    body = customer_client.get(CART_URL).json()

    assert quantities(body) == {str(kept.pk): 1}
    assert body["notices"] == [
        {
            "code": "product_unavailable",
            "detail": f"“{withdrawn.name}” is no longer available and was removed from your cart.",
            "product_id": str(withdrawn.pk),
        }
    ]
    assert not CartItem.objects.filter(product=withdrawn).exists()
    assert customer_client.get(CART_URL).json()["notices"] == []


def test_line_limit(customer_client: APIClient, settings: Any) -> None:
    settings.CART_MAX_LINES = 1
    first, second = ProductFactory.create_batch(2, stock=5)
    add(customer_client, first)

    response = add(customer_client, second)

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "cart_full"


def test_get_cart_query_count(customer: User, customer_client: APIClient, django_assert_max_num_queries: Any) -> None:
    cart = CartFactory.create(user=customer)
    for product in ProductFactory.create_batch(8, stock=5):
        CartItemFactory.create(cart=cart, product=product, quantity=1)

    # JWT user lookup + one query for the lines joined to their products.
    with django_assert_max_num_queries(2):
        body = customer_client.get(CART_URL).json()
    assert len(body["items"]) == 8


def test_schema_constraints(customer: User, product: Product) -> None:
    cart = CartFactory.create(user=customer)
    CartItemFactory.create(cart=cart, product=product, quantity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CartItem.objects.create(cart=cart, product=product, quantity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        CartItem.objects.filter(cart=cart).update(quantity=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Cart.objects.create(user=customer)
