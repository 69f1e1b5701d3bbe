"""Payment metrics, counted by the functions that own the events (:mod:`payments.services`).

``payments_total`` counts the end of each charge attempt (``payment_pay_order``): ``succeeded`` (the order is paid;
counted when that commits), ``failed`` (declined, or charged for an order that stopped being payable meanwhile and
so refunded) and ``error`` (the provider gave no answer; nothing kept). ``payment_provider_duration_seconds`` times
each charge call to the provider, whatever it answered. ``webhook_events_total`` counts provider events by result:
``processed`` (applied, or recorded as needing nothing; counted when that commits), ``duplicate`` (seen before),
``bad_signature`` and ``rejected`` (stale timestamp, malformed body, unknown provider).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from time import perf_counter

from django.db import transaction
from prometheus_client import Counter, Histogram

PAYMENTS = Counter(
    "payments", "Charge attempts, by provider and outcome (succeeded, failed, error).", ["provider", "outcome"]
)
PROVIDER_DURATION = Histogram(
    "payment_provider_duration_seconds",
    "Time the payment provider took to answer a charge, by provider.",
    ["provider"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
)
WEBHOOK_EVENTS = Counter(
    "webhook_events", "Provider webhook events, by result (processed, duplicate, bad_signature, rejected).", ["result"]
)


class PaymentOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ERROR = "error"


class WebhookEventResult(StrEnum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    BAD_SIGNATURE = "bad_signature"
    REJECTED = "rejected"


def payment_counted(provider: str, outcome: PaymentOutcome) -> None:
    """Counts a charge attempt's outcome once the current transaction commits (at once outside one)."""
    transaction.on_commit(PAYMENTS.labels(provider, outcome.value).inc)


@contextmanager
def provider_timed(provider: str) -> Iterator[None]:
    started = perf_counter()
    try:
        yield
    finally:
        PROVIDER_DURATION.labels(provider).observe(perf_counter() - started)


def webhook_counted(result: WebhookEventResult) -> None:
    """Counts a webhook event's result once the current transaction commits (at once outside one)."""
    transaction.on_commit(WEBHOOK_EVENTS.labels(result.value).inc)
