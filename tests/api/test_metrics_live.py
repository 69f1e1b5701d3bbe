"""/metrics of the production server command with two workers: a scrape answered by either worker counts the
requests both of them answered (Prometheus multi-process mode, config/gunicorn.py and core/metrics.py)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import ProductFactory
from tests.quality.live_server import LiveServer, live_server

pytestmark = pytest.mark.slow

TOKEN = "live-metrics-token"
ROUTE = "/api/v1/products/{pk}/"


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
