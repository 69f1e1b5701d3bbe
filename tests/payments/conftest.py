from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest
from rest_framework.test import APIClient

from api.throttling import PaymentRateThrottle

WEBHOOK_URL = "/api/v1/payments/webhooks/fake/"


def pay_url(order_id: UUID) -> str:
    return f"/api/v1/orders/{order_id}/pay/"


def pay(client: APIClient, order_id: UUID, *, key: str | None, card: str = "tok_ok", **extra_body: Any) -> Any:
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    body = {"provider": "fake", "payment_token": card, **extra_body}
    return client.post(pay_url(order_id), body, format="json", **headers)


@pytest.fixture(autouse=True)
def payments_rate(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Lift the 10/min payment limit (concurrency tests fire 50 requests); the throttle test lowers it."""

    def set_rate(rate: str) -> None:
        monkeypatch.setattr(
            PaymentRateThrottle, "THROTTLE_RATES", {**PaymentRateThrottle.THROTTLE_RATES, "payments": rate}
        )

    set_rate("100000/min")
    return set_rate
