"""idempotent_requests_total: replays and conflicts (a key still in use, or used with another request)."""

from __future__ import annotations

import pytest

from idempotency.models import IdempotencyKey
from idempotency.services import request_fingerprint
from tests.factories import UserFactory
from tests.idempotency.test_idempotency import _call, _counter
from tests.metrics_support import moved, snapshot


@pytest.mark.django_db
def test_replays_and_conflicts_are_counted_once_each() -> None:
    user = UserFactory.create()
    fingerprint = request_fingerprint(method="POST", path="/api/v1/things/", body={"a": 1})
    IdempotencyKey.objects.create(user=user, key="busy", method="POST", path="/api/v1/things/", fingerprint=fingerprint)
    calls, run = _counter()
    before = snapshot("idempotent_requests")

    assert _call(user, run=run, key="k").status_code == 201  # first use: neither
    assert _call(user, run=run, key="k").status_code == 201  # replayed
    assert _call(user, run=run, key="k").status_code == 201  # replayed
    assert _call(user, run=run, key="k", body={"a": 2}).status_code == 422  # conflict: another request
    assert _call(user, run=run, key="busy").status_code == 409  # conflict: still in progress
    assert _call(user, run=run, key=None).status_code == 201  # no key: neither

    assert len(calls) == 2
    assert moved(before, "idempotent_requests") == {
        "idempotent_requests_total{result=replayed}": 2,
        "idempotent_requests_total{result=conflict}": 2,
    }
