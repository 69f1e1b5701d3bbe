"""Payment metrics: charge attempts by provider and outcome, the provider's latency, webhook events by result."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings

from payments.providers.fake import FakeCard
from payments.providers.webhooks import SIGNATURE_HEADER, signature_header
from payments.services import _payment_open
from tests.factories.orders import make_order
from tests.factories.payments import signed_webhook
from tests.metrics_support import moved, snapshot
from tests.payments.conftest import WEBHOOK_URL, pay

pytestmark = pytest.mark.django_db

PAYMENT_METRICS = ("payments", "payment_provider_duration_seconds", "webhook_events", "idempotent_requests")


def test_each_charge_attempt_is_counted_once_by_outcome_and_timed(
    customer: Any, customer_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    orders = [make_order(user=customer) for _ in range(3)]
    before = snapshot(*PAYMENT_METRICS)
    with django_capture_on_commit_callbacks(execute=True):
        assert pay(customer_client, orders[0].pk, key="a", card=FakeCard.OK).status_code == 201
        assert pay(customer_client, orders[0].pk, key="a", card=FakeCard.OK).status_code == 201  # replayed
        assert pay(customer_client, orders[1].pk, key="b", card=FakeCard.DECLINED).status_code == 201
        assert pay(customer_client, orders[2].pk, key="c", card=FakeCard.ERROR).status_code == 502
        assert pay(customer_client, orders[2].pk, key="d", card=FakeCard.OK).status_code == 201
    assert moved(before, "payments", "idempotent_requests") == {
        "payments_total{outcome=succeeded,provider=fake}": 2,
        "payments_total{outcome=failed,provider=fake}": 1,
        "payments_total{outcome=error,provider=fake}": 1,
        "idempotent_requests_total{result=replayed}": 1,
    }
    timed = moved(before, "payment_provider_duration_seconds")
    # Every call to the provider, whatever it answered; the replay never reached it.
    assert timed["payment_provider_duration_seconds_count{provider=fake}"] == 4
    assert timed["payment_provider_duration_seconds_sum{provider=fake}"] > 0


def test_a_charge_refused_before_the_provider_is_neither_counted_nor_timed(
    customer: Any, customer_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    order = make_order(user=customer, status="CANCELLED")
    before = snapshot(*PAYMENT_METRICS)
    with django_capture_on_commit_callbacks(execute=True):
        assert pay(customer_client, order.pk, key="x").status_code == 409
    assert moved(before, *PAYMENT_METRICS) == {}


def post(client: Any, body: bytes, headers: dict[str, Any], url: str = WEBHOOK_URL) -> Any:
    return client.post(url, body, content_type="application/json", **headers)


def test_webhook_events_are_counted_by_result(api_client: Any, django_capture_on_commit_callbacks: Any) -> None:
    order = make_order()
    payment = _payment_open(order_id=order.pk, user=order.user, provider="fake", idempotency_key="k")
    body, headers = signed_webhook(
        event_type="payment.succeeded",
        transaction_id="fake_ch_metrics",
        amount=order.total_amount,
        payment_reference=str(payment.pk),
    )
    forged, forged_headers = signed_webhook(
        event_type="payment.succeeded", transaction_id="x", amount=order.total_amount, secret="not-the-secret"
    )
    stale, stale_headers = signed_webhook(
        event_type="payment.succeeded",
        transaction_id="y",
        amount=order.total_amount,
        timestamp=int(time.time()) - 86400,
    )
    malformed_headers = {
        "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_"): signature_header(
            body=b"[]", secret=settings.PAYMENT_WEBHOOK_SECRET, timestamp=int(time.time())
        )
    }
    before = snapshot(*PAYMENT_METRICS)
    with django_capture_on_commit_callbacks(execute=True):
        assert post(api_client, body, headers).status_code == 200
        assert post(api_client, body, headers).status_code == 200  # the provider's redelivery
        assert post(api_client, forged, forged_headers).status_code == 400
        assert post(api_client, stale, stale_headers).status_code == 400
        assert post(api_client, b"[]", malformed_headers).status_code == 400
        assert post(api_client, body, headers, url="/api/v1/payments/webhooks/nope/").status_code == 404
    assert moved(before, "webhook_events") == {
        "webhook_events_total{result=processed}": 1,
        "webhook_events_total{result=duplicate}": 1,
        "webhook_events_total{result=bad_signature}": 1,
        "webhook_events_total{result=rejected}": 3,
    }
