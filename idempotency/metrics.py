"""Idempotency metrics, counted where the Idempotency-Key handling decides (:mod:`idempotency.services`):
``idempotent_requests_total{result}``: ``replayed`` (the stored response answered again) or ``conflict`` (the key
is in use by a request still running, or was used with another request)."""

from __future__ import annotations

from prometheus_client import Counter

IDEMPOTENT_REQUESTS = Counter(
    "idempotent_requests", "Requests with a used Idempotency-Key, by result (replayed, conflict).", ["result"]
)
REPLAYED = IDEMPOTENT_REQUESTS.labels("replayed")
CONFLICT = IDEMPOTENT_REQUESTS.labels("conflict")
