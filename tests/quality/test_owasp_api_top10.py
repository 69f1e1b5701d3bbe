"""OWASP API Security Top 10 (2023), item by item, through real requests to the API.

Each section names the risk it covers. Requests go through the whole Django stack (middleware, DRF,
exception handling); the concurrency tests use real threads on a committed database.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import Role, User
from api.throttling import AnonRateThrottle, LoginRateThrottle
from carts.services import cart_item_add
from catalog.models import Category
from orders.models import Order, OrderStatus
from payments.models import Payment, PaymentStatus
from tests.factories import ProductFactory, UserFactory
from tests.factories.orders import make_order
from tests.factories.payments import signed_webhook
from tests.support import ROOT, run_concurrently

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
UUID_IN_PATH = "00000000-0000-4000-8000-000000000000"


def _schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in _schema()["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", UUID_IN_PATH, path)


def _codes(response: Any) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


# --- API1:2023 Broken Object Level Authorization -----------------------------------------------------------


@pytest.fixture
def victim_order(db: None) -> Order:
    return make_order(user=UserFactory.create())


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("post", "cancel/", {}),
        ("post", "pay/", {"provider": "fake", "payment_token": "tok_ok"}),
    ],
)
def test_another_customers_order_is_not_found(
    customer_client: APIClient, victim_order: Order, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    response = getattr(customer_client, method)(
        f"/api/v1/orders/{victim_order.pk}/{suffix}", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex
    )
    assert response.status_code == 404
    victim_order.refresh_from_db()
    assert victim_order.status == OrderStatus.PENDING
    assert not Payment.objects.filter(order=victim_order).exists()


def test_order_list_shows_only_own_orders(customer: User, customer_client: APIClient, victim_order: Order) -> None:
    own = make_order(user=customer)
    ids = {row["id"] for row in customer_client.get("/api/v1/orders/").json()["results"]}
    assert ids == {str(own.pk)}


def test_another_users_cart_cannot_be_read_or_changed(customer_client: APIClient) -> None:
    product = ProductFactory.create(stock=5)
    victim = UserFactory.create()
    cart_item_add(user=victim, cart_token=None, product_id=product.pk, quantity=2)
    guest = cart_item_add(user=None, cart_token=None, product_id=product.pk, quantity=3)

    # A signed-in caller always gets their own cart: an anonymous cart token in the header is ignored.
    mine = customer_client.get("/api/v1/cart/", HTTP_X_CART_TOKEN=guest.cart_token).json()
    assert mine["items"] == []
    removed = customer_client.delete(f"/api/v1/cart/items/{product.pk}/", HTTP_X_CART_TOKEN=guest.cart_token)
    assert removed.status_code == 204
    assert APIClient().get("/api/v1/cart/", HTTP_X_CART_TOKEN=guest.cart_token).json()["item_count"] == 3
    victim_client = APIClient()
    victim_client.force_authenticate(victim)
    assert victim_client.get("/api/v1/cart/").json()["item_count"] == 2


def test_another_customers_payment_is_not_reachable(customer_client: APIClient) -> None:
    victim_order = make_order(user=UserFactory.create())
    response = customer_client.post(
        f"/api/v1/orders/{victim_order.pk}/pay/",
        {"provider": "fake", "payment_token": "tok_ok"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="same-key-as-victim",
    )
    assert response.status_code == 404
    assert _codes(response) == ["order_not_found"]


# --- API2:2023 Broken Authentication ------------------------------------------------------------------------


def _login(client: APIClient, email: str, password: str) -> Any:
    return client.post("/api/v1/auth/token/", {"email": email, "password": password}, format="json")


def test_refresh_token_cannot_be_reused(customer: User, api_client: APIClient) -> None:
    tokens = _login(api_client, customer.email, PASSWORD).json()
    first = api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert first.status_code == 200
    replay = api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert replay.status_code == 401


def test_logged_out_refresh_token_is_dead(customer: User, api_client: APIClient) -> None:
    tokens = _login(api_client, customer.email, PASSWORD).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json").status_code == 204
    again = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert again.status_code == 401


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{header}.{payload}.{flipped}"


def _forged_role_claim(token: str) -> str:
    import base64

    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["user_id"] = str(UserFactory.create(admin=True).pk)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("mangle", [_tampered, _forged_role_claim, lambda token: token[:-10], lambda _: "not-a-jwt"])
def test_tampered_tokens_are_refused(customer: User, mangle: Callable[[str], str]) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mangle(str(AccessToken.for_user(customer)))}")
    response = client.get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"


def test_expired_access_token_is_refused(customer: User) -> None:
    token = AccessToken.for_user(customer)
    token.set_exp(lifetime=-timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_unsigned_alg_none_token_is_refused(customer: User) -> None:
    import base64

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = dict(AccessToken.for_user(customer).payload)
    token = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_refresh_token_is_not_accepted_as_access_token(customer: User) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(customer)}")
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_login_is_throttled_per_account(customer: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LoginRateThrottle, "THROTTLE_RATES", {**LoginRateThrottle.THROTTLE_RATES, "login": "5/min"})
    client = APIClient()
    statuses = [_login(client, customer.email, "wrong-password").status_code for _ in range(5)]
    assert statuses == [401] * 5
    blocked = _login(client, customer.email, PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0


def test_deactivated_user_token_stops_working(customer: User, customer_client: APIClient) -> None:
    assert customer_client.get("/api/v1/auth/me/").status_code == 200
    User.objects.filter(pk=customer.pk).update(is_active=False)
    assert customer_client.get("/api/v1/auth/me/").status_code == 401


# --- API3:2023 Broken Object Property Level Authorization ---------------------------------------------------


def test_register_cannot_choose_role_or_verification(api_client: APIClient) -> None:
    response = api_client.post(
        "/api/v1/auth/register/",
        {
            "email": "mallory@example.com",
            "password": "a-long-unusual-passphrase-9",
            "role": Role.ADMIN,
            "is_verified": True,
            "is_staff": True,
            "is_superuser": True,
        },
        format="json",
    )
    assert response.status_code == 202
    user = User.objects.get(email="mallory@example.com")
    assert (user.role, user.is_verified, user.is_staff, user.is_superuser) == (Role.CUSTOMER, False, False, False)


def test_customer_cannot_raise_own_role_or_verify_self(customer: User, customer_client: APIClient) -> None:
    User.objects.filter(pk=customer.pk).update(is_verified=False)
    response = customer_client.patch(
        "/api/v1/auth/me/", {"role": Role.ADMIN, "is_verified": True, "first_name": "Eve"}, format="json"
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.role, customer.is_verified, customer.first_name) == (Role.CUSTOMER, False, "Eve")


def test_customer_cannot_set_order_price_or_status(customer_client: APIClient) -> None:
    product = ProductFactory.create(stock=5, price=Decimal("49.00"))
    response = customer_client.post(
        "/api/v1/orders/",
        {"items": [{"product_id": str(product.pk), "quantity": 1, "price_at_purchase": "0.01"}], "status": "SHIPPED"},
        format="json",
    )
    assert response.status_code == 400
    assert {e["attr"] for e in response.json()["errors"]} >= {"status"}
    assert not Order.objects.exists()

    placed = customer_client.post(
        "/api/v1/orders/", {"items": [{"product_id": str(product.pk), "quantity": 1}]}, format="json"
    ).json()
    assert placed["status"] == OrderStatus.PENDING
    assert placed["items"][0]["price_at_purchase"] == "49.00"
    status_change = customer_client.post(f"/api/v1/orders/{placed['id']}/status/", {"status": "SHIPPED"}, format="json")
    assert status_change.status_code == 403


def test_customer_cannot_send_a_payment_amount(customer: User, customer_client: APIClient) -> None:
    order = make_order(user=customer)
    response = customer_client.post(
        f"/api/v1/orders/{order.pk}/pay/",
        {"provider": "fake", "payment_token": "tok_ok", "amount": "0.01"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert response.status_code == 400
    assert _codes(response) == ["unknown_field"]
    assert not Payment.objects.exists()


def test_no_response_ever_contains_a_password_hash(
    customer: User, customer_client: APIClient, admin_user: User, admin_client_api: APIClient, api_client: APIClient
) -> None:
    hashes = {customer.password, admin_user.password}
    responses = [
        customer_client.get("/api/v1/auth/me/"),
        customer_client.patch("/api/v1/auth/me/", {"last_name": "X"}, format="json"),
        admin_client_api.get("/api/v1/users/"),
        admin_client_api.get(f"/api/v1/users/{customer.pk}/"),
        admin_client_api.patch(f"/api/v1/users/{customer.pk}/", {"first_name": "Y"}, format="json"),
        api_client.post(
            "/api/v1/auth/register/", {"email": "new@example.com", "password": "another-long-pass-77"}, format="json"
        ),
        _login(APIClient(), customer.email, PASSWORD),
    ]
    hashes.add(User.objects.get(email="new@example.com").password)
    for response in responses:
        assert response.status_code in (200, 201, 202), response.content
        body = response.content.decode()
        assert "password" not in body
        assert not any(hashed in body for hashed in hashes)


# --- API4:2023 Unrestricted Resource Consumption ------------------------------------------------------------


def test_page_size_is_capped(customer_client: APIClient) -> None:
    Category.objects.bulk_create(Category(name=f"C{n}", slug=f"c-{n}") for n in range(130))
    response = customer_client.get("/api/v1/categories/?page_size=100000")
    assert response.status_code == 200
    assert response.json()["count"] == 130
    assert len(response.json()["results"]) == 100


@pytest.mark.parametrize("page_size", ["0", "-5", "abc", "1e3"])
def test_invalid_page_size_is_a_400(customer_client: APIClient, page_size: str) -> None:
    response = customer_client.get(f"/api/v1/orders/?page_size={page_size}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "page_size"


@pytest.mark.parametrize("path", ["/api/v1/auth/register/", "/api/v1/orders/", "/api/v1/payments/webhooks/fake/"])
def test_oversized_json_body_is_413_in_the_envelope(customer_client: APIClient, path: str) -> None:
    body = json.dumps({"email": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = customer_client.generic("POST", path, body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {"code": "request_too_large", "detail": "The request body is larger than the server accepts.", "attr": None}
        ],
    }


def test_order_line_count_and_quantities_are_bounded(customer_client: APIClient) -> None:
    product = ProductFactory.create(stock=5)
    too_many = [{"product_id": str(uuid.uuid4()), "quantity": 1} for _ in range(1000)]
    assert customer_client.post("/api/v1/orders/", {"items": too_many}, format="json").status_code == 400
    huge = [{"product_id": str(product.pk), "quantity": 10**12}]
    assert customer_client.post("/api/v1/orders/", {"items": huge}, format="json").status_code == 400


def test_anonymous_requests_are_throttled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {**AnonRateThrottle.THROTTLE_RATES, "anon": "3/min"})
    client = APIClient()
    statuses = [client.get("/api/v1/cart/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# --- API5:2023 Broken Function Level Authorization -----------------------------------------------------------


def _staff_only_operations() -> list[tuple[str, str]]:
    """Operations whose documented answers include 403: the ones limited to managers or admins."""
    return [(method, path) for method, path, op in _operations() if "403" in op["responses"]]


def test_schema_marks_the_expected_staff_operations() -> None:
    staff = set(_staff_only_operations())
    for expected in [
        ("POST", "/api/v1/products/"),
        ("DELETE", "/api/v1/categories/{id}/"),
        ("POST", "/api/v1/inventory/{product_id}/adjust/"),
        ("GET", "/api/v1/inventory/low-stock/"),
        ("POST", "/api/v1/orders/{order_id}/status/"),
        ("PATCH", "/api/v1/users/{id}/"),
    ]:
        assert expected in staff
    assert ("GET", "/api/v1/products/") not in staff


def test_customer_is_refused_on_every_staff_operation(customer_client: APIClient) -> None:
    product = ProductFactory.create(stock=3)
    refused = []
    for method, path in _staff_only_operations():
        concrete = _concrete(path).replace(UUID_IN_PATH, str(product.pk))
        response = customer_client.generic(method, concrete, "{}", content_type="application/json")
        refused.append((method, path, response.status_code))
    assert refused, "no staff operations found"
    assert all(status == 403 for *_, status in refused), refused
    product.refresh_from_db()
    assert product.is_active
    assert product.stock_quantity == 3


def test_anonymous_is_401_on_every_operation_that_needs_a_user(api_client: APIClient) -> None:
    answers = []
    for method, path, operation in _operations():
        security = operation.get("security") or [{}]
        if {} in security or not security:
            continue
        response = api_client.generic(method, _concrete(path), "{}", content_type="application/json")
        answers.append((method, path, response.status_code))
    assert answers
    assert all(status == 401 for *_, status in answers), answers


def test_manager_is_refused_on_admin_only_user_management(manager_client: APIClient, customer: User) -> None:
    assert manager_client.get("/api/v1/users/").status_code == 403
    response = manager_client.patch(f"/api/v1/users/{customer.pk}/", {"role": Role.ADMIN}, format="json")
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.role == Role.CUSTOMER


# --- API6:2023 Unrestricted Access to Sensitive Business Flows ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_last_item_is_sold_once_under_a_race() -> None:
    product = ProductFactory.create(stock=1)
    buyers = UserFactory.create_batch(6)

    def buy(index: int) -> int:
        client = APIClient()
        client.force_authenticate(buyers[index])
        body = {"items": [{"product_id": str(product.pk), "quantity": 1}]}
        return client.post("/api/v1/orders/", body, format="json").status_code

    statuses = run_concurrently(len(buyers), buy, reraise=True)
    assert sorted(statuses) == [201] + [409] * (len(buyers) - 1)
    product.refresh_from_db()
    assert product.stock_quantity == 0
    assert Order.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_order_is_charged_once_under_concurrent_payments(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.throttling import PaymentRateThrottle

    monkeypatch.setattr(
        PaymentRateThrottle, "THROTTLE_RATES", {**PaymentRateThrottle.THROTTLE_RATES, "payments": "1000/min"}
    )
    customer = UserFactory.create()
    order = make_order(user=customer)

    def pay(index: int) -> int:
        client = APIClient()
        client.force_authenticate(customer)
        return client.post(
            f"/api/v1/orders/{order.pk}/pay/",
            {"provider": "fake", "payment_token": "tok_ok"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"attempt-{index}",
        ).status_code

    statuses = run_concurrently(5, pay, reraise=True)
    assert statuses.count(201) == 1
    assert set(statuses) <= {201, 409}
    assert Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PAYMENT_CONFIRMED


def test_payments_are_rate_limited_per_user(customer: User, customer_client: APIClient) -> None:
    from api.throttling import PaymentRateThrottle

    rate = str(PaymentRateThrottle.THROTTLE_RATES["payments"])
    limit = int(rate.split("/")[0])
    order = make_order(user=customer)
    statuses = [
        customer_client.post(
            f"/api/v1/orders/{order.pk}/pay/",
            {"provider": "fake", "payment_token": "tok_declined"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"try-{n}",
        ).status_code
        for n in range(limit + 1)
    ]
    assert statuses[-1] == 429
    assert 429 not in statuses[:-1]


# --- API7:2023 Server Side Request Forgery -----------------------------------------------------------------

APP_PACKAGES = (
    "accounts",
    "api",
    "backoffice",
    "carts",
    "catalog",
    "config",
    "core",
    "emails",
    "idempotency",
    "inventory",
    "orders",
    "payments",
)
OUTBOUND_HTTP_MODULES = {"requests", "httpx", "urllib.request", "urllib3", "aiohttp", "http.client", "pycurl"}


def test_no_application_code_makes_outbound_http_requests() -> None:
    """No endpoint can be turned into a proxy: code that serves requests imports no HTTP client at all.

    Management commands are operator tools run from a shell (e.g. a load generator aimed at a server the
    operator names); no request can reach them.
    """
    offenders = []
    for package in APP_PACKAGES:
        for source in (ROOT / package).rglob("*.py"):
            if "management" in source.parts:
                continue
            tree = ast.parse(source.read_text(), filename=str(source))
            for node in ast.walk(tree):
                names = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                offenders += [
                    f"{source.relative_to(ROOT)}: {name}"
                    for name in names
                    if any(name == m or name.startswith(f"{m}.") for m in OUTBOUND_HTTP_MODULES)
                ]
    assert offenders == []


def test_no_request_body_takes_a_url() -> None:
    schemas = _schema()["components"]["schemas"]
    url_fields = [
        f"{name}.{field}"
        for name, component in schemas.items()
        if name.endswith("Request")
        for field, spec in component.get("properties", {}).items()
        if spec.get("format") in ("uri", "url") or re.search(r"(url|uri|callback|webhook|href)$", field)
    ]
    assert url_fields == []


# --- API8:2023 Security Misconfiguration -------------------------------------------------------------------

_PRODUCTION_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
health = client.get("/healthz", secure=True)
html = client.get("/api/v1/categories/", secure=True, HTTP_ACCEPT="text/html")
cors = client.get("/healthz", secure=True, HTTP_ORIGIN="https://evil.example")
plain = client.get("/api/v1/categories/", HTTP_HOST="shop.example")
missing = client.get("/api/v1/no-such-endpoint/", secure=True)
print(json.dumps({
    "debug": settings.DEBUG,
    "renderers": settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
    "health_headers": dict(health.headers),
    "html_status": html.status_code,
    "html_type": html.headers.get("Content-Type"),
    "cors_allow_origin": cors.headers.get("Access-Control-Allow-Origin"),
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location"),
    "missing_status": missing.status_code,
    "missing_body": missing.content.decode(),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
}))
"""


