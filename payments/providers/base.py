"""The contract every payment provider module implements.

A provider is a plain class with three methods (``charge``, ``refund``, ``verify_webhook``) and a
``name``. It raises :class:`ProviderError` when it cannot give an answer (network, outage, bad
request on its side) and returns a declined :class:`ChargeResult` when the card is refused: a
decline is a normal business outcome, an error is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


class ChargeStatus(StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"


class EventType(StrEnum):
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_REFUNDED = "payment.refunded"


class ProviderError(Exception):
    """The provider gave no usable answer; the outcome of the call is unknown or nothing happened."""


class WebhookVerificationError(Exception):
    """A webhook was refused: bad or missing signature, stale timestamp, or a malformed body."""

    def __init__(self, detail: str, *, code: str) -> None:
        self.detail = detail
        self.code = code
        super().__init__(detail)


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    transaction_id: str
    failure_code: str = ""
    failure_message: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == ChargeStatus.SUCCEEDED


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    transaction_id: str
    amount: Decimal


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook event, normalised to what the payments app needs."""

    event_id: str
    event_type: str
    transaction_id: str
    amount: Decimal | None
    currency: str
    # Our Payment id, echoed back from the charge's metadata: lets an event that arrives before the
    # synchronous charge response find the still-pending payment.
    payment_reference: str | None
    payload: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class PaymentProvider(Protocol):
    name: str

    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        token: str,
        idempotency_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> ChargeResult:
        """Charge ``amount``. The same ``idempotency_key`` must never charge twice and returns the first result."""
        ...

    def refund(self, *, transaction_id: str, amount: Decimal) -> RefundResult:
        """Refund a charge in full. Refunding an already refunded charge returns the first refund."""
        ...

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Authenticate and parse a webhook request, or raise :class:`WebhookVerificationError`."""
        ...
