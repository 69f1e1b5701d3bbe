"""`manage.py stress_orders`: aims at `make run`'s port, says when nothing answers, and leaves the catalog clean."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from catalog.models import Category, Product
from orders.management.commands.stress_orders import stress_run
from tests.quality.live_server import LiveServer, live_server
from tests.support import worker_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def server(django_db_setup: None, django_db_blocker: Any) -> Iterator[LiveServer]:
    with django_db_blocker.unblock(), live_server(workers=1) as running:
        yield running


def test_nothing_listening_says_cannot_connect_to_the_default_port(settings: Any) -> None:
    settings.SERVER_PORT = worker_port()

    with pytest.raises(CommandError) as error:
        call_command("stress_orders", "--no-progress")

    assert str(error.value).startswith(f"cannot connect to http://127.0.0.1:{settings.SERVER_PORT}")
    assert "oversold" not in str(error.value)
    assert not Product.objects.exists()  # nothing prepared for a run that cannot happen


def _public_names() -> list[str]:
    response = APIClient().get("/api/v1/products/", {"ordering": "-created_at"})
    assert response.status_code == 200
    return [product["name"] for product in response.json()["results"]]


def _public_category_names() -> list[str]:
    response = APIClient().get("/api/v1/categories/")
    assert response.status_code == 200
    return [category["name"] for category in response.json()["results"]]


def test_sold_stress_products_are_hidden_after_the_run(server: LiveServer) -> None:
    report = stress_run(
        url=server.url,
        scenario="last-item",
        products=1,
        stock=2,
        buyers=5,
        requests=5,
        concurrency=5,
        max_lines=1,
        max_quantity=1,
        progress=False,
    )

    assert not report.failed, report.rows()
    assert report.counts["succeeded"] == 2
    stress = Product.objects.filter(slug__startswith="stress-")
    assert stress.count() == 1
    assert not stress.filter(is_active=True).exists()  # orders keep it; the catalog no longer shows it
    assert not any(name.startswith("Stress item") for name in _public_names())
    # Its category stays (the kept product needs it) but hidden.
    assert Category.objects.filter(slug="stress-test", is_active=False).exists()
    assert "Stress test" not in _public_category_names()


def test_unsold_stress_products_are_deleted_after_the_run(server: LiveServer) -> None:
    report = stress_run(
        url=server.url,
        scenario="last-item",
        products=1,
        stock=0,
        buyers=3,
        requests=3,
        concurrency=3,
        max_lines=1,
        max_quantity=1,
        progress=False,
    )

    assert report.counts["409"] == 3
    assert not Product.objects.filter(slug__startswith="stress-").exists()
    assert not Category.objects.filter(slug="stress-test").exists()  # empty after the run: deleted
    assert "Stress test" not in _public_category_names()
