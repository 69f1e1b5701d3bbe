import time
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from carts import anonymous
from catalog.models import Product
from tests.carts.conftest import CART_URL, add, headers, item_url, quantities
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_first_write_issues_token_in_body_and_header_and_it_is_reused(api_client: APIClient, product: Product) -> None:
    first = add(api_client, product, 2)

    assert first.status_code == 201
    token = first.json()["cart_token"]
    assert anonymous.token_is_valid(token)
    assert first.headers["X-Cart-Token"] == token

    other = ProductFactory.create(stock=5)
    second = add(api_client, other, 1, token)
    assert second.status_code == 201
    assert second.json()["cart_token"] == token
    assert quantities(second.json()) == {str(product.pk): 2, str(other.pk): 1}

    read = api_client.get(CART_URL, **headers(token))
    assert read.status_code == 200
    assert quantities(read.json()) == {str(product.pk): 2, str(other.pk): 1}


def test_tokens_are_random_per_cart(api_client: APIClient, product: Product) -> None:
    tokens = {add(APIClient(), product).json()["cart_token"] for _ in range(3)}
    assert len(tokens) == 3


def test_adding_the_same_product_sums_quantities(api_client: APIClient, product: Product) -> None:
    token = add(api_client, product, 2).json()["cart_token"]
    body = add(api_client, product, 3, token).json()

    assert quantities(body) == {str(product.pk): 5}
    assert body["item_count"] == 5


def test_response_shape_uses_current_prices(api_client: APIClient, cart_redis: Any) -> None:
    product = ProductFactory.create(stock=10, price=Decimal("12.50"))
    token = add(api_client, product, 3).json()["cart_token"]
    Product.objects.filter(pk=product.pk).update(price=Decimal("10.00"))

    body = api_client.get(CART_URL, **headers(token)).json()

    assert body == {
        "cart_token": token,
        "items": [
            {
                "product_id": str(product.pk),
                "name": product.name,
                "unit_price": "10.00",
                "quantity": 3,
                "line_total": "30.00",
            }
        ],
        "total": "30.00",
        "item_count": 3,
        "notices": [],
    }


def test_ttl_is_set_on_create_and_refreshed_on_write(
    api_client: APIClient, product: Product, cart_redis: Any, settings: Any
) -> None:
    token = add(api_client, product).json()["cart_token"]
    key = anonymous.cart_key(token)
    assert 0 < cart_redis.ttl(key) <= settings.CART_TTL_SECONDS

    cart_redis.expire(key, 100)
    add(api_client, product, 1, token)
    assert cart_redis.ttl(key) > 100

    cart_redis.expire(key, 100)
    api_client.patch(item_url(product), {"quantity": 1}, **headers(token))
    assert cart_redis.ttl(key) > 100

    cart_redis.expire(key, 100)
    api_client.get(CART_URL, **headers(token))
    assert cart_redis.ttl(key) <= 100, "a read must not extend the cart's life"


def test_cart_with_one_second_ttl_is_gone_after_it_expires(
    api_client: APIClient, product: Product, cart_redis: Any, settings: Any
) -> None:
    settings.CART_TTL_SECONDS = 1
    token = add(api_client, product, 2).json()["cart_token"]
    assert cart_redis.ttl(anonymous.cart_key(token)) == 1

    deadline = time.monotonic() + 5
    while cart_redis.exists(anonymous.cart_key(token)) and time.monotonic() < deadline:
        time.sleep(0.05)

    body = api_client.get(CART_URL, **headers(token)).json()
    assert body["items"] == []
    assert body["cart_token"] is None
    # A write after expiry starts a new cart under a new token.
    again = add(api_client, product, 1, token).json()
    assert again["cart_token"] != token
    assert quantities(again) == {str(product.pk): 1}


@pytest.mark.parametrize("token", ["unknown-token", "x" * 43, ""])
def test_unknown_or_malformed_token_reads_as_empty_cart(api_client: APIClient, token: str) -> None:
    response = api_client.get(CART_URL, **headers(token))

    assert response.status_code == 200
    assert response.json() == {"cart_token": None, "items": [], "total": "0.00", "item_count": 0, "notices": []}


def test_write_with_unknown_token_starts_a_new_cart(api_client: APIClient, product: Product) -> None:
    forged = "A" * 43
    body = add(api_client, product, 1, forged).json()

    assert body["cart_token"] != forged
    assert anonymous.token_is_valid(body["cart_token"])


