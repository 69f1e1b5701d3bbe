"""/metrics of the production server command with two workers: a scrape answered by either worker counts the
requests both of them answered, and the orders, refusals and payments both of them handled (Prometheus
multi-process mode, config/gunicorn.py and core/metrics.py)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import ProductFactory, UserFactory
from tests.quality.live_server import LiveServer, live_server
from tests.support import bearer

pytestmark = pytest.mark.slow

TOKEN = "live-metrics-token"
ROUTE = "/api/v1/products/{pk}/"
PAY_ROUTE = "/api/v1/orders/{order_id}/pay/"


@pytest.fixture(scope="module")
def metrics_server(
    tmp_path_factory: Any, django_db_setup: None, django_db_blocker: Any
) -> Iterator[tuple[LiveServer, Path]]:
    directory = Path(tmp_path_factory.mktemp("prometheus"))
    env = {"PROMETHEUS_MULTIPROC_DIR": str(directory), "METRICS_TOKEN": TOKEN}
    with django_db_blocker.unblock(), live_server(workers=2, env=env) as running:
        yield running, directory


def get(server: LiveServer, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """One request on a connection of its own (so the workers share the requests between them)."""
    host, _, port = server.url.removeprefix("http://").partition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def scrape(server: LiveServer) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    status, body = get(server, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def answered_per_worker(directory: Path, route: str) -> list[float]:
    """Product detail requests counted in each worker's own file."""
    counts = []
    for path in sorted(directory.glob("counter_*.db")):
        values = [
            sample.value
            for metric in MultiProcessCollector.merge([str(path)])
            for sample in metric.samples
            if sample.name == "http_requests_total" and sample.labels.get("route") == route
        ]
        counts.append(sum(values))
    return counts


def test_a_scrape_counts_the_requests_of_both_workers(
    metrics_server: tuple[LiveServer, Path], transactional_db: None
) -> None:
    server, directory = metrics_server
    products = ProductFactory.create_batch(3)
    key = ("http_requests_total", frozenset({("route", ROUTE), ("method", "GET"), ("status", "2xx")}))
    before = scrape(server).get(key, 0.0)

    sent = 0
    # The kernel hands each new connection to whichever worker accepts first: keep going until both have answered.
    while sent < 30 or sum(1 for count in answered_per_worker(directory, ROUTE) if count) < 2:
        assert sent < 600, f"one worker answered every request: {answered_per_worker(directory, ROUTE)}"
        status, _ = get(server, f"/api/v1/products/{products[sent % 3].pk}/")
        assert status == 200
        sent += 1

    after = scrape(server)
    assert after[key] - before == sent
    assert sum(answered_per_worker(directory, ROUTE)) - before == sent
    count_key = ("http_request_duration_seconds_count", frozenset({("route", ROUTE), ("method", "GET")}))
    assert after[count_key] >= sent
    # The route label is the template: no series names a product id.
    assert not [name for name, labels in after if any(str(products[0].pk) in value for _, value in labels)]
    assert after[("http_requests_in_flight", frozenset())] == 1  # the scrape itself


def test_an_anonymous_scrape_of_the_live_server_is_refused(metrics_server: tuple[LiveServer, Path]) -> None:
    server, _ = metrics_server
    status, body = get(server, "/metrics")
    assert status == 403
    assert "permission_denied" in body
    assert get(server, "/metrics", {"Authorization": "Bearer not-the-token"})[0] == 403


def call(server: LiveServer, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    """One JSON request on a connection of its own; returns (status, decoded JSON body or None)."""
    host, _, port = server.url.removeprefix("http://").partition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        sent = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=sent)
        response = connection.getresponse()
        content = response.read()
        return response.status, json.loads(content) if content else None
    finally:
        connection.close()


def placed_per_worker(directory: Path) -> dict[str, float]:
    """``orders_placed_total`` in each worker's own file."""
    return {
        path.name: sum(
            sample.value
            for metric in MultiProcessCollector.merge([str(path)])
            for sample in metric.samples
            if sample.name == "orders_placed_total"
        )
        for path in sorted(directory.glob("counter_*.db"))
    }


