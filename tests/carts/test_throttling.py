import pytest
from rest_framework.test import APIClient

from api.throttling import AnonRateThrottle, UserRateThrottle
from catalog.models import Product
from tests.carts.conftest import CART_URL, add

pytestmark = pytest.mark.django_db


def test_anonymous_cart_requests_are_throttled_per_ip(
    api_client: APIClient, product: Product, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {**AnonRateThrottle.THROTTLE_RATES, "anon": "3/min"})

    token = add(api_client, product).json()["cart_token"]
    assert api_client.get(CART_URL, HTTP_X_CART_TOKEN=token).status_code == 200
    assert api_client.get(CART_URL, HTTP_X_CART_TOKEN=token).status_code == 200

    throttled = add(api_client, product, 1, token)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"]


def test_signed_in_cart_requests_use_the_user_rate(
    customer_client: APIClient, product: Product, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {**AnonRateThrottle.THROTTLE_RATES, "anon": "1/min"})
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {**UserRateThrottle.THROTTLE_RATES, "user": "2/min"})

    assert add(customer_client, product).status_code == 201
    assert customer_client.get(CART_URL).status_code == 200
    assert customer_client.get(CART_URL).status_code == 429