@pytest.mark.parametrize(
    ("payload", "attr"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": "many"}, "quantity"),
        ({"quantity": 10_001}, "quantity"),
        ({"product_id": "not-a-uuid"}, "product_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_input_is_400(api_client: APIClient, product: Product, payload: dict[str, Any], attr: str) -> None:
    response = api_client.post("/api/v1/cart/items/", {"product_id": str(product.pk), "quantity": 1, **payload})

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert response.json()["errors"][0]["attr"] == attr


def test_quantity_above_stock_is_409_with_available_quantity(api_client: APIClient, product: Product) -> None:
    response = add(api_client, product, 11)

    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["code"] == "insufficient_stock"
    assert error["available"] == 10
    assert error["requested"] == 11
    assert error["product_id"] == str(product.pk)


def test_sum_above_stock_is_409_and_leaves_cart_unchanged(
    api_client: APIClient, product: Product, redis_cart_lines: Any
) -> None:
    token = add(api_client, product, 8).json()["cart_token"]

    response = add(api_client, product, 3, token)

    assert response.status_code == 409
    assert response.json()["errors"][0]["requested"] == 11
    assert redis_cart_lines(token) == {str(product.pk): 8}


@pytest.mark.parametrize("active", [False, None])
def test_unknown_or_inactive_product_is_404(api_client: APIClient, active: bool | None) -> None:
    product = ProductFactory.create(stock=5, is_active=bool(active))
    payload_id = str(product.pk) if active is not None else "00000000-0000-0000-0000-000000000001"

    response = api_client.post("/api/v1/cart/items/", {"product_id": payload_id, "quantity": 1})

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "product_not_found"


def test_patch_sets_quantity_and_checks_stock(api_client: APIClient, product: Product) -> None:
    token = add(api_client, product, 2).json()["cart_token"]

    ok = api_client.patch(item_url(product), {"quantity": 7}, **headers(token))
    assert ok.status_code == 200
    assert quantities(ok.json()) == {str(product.pk): 7}

    too_many = api_client.patch(item_url(product), {"quantity": 11}, **headers(token))
    assert too_many.status_code == 409
    assert too_many.json()["errors"][0]["available"] == 10

    zero = api_client.patch(item_url(product), {"quantity": 0}, **headers(token))
    assert zero.status_code == 400


def test_patch_of_missing_line_is_404(api_client: APIClient, product: Product) -> None:
    other = ProductFactory.create(stock=3)
    token = add(api_client, product).json()["cart_token"]

    response = api_client.patch(item_url(other), {"quantity": 1}, **headers(token))
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_in_cart"

    no_cart = api_client.patch(item_url(other), {"quantity": 1})
    assert no_cart.status_code == 404


def test_delete_removes_line_and_is_idempotent(api_client: APIClient, product: Product, redis_cart_lines: Any) -> None:
    other = ProductFactory.create(stock=3)
    token = add(api_client, product).json()["cart_token"]
    add(api_client, other, 2, token)

    assert api_client.delete(item_url(product), **headers(token)).status_code == 204
    assert api_client.delete(item_url(product), **headers(token)).status_code == 204
    assert redis_cart_lines(token) == {str(other.pk): 2}
    assert quantities(api_client.get(CART_URL, **headers(token)).json()) == {str(other.pk): 2}


def test_cart_line_limit(api_client: APIClient, settings: Any) -> None:
    settings.CART_MAX_LINES = 2
    first, second, third = ProductFactory.create_batch(3, stock=5)
    token = add(api_client, first).json()["cart_token"]
    add(api_client, second, 1, token)

    response = add(api_client, third, 1, token)
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "cart_full"
    # Existing lines can still grow.
    assert add(api_client, first, 1, token).status_code == 201


def test_inactive_product_line_is_dropped_with_notice(
    api_client: APIClient, product: Product, redis_cart_lines: Any
) -> None:
    other = ProductFactory.create(stock=5)
    token = add(api_client, product, 2).json()["cart_token"]
    add(api_client, other, 1, token)
    Product.objects.filter(pk=product.pk).update(is_active=False)

    body = api_client.get(CART_URL, **headers(token)).json()

    assert quantities(body) == {str(other.pk): 1}
    assert [(n["code"], n["product_id"]) for n in body["notices"]] == [("product_unavailable", str(product.pk))]
    assert redis_cart_lines(token) == {str(other.pk): 1}
    assert api_client.get(CART_URL, **headers(token)).json()["notices"] == []


def test_inactive_line_is_dropped_on_write_too(api_client: APIClient, product: Product, redis_cart_lines: Any) -> None:
    other = ProductFactory.create(stock=5)
    token = add(api_client, product, 2).json()["cart_token"]
    Product.objects.filter(pk=product.pk).update(is_active=False)

    body = add(api_client, other, 1, token).json()

    assert quantities(body) == {str(other.pk): 1}
    assert body["notices"][0]["product_id"] == str(product.pk)
    assert redis_cart_lines(token) == {str(other.pk): 1}


def test_read_and_write_use_at_most_one_query(api_client: APIClient, django_assert_max_num_queries: Any) -> None:
    products = ProductFactory.create_batch(5, stock=5)
    token = add(api_client, products[0]).json()["cart_token"]
    for product in products[1:4]:
        add(api_client, product, 1, token)

    with django_assert_max_num_queries(1):
        assert add(api_client, products[4], 2, token).status_code == 201
    with django_assert_max_num_queries(1):
        body = api_client.get(CART_URL, **headers(token)).json()
    assert len(body["items"]) == 5
    with django_assert_max_num_queries(1):
        assert api_client.patch(item_url(products[0]), {"quantity": 3}, **headers(token)).status_code == 200
    with django_assert_max_num_queries(0):
        assert api_client.delete(item_url(products[0]), **headers(token)).status_code == 204
