from collections.abc import Iterator
from copy import deepcopy
from typing import Any

import pytest
from django.conf import LazySettings
from rest_framework.test import APIClient

from accounts.models import User
from carts.models import CartItem
from catalog.cache import outages
from catalog.models import Product
from tests.carts.conftest import CART_URL, ITEMS_URL, LOGIN_URL, MERGE_URL, PASSWORD, add, guest_cart, quantities
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: connections are refused at once, like a Redis that is down.
DEAD_REDIS = "redis://127.0.0.1:1/{db}"


def _point_redis_at_dead_port(settings: LazySettings) -> None:
    """Every Redis alias at a dead port (Django resets the cache handlers when CACHES changes)."""
    caches = deepcopy(settings.CACHES)
    for db, alias in enumerate(caches, start=1):
        caches[alias]["LOCATION"] = DEAD_REDIS.format(db=db)
    settings.CACHES = caches


@pytest.fixture
def redis_down(settings: LazySettings) -> Iterator[None]:
    # The catalog remembers outages for a while; start and end with a clean slate.
    outages.clear()
    _point_redis_at_dead_port(settings)
    yield
    outages.clear()


def assert_cart_unavailable(response: Any) -> None:
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "cart_unavailable"
    assert response.headers["Retry-After"]


def test_anonymous_cart_endpoints_answer_503_while_catalog_still_answers(
    api_client: APIClient, product: Product, redis_down: None
) -> None:
    token = "A" * 43

    assert_cart_unavailable(api_client.get(CART_URL, HTTP_X_CART_TOKEN=token))
    assert_cart_unavailable(add(api_client, product, 1))
    assert_cart_unavailable(add(api_client, product, 1, token))
    assert_cart_unavailable(api_client.patch(f"{ITEMS_URL}{product.pk}/", {"quantity": 1}, HTTP_X_CART_TOKEN=token))
    assert_cart_unavailable(api_client.delete(f"{ITEMS_URL}{product.pk}/", HTTP_X_CART_TOKEN=token))

    products = api_client.get("/api/v1/products/")
    assert products.status_code == 200
    assert [p["id"] for p in products.json()["results"]] == [str(product.pk)]
    assert api_client.get(f"/api/v1/products/{product.pk}/").status_code == 200


def test_orders_with_explicit_items_and_signed_in_carts_still_work(
    customer: User, customer_client: APIClient, product: Product, redis_down: None
) -> None:
    order = customer_client.post("/api/v1/orders/", {"items": [{"product_id": str(product.pk), "quantity": 2}]})
    assert order.status_code == 201, order.json()

    # Signed-in users' carts live in Postgres and keep working.
    assert add(customer_client, product, 1).status_code == 201
    assert quantities(customer_client.get(CART_URL).json()) == {str(product.pk): 1}


def test_merge_endpoint_answers_503_and_login_still_succeeds(
    customer: User, customer_client: APIClient, settings: LazySettings
) -> None:
    product = ProductFactory.create(stock=5)
    token = guest_cart([(product, 2)])
    _point_redis_at_dead_port(settings)

    assert_cart_unavailable(customer_client.post(MERGE_URL, {"cart_token": token}))

    login = APIClient().post(LOGIN_URL, {"email": customer.email, "password": PASSWORD}, HTTP_X_CART_TOKEN=token)
    assert login.status_code == 200
    assert login.json()["cart"] is None
    assert login.json()["access"]
    assert not CartItem.objects.filter(cart__user=customer).exists()


@pytest.fixture
def garbage_redis(settings: LazySettings) -> Iterator[None]:
    """A server on the carts alias's address that answers something other than Redis (e.g. a proxy)."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(1024)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    settings.CACHES = {
        **settings.CACHES,
        "carts": {**settings.CACHES["carts"], "LOCATION": f"redis://127.0.0.1:{port}/2"},
    }
    yield
    listener.close()


def test_a_carts_store_answering_garbage_is_503_not_500(api_client: APIClient, garbage_redis: None) -> None:
    assert_cart_unavailable(api_client.get(CART_URL, HTTP_X_CART_TOKEN="A" * 43))
