"""/metrics: HTTP metrics by route template, method and status class; access by network or bearer token."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from api.metrics import route_template
from tests.factories import ProductFactory

TOKEN = "metrics-test-token"


@pytest.fixture(autouse=True)
def _metrics_settings(settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


def requests_total(route: str, method: str = "GET", status: str = "2xx") -> float:
    value = REGISTRY.get_sample_value("http_requests_total", {"route": route, "method": method, "status": status})
    return value or 0.0


def duration_count(route: str, method: str = "GET") -> float:
    value = REGISTRY.get_sample_value("http_request_duration_seconds_count", {"route": route, "method": method})
    return value or 0.0


def test_route_template_replaces_every_converter() -> None:
    assert route_template("api/v1/products/<int:pk>/") == "/api/v1/products/{pk}/"
    assert route_template("api/v1/orders/<uuid:order_id>/items/<slug>/") == "/api/v1/orders/{order_id}/items/{slug}/"
    assert route_template("healthz") == "/healthz"


@pytest.mark.django_db
def test_requests_are_counted_by_route_template_method_and_status_class(api_client: Any) -> None:
    products = ProductFactory.create_batch(3)
    route = "/api/v1/products/{pk}/"
    before = (requests_total(route), requests_total(route, status="4xx"), duration_count(route))

    for product in products:
        assert api_client.get(f"/api/v1/products/{product.pk}/").status_code == 200
    assert api_client.get(f"/api/v1/products/{uuid.uuid4()}/").status_code == 404

    after = (requests_total(route), requests_total(route, status="4xx"), duration_count(route))
    assert [b - a for a, b in zip(before, after, strict=True)] == [3, 1, 4]
    assert REGISTRY.get_sample_value("http_requests_total", {"route": f"/api/v1/products/{products[0].pk}/"}) is None


@pytest.mark.django_db
def test_unrouted_and_refused_requests_share_one_series(api_client: Any) -> None:
    before = requests_total("unmatched", status="4xx")
    assert api_client.get("/no/such/page/1").status_code == 404
    assert api_client.get("/no/such/page/2").status_code == 404
    assert api_client.get("/api/v1/products/", {"q": "a\x00b"}).status_code == 400  # refused before routing
    assert requests_total("unmatched", status="4xx") - before == 3


@pytest.mark.django_db(transaction=True)
def test_async_path_is_counted_and_in_flight_returns_to_zero() -> None:
    """Under ASGI the middleware awaits the stack itself (the catalog list is an async view)."""
    route = "/api/v1/products/"
    before = requests_total(route)
    response = async_to_sync(AsyncClient().get)("/api/v1/products/")
    assert response.status_code == 200
    assert requests_total(route) - before == 1
    assert REGISTRY.get_sample_value("http_requests_in_flight") == 0


@pytest.mark.django_db
def test_anonymous_scrape_is_refused(api_client: Any) -> None:
    response = api_client.get("/metrics")
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"
    assert api_client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 403
    assert api_client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 403


@pytest.mark.django_db
def test_scrape_with_the_token(api_client: Any) -> None:
    response = api_client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {"http_requests", "http_request_duration_seconds", "http_requests_in_flight"} <= names


@pytest.mark.django_db
def test_scrape_from_an_allowed_network_needs_no_token(api_client: Any, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert api_client.get("/metrics").status_code == 403  # no token configured: still not public
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert api_client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert api_client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 403
    # X-Forwarded-For from a peer that is not a trusted proxy is not believed.
    assert api_client.get("/metrics", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 403
    settings.TRUSTED_PROXIES = ["192.0.2.1/32"]
    assert api_client.get("/metrics", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 200
