"""Cached anonymous catalog reads answered before Django (catalog/api/fastpath.py), through the real ASGI application.

For every cached read the same request is answered once by Django and once by the fast path: the same status,
the same bytes and the same headers (the request id's value aside). Everything the fast path must not answer
reaches Django, a write is never followed by the old price, and a dead Redis leaves Django answering.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.test import override_settings
from prometheus_client import REGISTRY

from catalog import services
from catalog.api.fastpath import CatalogFastPath
from catalog.cache import LIST_NAMESPACE, detail_key, product_scope
from config.asgi import application
from tests.catalog.conftest import CATEGORIES, PRODUCTS
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    by_django: bool

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    def comparable(self) -> tuple[int, list[tuple[str, str]], bytes]:
        """Status, headers in order (the request id's value masked) and body."""
        headers = [(key, "<id>" if key.lower() == "x-request-id" else value) for key, value in self.headers]
        return self.status, headers, self.body


class DjangoEntries:
    """Wraps the application's Django app and counts the requests that reach it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.count = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.count += 1
        await self.app(scope, receive, send)


@pytest.fixture
def django_entries(monkeypatch: pytest.MonkeyPatch) -> DjangoEntries:
    assert isinstance(application, CatalogFastPath)
    entries = DjangoEntries(application.app)
    monkeypatch.setattr(application, "app", entries)
    monkeypatch.setattr(application, "templates", {})
    return entries


def call(entries: DjangoEntries, path: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Answer:
    """One request through the real ASGI application (``config.asgi.application``)."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.request(method, path, headers=headers)

    before = entries.count
    response = async_to_sync(send)()
    return Answer(response.status_code, list(response.headers.multi_items()), response.content, entries.count > before)


def django_and_fast(entries: DjangoEntries, path: str, **options: Any) -> tuple[Answer, Answer]:
    """The answer of Django (fast path off) and of the fast path, to the same request with the entry filled."""
    call(entries, path, **options)  # fills the entry, or is Django's hit, which teaches the fast path its headers
    call(entries, path, **options)
    with override_settings(CATALOG_FAST_PATH=False):
        by_django = call(entries, path, **options)
    fast = call(entries, path, **options)
    assert by_django.by_django
    assert not fast.by_django
    return by_django, fast


@pytest.fixture
def catalog() -> dict[str, Any]:
    parent = CategoryFactory.create(name="Clothes")
    category = CategoryFactory.create(name="Shirts", parent=parent)
    products = [
        ProductFactory.create(
            category=category, price=Decimal(price), attributes={"color": color, "size": "M"}, stock=3
        )
        for price, color in (("19.90", "red"), ("29.90", "red"), ("9.90", "blue"), ("49.00", "red"))
    ]
    return {"category": category, "products": products}


def test_every_cached_read_answers_the_same_bytes_and_headers(
    django_entries: DjangoEntries, catalog: dict[str, Any]
) -> None:
    product, category = catalog["products"][0], catalog["category"]
    paths = [
        f"{PRODUCTS}{product.pk}/",
        PRODUCTS,
        f"{PRODUCTS}?color=red&ordering=price&page_size=2&page=2",
        f"{PRODUCTS}?category={category.pk}&min_price=10&in_stock=true",
        CATEGORIES,
        f"{CATEGORIES}?page_size=1&page=2",
        f"{CATEGORIES}{category.pk}/",
    ]
    for path in paths:
        body = b""
        for method in ("GET", "HEAD"):  # a HEAD answers the GET's headers (the server drops the body)
            by_django, fast = django_and_fast(django_entries, path, method=method)
            assert by_django.status == 200, path
            assert fast.comparable() == by_django.comparable(), (path, method)
            body = body or fast.body
            assert fast.header("X-Cache") == "HIT"
            assert fast.header("Content-Length") == str(len(body))
            assert fast.header("X-Request-ID") not in (None, by_django.header("X-Request-ID"))
            for name in ("X-Content-Type-Options", "Referrer-Policy", "Vary", "Allow"):
                assert fast.header(name) is not None, (path, name)
            assert fast.header("X-Frame-Options") is None  # none on the API's JSON, as Django's answer


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_not_modified_is_answered_alike(django_entries: DjangoEntries, catalog: dict[str, Any], method: str) -> None:
    for path in (f"{PRODUCTS}{catalog['products'][0].pk}/", f"{CATEGORIES}{catalog['category'].pk}/"):
        etag = call(django_entries, path).header("ETag")
        assert etag is not None
        by_django, fast = django_and_fast(django_entries, path, method=method, headers={"If-None-Match": etag})
        assert (by_django.status, by_django.body) == (304, b"")
        assert fast.comparable() == by_django.comparable()
        assert fast.header("ETag") == etag


def test_request_id_follows_the_middleware_rule(
    django_entries: DjangoEntries, catalog: dict[str, Any], settings: Any
) -> None:
    path = f"{PRODUCTS}{catalog['products'][1].pk}/"
    django_and_fast(django_entries, path)
    # An id sent by an untrusted client is replaced, as the middleware does; from a trusted proxy it is kept.
    assert call(django_entries, path, headers={"X-Request-ID": "abc-123"}).header("X-Request-ID") != "abc-123"
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
    answer = call(django_entries, path, headers={"X-Request-ID": "abc-123"})
    assert not answer.by_django
    assert answer.header("X-Request-ID") == "abc-123"


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", {"Authorization": "Bearer not-a-token"}),
        ("GET", {"Cookie": "sessionid=anything"}),
        ("GET", {"Accept": "text/html"}),
        ("GET", {"X-Note": "a\x00b"}),
        ("GET", {"Host": "evil.example"}),
        ("POST", {}),
        ("OPTIONS", {}),
    ],
    ids=["authorization", "session-cookie", "browsable-api", "nul-header", "disallowed-host", "post", "options"],
)
def test_what_the_fast_path_does_not_answer_reaches_django(
    django_entries: DjangoEntries, catalog: dict[str, Any], method: str, headers: dict[str, str]
) -> None:
    path = f"{PRODUCTS}{catalog['products'][0].pk}/"
    django_and_fast(django_entries, path)
    assert call(django_entries, path, method=method, headers=headers).by_django


