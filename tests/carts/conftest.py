from typing import Any

import pytest
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from carts.anonymous import cart_key
from catalog.models import Product
from tests.factories import ProductFactory

CART_URL = "/api/v1/cart/"
ITEMS_URL = "/api/v1/cart/items/"
MERGE_URL = "/api/v1/cart/merge/"
LOGIN_URL = "/api/v1/auth/token/"
PASSWORD = "correct-horse-battery"


def item_url(product: Product) -> str:
    return f"{ITEMS_URL}{product.pk}/"


def headers(token: str | None) -> dict[str, Any]:
    return {"HTTP_X_CART_TOKEN": token} if token else {}


def add(client: APIClient, product: Product, quantity: int = 1, token: str | None = None) -> Any:
    return client.post(ITEMS_URL, {"product_id": str(product.pk), "quantity": quantity}, **headers(token))


def quantities(body: dict[str, Any]) -> dict[str, int]:
    return {line["product_id"]: line["quantity"] for line in body["items"]}


def guest_cart(lines: list[tuple[Product, int]]) -> str:
    """Build an anonymous cart through the API and return its token."""
    client = APIClient()
    token: str | None = None
    for product, quantity in lines:
        response = add(client, product, quantity, token)
        assert response.status_code == 201, response.json()
        token = response.json()["cart_token"]
    assert token is not None
    return token


@pytest.fixture
def cart_redis() -> Any:
    return get_redis_connection("carts")


@pytest.fixture
def redis_cart_lines(cart_redis: Any) -> Any:
    def read(token: str) -> dict[str, int]:
        return {k.decode(): int(v) for k, v in cart_redis.hgetall(cart_key(token)).items()}

    return read


@pytest.fixture
def product(db: None) -> Product:
    return ProductFactory.create(stock=10)
