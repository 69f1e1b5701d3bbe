"""Input limits, case by case: the ones the schema-driven sweep (test_hostile_input) cannot reach on its own."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.request
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from api.input_limits import json_depth, json_loads, positive_int
from catalog.models import Product
from core.bounds import column_bounds
from inventory.models import StockMovement
from orders.models import Order
from payments.models import WebhookEvent
from payments.providers.webhooks import SIGNATURE_HEADER, signature_header
from tests.factories import ProductFactory
from tests.quality.live_server import live_server
from tests.support import ROOT

DEEP = "[" * 50_000 + "]" * 50_000


# --- the parser's pieces -------------------------------------------------------------------------------------------


def test_json_depth_counts_brackets_outside_strings_only() -> None:
    assert json_depth('{"a": [1, {"b": "[[[[{{{"}]}') == 3
    assert json_depth(r'["\"[[[", "\\", [[]]]') == 3
    assert json_depth(DEEP) == 50_000
    # Escaped backslashes and quotes neither open nor close a string.
    assert json_depth(json.dumps({"a\\": "\\", "b": ['\\"]', {"c": ['\\\\"[[[']}]})) == 4


def test_json_loads_refuses_depth_before_decoding() -> None:
    from api.input_limits import JsonTooDeep, NullCharacter

    assert json_loads("[" * 32 + "]" * 32) == json_loads("[" * 32 + "]" * 32)
    with pytest.raises(JsonTooDeep):
        json_loads("[" * 33 + "]" * 33)
    with pytest.raises(JsonTooDeep):
        json_loads(DEEP.encode())
    with pytest.raises(NullCharacter):
        json_loads('{"k": ["ok", {"x\\u0000": 1}]}')


@pytest.mark.parametrize("raw", ["²", "١", "0", "00", "-1", "+1", " 1", "1.5", "abc", ""])
def test_positive_int_takes_ascii_digits_only(raw: str) -> None:
    from rest_framework.exceptions import ValidationError

    with pytest.raises(ValidationError):
        positive_int(raw, name="page")


def test_positive_int_clamps_any_length() -> None:
    assert positive_int("007", name="page") == 7
    assert positive_int("9" * 5000, name="page_size", maximum=100) == 100


def test_column_bounds_come_from_the_model_fields() -> None:
    assert column_bounds(Product, "stock_quantity") == (-(2**31), 2**31 - 1)
    assert column_bounds(Product, "price")[1] == Decimal("9999999999.99")
    assert column_bounds(Order, "total_amount")[1] == Decimal("9999999999.99")


def _signed_post(body: bytes, header: str) -> Any:
    extra: dict[str, Any] = {"HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_"): header}
    return APIClient().post("/api/v1/payments/webhooks/fake/", body, content_type="application/json", **extra)


# --- explicit cases ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_correctly_signed_deep_webhook_body_is_400_json_too_deep() -> None:
    body = DEEP.encode()
    header = signature_header(body=body, secret=settings.PAYMENT_WEBHOOK_SECRET, timestamp=None)
    response = _signed_post(body, header)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "json_too_deep"
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_correctly_signed_webhook_with_nul_is_400_null_character() -> None:
    body = b'{"id": "evt_\\u0000", "type": "payment.succeeded", "data": {}}'
    header = signature_header(body=body, secret=settings.PAYMENT_WEBHOOK_SECRET, timestamp=None)
    response = _signed_post(body, header)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "null_character"
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/cart/", "/api/v1/cart/items/"])
def test_cart_token_header_with_nul_is_400(path: str) -> None:
    product = ProductFactory.create(stock=5)
    response = APIClient().generic(
        "POST" if path.endswith("items/") else "GET",
        path,
        f'{{"product_id": "{product.pk}", "quantity": 1}}',
        content_type="application/json",
        HTTP_X_CART_TOKEN="abc\x00def",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "null_character", "detail": "NUL characters (\\u0000) are not accepted.", "attr": "X-Cart-Token"}
    ]


@pytest.mark.django_db
def test_cart_token_in_merge_body_with_nul_is_400(customer_client: APIClient) -> None:
    response = customer_client.post(
        "/api/v1/cart/merge/", {"cart_token": "abc\x00"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "null_character"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["color=red%00", "size=%00M", "attr=fabric:cot%00ton", "attr=fab%00ric:cotton"])
@pytest.mark.parametrize("signed_in", [False, True])
def test_catalog_filters_with_nul_are_400(query: str, signed_in: bool, customer_client: APIClient) -> None:
    client = customer_client if signed_in else APIClient()
    response = client.get(f"/api/v1/products/?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "null_character"
    assert response.json()["errors"][0]["attr"] == query.split("=")[0]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["page=²", "page=0", "page=-1", "page=abc", "page=1.5", "page_size=²", "page_size=0"])
def test_bad_page_on_the_cached_anonymous_path_is_400(query: str) -> None:
    ProductFactory.create_batch(3, stock=1)
    client = APIClient()
    for _ in range(2):  # the second read is a cache hit, answered before DRF
        assert client.get("/api/v1/products/?page=1").headers["X-Cache"] in ("HIT", "MISS")
    assert client.get("/api/v1/products/?page=1").headers["X-Cache"] == "HIT"
    for _ in range(2):
        response = client.get(f"/api/v1/products/?{query}")
        assert response.status_code == 400, response.content
        assert response.json()["errors"][0]["attr"] == query.split("=")[0]


@pytest.mark.django_db
def test_stock_adjustment_beyond_the_column_is_400_naming_the_limit(manager_client: APIClient) -> None:
    product = ProductFactory.create(stock=2**31 - 10)
    movements = StockMovement.objects.count()
    response = manager_client.post(
        f"/api/v1/inventory/{product.pk}/adjust/", {"delta": 10, "note": "Count"}, format="json"
    )
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert error["code"] == "out_of_range"
    assert error["attr"] == "stock_quantity"
    assert str(2**31 - 1) in error["detail"]
    product.refresh_from_db()
    assert product.stock_quantity == 2**31 - 10
    assert StockMovement.objects.count() == movements


@pytest.mark.django_db
def test_order_total_beyond_max_digits_is_400_naming_the_limit(customer_client: APIClient) -> None:
    product = ProductFactory.create(stock=10, price=Decimal("9999999999.99"))
    response = customer_client.post(
        "/api/v1/orders/",
        {"items": [{"product_id": str(product.pk), "quantity": 2}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="order-1",
    )
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert error["code"] == "out_of_range"
    assert error["attr"] == "total_amount"
    assert "9999999999.99" in error["detail"]
    assert not Order.objects.exists()
    product.refresh_from_db()
    assert product.stock_quantity == 10


# --- configuration and deployment ----------------------------------------------------------------------------------


def _settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CELERY_BROKER_URL, *(s.CACHES[a]['LOCATION'] for a in ('default', 'carts', 'throttle', 'sessions')))"
    )
    process_env = {k: v for k, v in os.environ.items() if not k.endswith("REDIS_URL") and k != "CACHE_URL"}
    # The base settings: the test settings move every role to databases of their own.
    process_env.update({"DJANGO_SETTINGS_MODULE": "config.settings.base", **env})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=process_env, capture_output=True, text=True, timeout=60
    )


def test_redis_url_with_a_database_is_the_base_of_every_role() -> None:
    result = _settings_with(REDIS_URL="redis://127.0.0.1:6379/8")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [f"redis://127.0.0.1:6379/{db}" for db in range(8, 13)]
    assert "broker 8, cache 9, carts 10, throttle 11, sessions 12" in result.stderr  # the startup log line


@pytest.mark.parametrize(
    ("url", "message"),
    [("redis://127.0.0.1:6379/x", "use a number"), ("redis://127.0.0.1:6379/12", "need databases 12-16")],
)
def test_redis_url_with_an_unusable_database_refuses_to_start(url: str, message: str) -> None:
    result = _settings_with(REDIS_URL=url)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


@pytest.mark.django_db
def test_healthz_is_degraded_naming_the_cache_when_the_cache_is_down(api_client: APIClient, settings: Any) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/1"},  # a closed port
    }
    response = api_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["failing"] == ["cache"]
    assert body["database"] == "ok"
    assert body["cache"] != "ok"


@pytest.mark.django_db
def test_healthz_is_degraded_naming_the_broker_when_the_broker_is_down(api_client: APIClient, settings: Any) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    body = api_client.get("/healthz").json()
    assert (body["status"], body["failing"]) == ("degraded", ["broker"])


def test_check_deploy_is_clean_with_production_settings() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
        "PUBLIC_ORIGIN": "https://shop.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_production_server_sends_no_server_header() -> None:
    with live_server(workers=1) as server, urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as response:  # noqa: S310
        assert response.status == 200
        assert response.headers.get("Server") is None


@pytest.mark.django_db
def test_nul_in_a_form_encoded_field_is_400(client: Any) -> None:
    response = client.post(
        "/admin/login/", "username=a%00&password=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "username"


@pytest.mark.django_db
def test_nul_in_the_path_is_400() -> None:
    response = APIClient().get("/api/v1/products/a%00b/")
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "null_character",
        "detail": "NUL characters (\\u0000) are not accepted.",
        "attr": "path",
    }