def test_a_nul_in_the_query_reaches_django(django_entries: DjangoEntries, catalog: dict[str, Any]) -> None:
    django_and_fast(django_entries, PRODUCTS)
    answer = call(django_entries, f"{PRODUCTS}?search=a%00b")
    assert (answer.by_django, answer.status) == (True, 400)


def test_a_miss_reaches_django_which_fills(django_entries: DjangoEntries, catalog: dict[str, Any]) -> None:
    first, second = (call(django_entries, f"{PRODUCTS}{catalog['products'][2].pk}/") for _ in range(2))
    assert (first.by_django, first.header("X-Cache")) == (True, "MISS")
    assert (second.by_django, second.header("X-Cache")) == (True, "HIT")  # Django's hit teaches the headers
    assert not call(django_entries, f"{PRODUCTS}{catalog['products'][2].pk}/").by_django


def test_a_query_spelled_differently_is_validated_by_django_then_served(
    django_entries: DjangoEntries, catalog: dict[str, Any]
) -> None:
    django_and_fast(django_entries, f"{PRODUCTS}?page_size=2&page=1")
    # The same page, spelled otherwise: only Django's validation knows; it keeps the spelling for next time.
    spelled = f"{PRODUCTS}?page=01&page_size=2"
    first = call(django_entries, spelled)
    assert (first.by_django, first.header("X-Cache")) == (True, "HIT")
    again = call(django_entries, spelled)
    assert not again.by_django
    assert again.body == first.body
    # An invalid query is Django's 400, however often it is sent.
    for _ in range(2):
        refused = call(django_entries, f"{PRODUCTS}?page=0")
        assert (refused.by_django, refused.status) == (True, 400)


@pytest.mark.parametrize("scope_type", ["lifespan", "websocket"])
def test_other_scopes_go_to_django_unchanged(django_entries: DjangoEntries, scope_type: str) -> None:
    seen: list[dict[str, Any]] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)

    async def nothing() -> dict[str, Any]:
        return {}

    async def discard(message: Any) -> None:
        return None

    scope = {"type": scope_type, "path": PRODUCTS}
    async_to_sync(CatalogFastPath(inner))(scope, nothing, discard)
    assert seen == [scope]


def test_a_write_is_never_followed_by_the_old_price(
    django_entries: DjangoEntries, catalog: dict[str, Any], settings: Any
) -> None:
    from django_redis import get_redis_connection

    product = catalog["products"][0]
    path = f"{PRODUCTS}{product.pk}/"
    by_django, fast = django_and_fast(django_entries, path)
    assert fast.body == by_django.body
    assert "19.90" in fast.body.decode()

    redis = get_redis_connection("default")
    old_generation = redis.get(f"catalog:gen:{product_scope(product.pk)}").decode()
    services.product_update(product_id=product.pk, data={"price": Decimal("24.50")})
    # A reader that queried before the write commits stores the old body after it: under the old generation.
    redis.set(f"{detail_key(resource='products', pk=product.pk)}:{old_generation}", b'"stale"\n' + by_django.body)

    after = call(django_entries, path)
    assert after.by_django
    assert '"price":"24.50"' in after.body.decode()
    for _ in range(2):
        assert '"price":"24.50"' in call(django_entries, path).body.decode()
    assert not call(django_entries, path).by_django

    # The lists, under their one namespace generation, never answer the old price either.
    listed = call(django_entries, PRODUCTS)
    assert "19.90" not in listed.body.decode()
    assert redis.get(f"catalog:gen:{LIST_NAMESPACE}") is not None


def test_redis_down_lets_django_answer(
    django_entries: DjangoEntries, catalog: dict[str, Any], dead_cache: None
) -> None:
    path = f"{PRODUCTS}{catalog['products'][0].pk}/"
    for _ in range(3):
        answer = call(django_entries, path)
        assert (answer.by_django, answer.status, answer.header("X-Cache")) == (True, 200, "MISS")


def test_a_hit_is_counted_like_a_django_answer(django_entries: DjangoEntries, catalog: dict[str, Any]) -> None:
    path = f"{PRODUCTS}{catalog['products'][0].pk}/"
    django_and_fast(django_entries, path)

    route = "/api/v1/products/{pk}/"

    def counts() -> list[float]:
        samples = [
            ("http_requests_total", {"route": route, "method": "GET", "status": "2xx"}),
            ("http_request_duration_seconds_count", {"route": route, "method": "GET"}),
            ("catalog_cache_requests_total", {"view": "product_detail", "result": "hit"}),
        ]
        return [REGISTRY.get_sample_value(name, labels) or 0.0 for name, labels in samples]

    before = counts()
    assert not call(django_entries, path).by_django
    assert [b - a for a, b in zip(before, counts(), strict=True)] == [1, 1, 1]
