"""AnonymousAsyncAPIView: which calls run on the event loop, and that they get DRF's usual answers there."""

from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import User
from api.throttling import AnonRateThrottle
from carts.api.views import CartDetailView, CartItemListView
from catalog.models import Product
from tests.carts.conftest import CART_URL, add, headers

pytestmark = pytest.mark.django_db


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("this handler must not serve the call")


def test_anonymous_json_calls_take_the_async_handlers(
    api_client: APIClient, product: Product, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CartDetailView, "get", _refuse)
    monkeypatch.setattr(CartItemListView, "post", _refuse)

    created = add(api_client, product, 2)
    assert created.status_code == 201
    token = created.json()["cart_token"]
    assert created.headers["X-Cart-Token"] == token

    read = api_client.get(CART_URL, **headers(token))
    assert read.status_code == 200
    assert read.json()["items"][0]["quantity"] == 2
    assert read.headers["Content-Type"] == "application/json"
    assert "Accept" in read.headers["Vary"]
    assert read.data == read.json()  # DRF's test habit keeps working


def test_signed_in_calls_take_the_sync_handlers(
    customer_client: APIClient, product: Product, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CartDetailView, "anonymous_get", _refuse)
    monkeypatch.setattr(CartItemListView, "anonymous_post", _refuse)

    assert add(customer_client, product, 1).status_code == 201
    body = customer_client.get(CART_URL).json()
    assert body["cart_token"] is None
    assert body["items"][0]["quantity"] == 1


def test_a_session_cookie_takes_the_sync_path(
    customer: User, product: Product, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CartDetailView, "anonymous_get", _refuse)
    client = APIClient()
    client.force_login(customer)
    assert settings.SESSION_COOKIE_NAME in client.cookies

    assert client.get(CART_URL).status_code == 200


def test_the_browsable_api_is_rendered_off_the_event_loop(
    api_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CartDetailView, "anonymous_get", _refuse)

    response = api_client.get(CART_URL, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")


def test_an_unacceptable_media_type_is_a_406_in_the_envelope(api_client: APIClient) -> None:
    response = api_client.get(CART_URL, HTTP_ACCEPT="application/xml")

    assert response.status_code == 406
    assert response.json()["errors"][0]["code"] == "not_acceptable"


def test_bad_input_on_the_async_path_is_a_400_in_the_envelope(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/cart/items/", {"product_id": "nope", "quantity": 0}, format="json")

    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} == {"product_id", "quantity"}


def test_malformed_json_on_the_async_path_is_a_400(api_client: APIClient) -> None:
    response = api_client.generic("POST", "/api/v1/cart/items/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_throttled_on_the_async_path_with_retry_after(api_client: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {**AnonRateThrottle.THROTTLE_RATES, "anon": "2/min"})

    assert [api_client.get(CART_URL).status_code for _ in range(3)] == [200, 200, 429]
    throttled = api_client.get(CART_URL)
    assert throttled.json()["errors"][0]["code"] == "throttled"
    assert 0 < int(throttled.headers["Retry-After"]) <= 60


def test_unsupported_method_is_a_405(api_client: APIClient) -> None:
    response = api_client.put(CART_URL, {}, format="json")

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_a_user_forced_by_the_test_client_takes_the_sync_path(customer: User, product: Product) -> None:
    client = APIClient()
    client.force_authenticate(customer)

    assert add(client, product, 2).status_code == 201
    body = client.get(CART_URL).json()
    assert body["cart_token"] is None
    assert body["item_count"] == 2