def workers_that_placed(directory: Path, before: dict[str, float]) -> int:
    return sum(1 for name, value in placed_per_worker(directory).items() if value > before.get(name, 0.0))


DOMAIN = ("orders_placed", "orders_refused", "order_transitions", "payments", "idempotent_requests")


def domain_figures(server: LiveServer) -> dict[str, float]:
    return {
        f"{name}{dict(sorted(labels))}" if labels else name: value
        for (name, labels), value in scrape(server).items()
        if name.removesuffix("_total") in DOMAIN
    }


def test_orders_refusals_and_payments_counted_exactly_across_both_workers(
    metrics_server: tuple[LiveServer, Path], transactional_db: None
) -> None:
    """Orders placed, refused for stock and for an unavailable product, and paid, each on a connection of its own
    (so both workers take some): a scrape answered by either worker shows exactly those counts."""
    server, directory = metrics_server
    refused_count, paid_count = 3, 2
    customer = UserFactory.create()
    auth = {"Authorization": bearer(customer)}
    product = ProductFactory.create(stock=1000)
    scarce = ProductFactory.create(stock=0)
    withdrawn = ProductFactory.create(stock=5, is_active=False)
    before = domain_figures(server)
    placed_before = placed_per_worker(directory)

    def order(product_id: Any, key: str) -> tuple[int, Any]:
        items = [{"product_id": str(product_id), "quantity": 1}]
        return call(server, "POST", "/api/v1/orders/", {"items": items}, {**auth, "Idempotency-Key": key})

    placed: list[Any] = []
    # Keep placing until each worker has placed some: the counts below are the sum of both workers' files.
    while len(placed) < 6 or workers_that_placed(directory, placed_before) < 2:
        assert len(placed) < 200, f"one worker placed every order: {placed_per_worker(directory)}"
        status, body = order(product.pk, f"place-{len(placed)}")
        assert status == 201, body
        placed.append(body)
    refused = [order(scarce.pk, f"short-{index}") for index in range(refused_count)]
    assert [(status, body["errors"][0]["code"]) for status, body in refused] == [(409, "insufficient_stock")] * 3
    status, body = order(withdrawn.pk, "withdrawn")
    assert (status, body["errors"][0]["code"]) == (400, "product_unavailable")
    assert order(product.pk, "place-0")[0] == 201  # a replay: counted as replayed, not placed again
    for body in placed[:paid_count]:
        payment = {"provider": "fake", "payment_token": "tok_ok"}
        headers = {**auth, "Idempotency-Key": f"pay-{body['id']}"}
        assert call(server, "POST", f"/api/v1/orders/{body['id']}/pay/", payment, headers)[0] == 201

    after = domain_figures(server)
    changes = {key: value - before.get(key, 0.0) for key, value in after.items() if value != before.get(key, 0.0)}
    assert changes == {
        "orders_placed_total": len(placed),
        "orders_refused_total{'reason': 'insufficient_stock'}": refused_count,
        "orders_refused_total{'reason': 'product_unavailable'}": 1,
        "order_transitions_total{'from_status': 'PENDING', 'to_status': 'PAYMENT_CONFIRMED'}": paid_count,
        "payments_total{'outcome': 'succeeded', 'provider': 'fake'}": paid_count,
        "idempotent_requests_total{'result': 'replayed'}": 1,
    }
    assert sum(placed_per_worker(directory).values()) - sum(placed_before.values()) == len(placed)
    figures = scrape(server)
    pay_route = ("http_requests_total", frozenset({("route", PAY_ROUTE), ("method", "POST"), ("status", "2xx")}))
    assert figures[pay_route] >= paid_count
    order_id = str(placed[0]["id"])
    assert not [name for name, labels in figures if any(order_id in value for _, value in labels)]
