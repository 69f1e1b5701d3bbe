"""A deterministic provider for development and tests, modelled on Stripe's test cards.

- ``tok_ok``: succeeds;
- ``tok_declined``: declined with ``card_declined`` (the customer may retry);
- ``tok_error``: raises :class:`ProviderError`, nothing is recorded;
- ``tok_slow``: succeeds, but answers only after ``PAYMENT_FAKE_SLOW_SECONDS``;
- any other token: declined with ``invalid_payment_token``.

Charges are kept in the ``FakeCharge`` table, unique per idempotency key, so the same key always
returns the same transaction and is charged once — across threads and processes, like a real
provider. A slow charge is recorded *before* it answers, which is how a real provider can deliver
the webhook before the synchronous response.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction

from payments.models import FakeCharge, FakeChargeOutcome
from payments.providers.base import ChargeResult, ChargeStatus, ProviderError, ProviderEvent, RefundResult
from payments.providers.webhooks import event_parse, signature_verify


class FakeCard(StrEnum):
    OK = "tok_ok"
    DECLINED = "tok_declined"
    ERROR = "tok_error"
    SLOW = "tok_slow"


_DECLINES = {
    FakeCard.DECLINED.value: ("card_declined", "Your card was declined."),
}
_UNKNOWN_TOKEN = ("invalid_payment_token", "The payment token is not valid.")

# Slow charges wait on this gate for at most PAYMENT_FAKE_SLOW_SECONDS; `slow_charges_held` lets a
# test keep them waiting until it has done something in between (e.g. deliver the webhook first).
_slow_gate = threading.Event()


@contextmanager
def slow_charges_held() -> Iterator[None]:
    """Hold ``tok_slow`` charges (up to their timeout) inside the block; release them on exit."""
    _slow_gate.clear()
    try:
        yield
    finally:
        _slow_gate.set()
        _slow_gate.clear()


def succeeded_charge_count() -> int:
    """How many charges actually moved money (idempotent replays are not new charges)."""
    return FakeCharge.objects.filter(outcome=FakeChargeOutcome.SUCCEEDED).count()


def _result(charge: FakeCharge) -> ChargeResult:
    if charge.outcome == FakeChargeOutcome.SUCCEEDED:
        return ChargeResult(status=ChargeStatus.SUCCEEDED, transaction_id=charge.transaction_id)
    code, message = _DECLINES.get(charge.token, _UNKNOWN_TOKEN)
    return ChargeResult(
        status=ChargeStatus.DECLINED, transaction_id=charge.transaction_id, failure_code=code, failure_message=message
    )


class FakeProvider:
    name = "fake"

    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        token: str,
        idempotency_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> ChargeResult:
        existing = FakeCharge.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return self._replay(existing, amount=amount, currency=currency, token=token)
        if token == FakeCard.ERROR:
            raise ProviderError("The fake provider is unavailable (tok_error).")
        outcome = FakeChargeOutcome.SUCCEEDED if token in (FakeCard.OK, FakeCard.SLOW) else FakeChargeOutcome.DECLINED
        try:
            with transaction.atomic():
                charge = FakeCharge.objects.create(
                    idempotency_key=idempotency_key,
                    transaction_id=f"fake_ch_{uuid.uuid4().hex[:24]}",
                    token=token[:64],
                    amount=amount,
                    currency=currency,
                    outcome=outcome,
                    metadata=dict(metadata or {}),
                )
        except IntegrityError:
            # A concurrent call with the same key won the insert: answer with its charge.
            winner = FakeCharge.objects.get(idempotency_key=idempotency_key)
            return self._replay(winner, amount=amount, currency=currency, token=token)
        if token == FakeCard.SLOW:
            _slow_gate.wait(timeout=settings.PAYMENT_FAKE_SLOW_SECONDS)
        return _result(charge)

    @staticmethod
    def _replay(charge: FakeCharge, *, amount: Decimal, currency: str, token: str) -> ChargeResult:
        if charge.amount != amount or charge.currency != currency or charge.token != token[:64]:
            raise ProviderError("Idempotency key reused with different charge parameters.")
        return _result(charge)

    def refund(self, *, transaction_id: str, amount: Decimal) -> RefundResult:
        with transaction.atomic():
            charge = FakeCharge.objects.select_for_update().filter(transaction_id=transaction_id).first()
            if charge is None:
                raise ProviderError(f"No such charge: {transaction_id}.")
            if charge.outcome != FakeChargeOutcome.SUCCEEDED:
                raise ProviderError("Only a succeeded charge can be refunded.")
            if not charge.refund_id:
                if amount <= 0 or amount > charge.amount:
                    raise ProviderError("The refund amount must be positive and at most the charge amount.")
                charge.refund_id = f"fake_re_{uuid.uuid4().hex[:24]}"
                charge.refunded_amount = amount
                charge.save(update_fields=["refund_id", "refunded_amount", "updated_at"])
        return RefundResult(
            refund_id=charge.refund_id, transaction_id=charge.transaction_id, amount=charge.refunded_amount
        )

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        signature_verify(
            body=body,
            headers=headers,
            secret=settings.PAYMENT_WEBHOOK_SECRET,
            tolerance_seconds=settings.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
        )
        return event_parse(body)