@pytest.fixture(scope="module")
def production_probe() -> dict[str, Any]:
    """Requests answered by the production settings module, in a process of its own."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "probe-" + uuid.uuid4().hex * 2,
        "DJANGO_ALLOWED_HOSTS": "testserver,shop.example",
        "PUBLIC_ORIGIN": "https://shop.example",
        "DJANGO_DEBUG": "true",  # production must ignore it
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop"),
    }
    completed = subprocess.run(
        [sys.executable, "-c", _PRODUCTION_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def test_production_runs_with_debug_off(production_probe: dict[str, Any]) -> None:
    assert production_probe["debug"] is False


def test_production_sends_security_headers(production_probe: dict[str, Any]) -> None:
    headers = {name.lower(): value for name, value in production_probe["health_headers"].items()}
    assert headers["strict-transport-security"].startswith("max-age=")
    assert int(headers["strict-transport-security"].split("=")[1].split(";")[0]) >= 60 * 60 * 24 * 30
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert production_probe["session_cookie_secure"] is True
    assert production_probe["csrf_cookie_secure"] is True


def test_production_redirects_plain_http(production_probe: dict[str, Any]) -> None:
    assert production_probe["plain_status"] == 301
    assert production_probe["plain_location"].startswith("https://")


def test_production_has_no_browsable_api(production_probe: dict[str, Any]) -> None:
    assert production_probe["renderers"] == ["rest_framework.renderers.JSONRenderer"]
    # 406, or the cached JSON body for an anonymous read: never an HTML page.
    assert production_probe["html_status"] in (200, 406)
    assert "text/html" not in (production_probe["html_type"] or "")


def test_cors_is_not_open_to_any_origin(production_probe: dict[str, Any], api_client: APIClient) -> None:
    assert production_probe["cors_allow_origin"] in (None, "")
    response = api_client.get("/api/v1/categories/", HTTP_ORIGIN="https://evil.example")
    assert response.headers.get("Access-Control-Allow-Origin") not in ("*", "https://evil.example")


def test_unknown_urls_and_errors_answer_in_the_envelope_without_debug_pages(production_probe: dict[str, Any]) -> None:
    assert production_probe["missing_status"] == 404
    assert json.loads(production_probe["missing_body"]) == {
        "type": "client_error",
        "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
    }


def test_malformed_json_is_a_400_not_a_traceback(customer_client: APIClient) -> None:
    response = customer_client.generic("POST", "/api/v1/orders/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"
    assert "Traceback" not in response.content.decode()


def test_the_api_accepts_only_json_bodies(customer_client: APIClient) -> None:
    product = ProductFactory.create(stock=3)
    response = customer_client.post(
        "/api/v1/cart/items/", {"product_id": str(product.pk), "quantity": 1}, format="multipart"
    )
    assert response.status_code == 415


# --- API9:2023 Improper Inventory Management ---------------------------------------------------------------


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def _as_openapi_path(route: str) -> str:
    # drf-spectacular names a `pk` path parameter `id` (SCHEMA_COERCE_PATH_PK).
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route).replace("{pk}", "{id}")


def test_every_api_route_is_documented_in_the_schema() -> None:
    routes = {_as_openapi_path(r) for r in _routes(get_resolver().url_patterns) if r.startswith("api/v1/")}
    documented = set(_schema()["paths"])
    assert routes, "no API routes found"
    assert routes - documented == set()
    assert {p for p in documented if p.startswith("/api/v1/")} - routes == set()


def test_every_documented_operation_answers_on_its_route(admin_client_api: APIClient) -> None:
    """The schema lists no ghost operations: each documented method is served (never 405 or a 404 page)."""
    for method, path, _ in _operations():
        response = admin_client_api.generic(method, _concrete(path), "{}", content_type="application/json")
        assert response.status_code != 405, (method, path)


def test_only_one_api_version_is_exposed(api_client: APIClient) -> None:
    assert api_client.get("/api/v2/products/").status_code == 404
    assert api_client.get("/api/products/").status_code == 404


# --- API10:2023 Unsafe Consumption of APIs ------------------------------------------------------------------


def test_a_provider_failure_is_a_502_and_the_order_stays_payable(customer: User, customer_client: APIClient) -> None:
    order = make_order(user=customer)
    response = customer_client.post(
        f"/api/v1/orders/{order.pk}/pay/",
        {"provider": "fake", "payment_token": "tok_error"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
    )
    assert response.status_code == 502
    assert response.json()["type"] == "server_error"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def _webhook(client: APIClient, body: bytes, signature: str | None) -> Any:
    extra: dict[str, Any] = {"HTTP_X_SIGNATURE": signature} if signature is not None else {}
    # The signature covers the exact bytes, so they are sent as they are.
    return client.generic(
        "POST",
        "/api/v1/payments/webhooks/fake/",
        body,  # type: ignore[arg-type]
        content_type="application/json",
        **extra,
    )


def _sign(body: bytes, *, timestamp: int | None = None) -> str:
    from payments.providers.webhooks import signature_header

    return signature_header(body=body, secret=settings.PAYMENT_WEBHOOK_SECRET, timestamp=timestamp)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b"null",
        b'{"id": 1}',
        b'{"id": "evt_1", "type": "payment.succeeded"}',
        b'{"id": "evt_2", "type": "payment.succeeded", "data": []}',
        b'{"id": "evt_3", "type": "payment.succeeded", "data": {"transaction_id": null, "amount": "x"}}',
        b'{"id": "evt_4", "type": "payment.succeeded", "data": {"transaction_id": "nope", "amount": "1e999999"}}',
        b'{"id": "evt_5", "type": "payment.refunded", "data": {"transaction_id": "nope", "amount": "-1"}}',
        b'{"id": "' + b"e" * 5000 + b'", "type": "x", "data": {}}',
    ],
)
def test_malformed_signed_webhooks_never_cause_a_500(api_client: APIClient, body: bytes) -> None:
    response = _webhook(api_client, body, _sign(body))
    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        assert response.json()["received"] is True
    else:
        assert response.json()["type"] == "client_error"


@pytest.mark.parametrize(
    "signature",
    [None, "", "garbage", "t=abc,v1=00", "v1=deadbeef", "t=1,v1=" + "0" * 64, "t=99999999999999999999,v1=00"],
)
def test_badly_signed_webhooks_are_refused(api_client: APIClient, signature: str | None) -> None:
    body, _ = signed_webhook(event_type="payment.succeeded", transaction_id="fake_ch_1", amount=Decimal("1.00"))
    response = _webhook(api_client, body, signature)
    assert response.status_code == 400
    assert _codes(response)[0].startswith("webhook_")


def test_replayed_old_webhook_is_refused(api_client: APIClient) -> None:
    body = b'{"id": "evt_old", "type": "payment.succeeded", "data": {}}'
    stale = int(time.time()) - settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS - 60
    response = _webhook(api_client, body, _sign(body, timestamp=stale))
    assert response.status_code == 400
    assert _codes(response) == ["webhook_timestamp_out_of_tolerance"]


def test_webhook_for_an_unknown_provider_is_404(api_client: APIClient) -> None:
    body = b"{}"
    response = api_client.post(
        "/api/v1/payments/webhooks/evil/", body, content_type="application/json", HTTP_X_SIGNATURE=_sign(body)
    )
    assert response.status_code == 404


def test_a_webhook_cannot_confirm_an_order_with_a_different_amount(customer: User, api_client: APIClient) -> None:
    order = make_order(user=customer)
    payment = Payment.objects.create(
        order=order,
        provider="fake",
        status=PaymentStatus.PENDING,
        amount=order.total_amount,
        currency="USD",
        idempotency_key=uuid.uuid4().hex,
        transaction_id="fake_ch_mismatch",
    )
    body, extra = signed_webhook(
        event_type="payment.succeeded",
        transaction_id="fake_ch_mismatch",
        amount=Decimal("0.01"),
        payment_reference=str(payment.pk),
    )
    response = api_client.post("/api/v1/payments/webhooks/fake/", body, content_type="application/json", **extra)
    assert response.status_code in (200, 400)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
