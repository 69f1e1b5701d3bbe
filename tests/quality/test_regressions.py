"""Bugs and schema gaps schemathesis found, pinned so they stay fixed."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import Category, Product
from orders.models import Order
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("body", ["[null, null]", "42", '"text"', "null"])
def test_login_with_a_non_object_json_body_is_a_400(api_client: APIClient, body: str) -> None:
    response = api_client.generic("POST", "/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400


def test_blank_idempotency_key_is_refused(customer_client: APIClient) -> None:
    product = ProductFactory.create(stock=5)
    body = {"items": [{"product_id": str(product.pk), "quantity": 1}]}
    response = customer_client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="   ")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "idempotency_key_invalid"
    assert not Order.objects.exists()


def test_patching_a_blank_slug_derives_it_from_the_name(manager_client: APIClient) -> None:
    category = CategoryFactory.create(name="Winter Coats", slug="winter")
    product = ProductFactory.create(name="Blue Parka", slug="parka", stock=1)
    assert manager_client.patch(f"/api/v1/categories/{category.pk}/", {"slug": ""}, format="json").status_code == 200
    assert manager_client.patch(f"/api/v1/products/{product.pk}/", {"slug": ""}, format="json").status_code == 200
    assert Category.objects.get(pk=category.pk).slug == "winter-coats"
    assert Product.objects.get(pk=product.pk).slug == "blue-parka"


@pytest.mark.parametrize(
    ("path", "body", "attr"),
    [
        ("/api/v1/auth/me/", {"last_name": 0}, "last_name"),
        ("/api/v1/cart/items/", {"product_id": "PRODUCT", "quantity": "2"}, "quantity"),
        ("/api/v1/orders/", {"items": [], "from_cart": "true"}, "from_cart"),
        ("/api/v1/orders/", {"items": {"product_id": "PRODUCT"}}, "items"),
    ],
)
def test_json_values_must_have_the_documented_type(
    customer: User, customer_client: APIClient, path: str, body: dict[str, Any], attr: str
) -> None:
    product = ProductFactory.create(stock=5)
    raw = {k: (str(product.pk) if v == "PRODUCT" else v) for k, v in body.items()}
    method = customer_client.patch if path.endswith("me/") else customer_client.post
    response = method(path, raw, format="json")
    assert response.status_code == 400
    assert attr in {error["attr"] for error in response.json()["errors"]}
    customer.refresh_from_db()
    assert customer.last_name != "0"


def test_price_must_be_a_decimal_string(manager_client: APIClient) -> None:
    category = CategoryFactory.create()
    payload = {"name": "Socks", "category": str(category.pk)}
    as_number = manager_client.post("/api/v1/products/", {**payload, "price": 9.99}, format="json")
    assert as_number.status_code == 400
    assert as_number.json()["errors"][0]["attr"] == "price"
    as_string = manager_client.post("/api/v1/products/", {**payload, "price": "9.99"}, format="json")
    assert as_string.status_code == 201


def test_empty_parent_is_not_read_as_top_level(manager_client: APIClient) -> None:
    response = manager_client.post("/api/v1/categories/", {"name": "Hats", "parent": ""}, format="json")
    assert response.status_code == 400
    assert not Category.objects.filter(name="Hats").exists()


def test_strict_request_bodies_are_closed_in_the_schema() -> None:
    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for name in ("OrderFromItemsRequest", "OrderLineInputRequest", "RegisterRequest", "CartItemAddRequest"):
        assert schemas[name]["additionalProperties"] is False, name
    assert schemas["OrderFromItemsRequest"]["properties"]["items"]["minItems"] == 1
    assert schemas["ProductWriteRequest"]["properties"]["price"]["pattern"] == r"^\d{1,10}(?:\.\d{1,2})?$"
