"""Background metrics: outbox rows by state and the e-mail lag, deliveries, Celery task runs and queue depth, and
the low-stock gauge; figures that cost a query are computed at most once per METRICS_QUERY_TTL per process."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from config.celery import app as celery_app
from core.metrics import expire_scrape_collectors
from emails.models import OutboxMessage, OutboxState
from emails.outbox import outbox_email_add
from emails.tasks import outbox_deliver_task
from tests.factories import ProductFactory

TOKEN = "background-metrics-token"


@pytest.fixture(autouse=True)
def _token(settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN
    expire_scrape_collectors()


def scrape(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_outbox_rows_by_state_and_the_age_of_the_oldest_pending_row(api_client: Any) -> None:
    for index in range(3):
        outbox_email_add(to=[f"p{index}@example.com"], subject="s", body="b")
    OutboxMessage.objects.filter(payload__to=["p0@example.com"]).update(
        created_at=timezone.now() - timedelta(minutes=7)
    )
    OutboxMessage.objects.filter(payload__to=["p2@example.com"]).update(state=OutboxState.DEAD)
    outbox_email_add(to=["sent@example.com"], subject="s", body="b")
    OutboxMessage.objects.filter(payload__to=["sent@example.com"]).update(state=OutboxState.SENT)

    figures = scrape(api_client)

    assert figures[("outbox_messages", (("state", "pending"),))] == 2
    assert figures[("outbox_messages", (("state", "dead"),))] == 1
    assert 7 * 60 <= figures[("outbox_oldest_pending_age_seconds", ())] < 8 * 60


@pytest.mark.django_db
def test_no_pending_row_is_no_lag(api_client: Any) -> None:
    figures = scrape(api_client)
    assert figures[("outbox_messages", (("state", "pending"),))] == 0
    assert figures[("outbox_oldest_pending_age_seconds", ())] == 0


@pytest.mark.django_db
def test_low_stock_gauge(api_client: Any) -> None:
    ProductFactory.create(stock=2)
    ProductFactory.create(stock=0)
    ProductFactory.create(stock=50)
    ProductFactory.create(stock=1, is_active=False)
    assert scrape(api_client)[("catalog_low_stock_products", ())] == 2


@pytest.mark.django_db
def test_figures_that_cost_a_query_are_cached_between_scrapes(
    api_client: Any, django_assert_num_queries: Any, settings: Any
) -> None:
    with django_assert_num_queries(2):  # outbox rows (one grouped query) and low stock (one count)
        scrape(api_client)
    ProductFactory.create(stock=0)
    with django_assert_num_queries(0):
        figures = scrape(api_client)
    assert figures[("catalog_low_stock_products", ())] == 0  # the figure of the first scrape
    expire_scrape_collectors()
    assert scrape(api_client)[("catalog_low_stock_products", ())] == 1


@pytest.mark.django_db(transaction=True)
def test_task_runs_and_durations_are_counted_by_task_and_outcome(settings: Any) -> None:
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    message = outbox_email_add(to=["task@example.com"], subject="s", body="b")
    before = (
        value("celery_tasks_total", task="emails.outbox_deliver", outcome="succeeded"),
        value("celery_task_duration_seconds_count", task="emails.outbox_deliver"),
        value("outbox_deliveries_total", result="sent"),
    )
    outbox_deliver_task.delay(str(message.pk))  # eager in tests: runs here, through the same signals
    after = (
        value("celery_tasks_total", task="emails.outbox_deliver", outcome="succeeded"),
        value("celery_task_duration_seconds_count", task="emails.outbox_deliver"),
        value("outbox_deliveries_total", result="sent"),
    )
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]


@pytest.mark.django_db
def test_queue_depth_per_queue(api_client: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(celery_app.conf, "task_always_eager", False)
    with celery_app.connection_for_write() as connection:
        connection.default_channel.client.delete("email", "celery")
    outbox_deliver_task.delay("00000000-0000-0000-0000-000000000000")
    outbox_deliver_task.delay("00000000-0000-0000-0000-000000000001")
    figures = scrape(api_client)
    assert figures[("celery_queue_depth", (("queue", "email"),))] == 2
    assert figures[("celery_queue_depth", (("queue", "celery"),))] == 0
    with celery_app.connection_for_write() as connection:
        connection.default_channel.client.delete("email")
