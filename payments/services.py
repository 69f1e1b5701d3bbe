"""Charging orders, applying provider webhooks and refunding — one code path for each state change.

Pay flow (``payment_pay_order``), designed so no database transaction stays open while the
provider is called, yet two concurrent attempts can never both charge:

1. *Open* — lock the order row, check it is payable (``PENDING``, not expired, no charge in
   flight or done) and commit a ``pending`` Payment whose amount is the order total. A second
   attempt (another idempotency key) now sees that row under the same lock and gets 409
   ``order_not_payable``.
2. *Charge* — outside any transaction, call the provider with an idempotency key derived from
   the order and the client's key, so a retry after a provider error cannot charge twice.
3. *Settle* — lock order then payment again and apply the result. The success branch is shared
   with the ``payment.succeeded`` webhook, which may arrive first; whichever comes second finds
   the payment already ``succeeded`` and does nothing. The partial unique index (one succeeded
   payment per order) backs this up in the schema.

Lock order is always order row, then payment row — here, in webhooks and in refunds.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING
from uuid import UUID

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import DomainError, NotFoundError
from core.logging import bound_from_kwargs
from emails.services import email_enqueue
from orders.errors import OrderErrorCode
from orders.models import Order, OrderStatus
from orders.refunds import Refunded
from orders.services import order_lock, order_transition
from payments.errors import (
    OrderNotPayableError,
    PaymentErrorCode,
    PaymentNotRefundableError,
    ProviderUnavailableError,
)
from payments.metrics import PaymentOutcome, WebhookEventResult, payment_counted, provider_timed, webhook_counted
from payments.models import Payment, PaymentStatus, WebhookEvent
from payments.providers import UnknownProviderError, provider_get
from payments.providers.base import (
    ChargeResult,
    EventType,
    PaymentProvider,
    ProviderError,
    ProviderEvent,
    WebhookVerificationError,
)

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# A pending payment this old belongs to a request that died mid-charge (provider calls time out
# long before): it no longer blocks the order. If its charge did go through, the provider's
# webhook finds the order paid by another payment and the charge is refunded.
STALE_PENDING_AFTER = timedelta(minutes=5)
REFUNDABLE_ORDER_STATUSES = frozenset({OrderStatus.PAYMENT_CONFIRMED, OrderStatus.PROCESSING})
EVENT_REASON_PAID = "payment_succeeded"
EVENT_REASON_REFUNDED = "payment_refunded"


class WebhookOutcome(str, Enum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    UNKNOWN_PAYMENT = "unknown_payment"
    AMOUNT_MISMATCH = "amount_mismatch"
    REFUND_SCHEDULED = "refund_scheduled"


@dataclass(frozen=True)
class WebhookResult:
    event_id: str
    outcome: WebhookOutcome

    @property
    def duplicate(self) -> bool:
        return self.outcome == WebhookOutcome.DUPLICATE


def _provider(name: str) -> PaymentProvider:
    try:
        return provider_get(name)
    except UnknownProviderError:
        raise DomainError(
            f"Unknown payment provider {name!r}.", code=PaymentErrorCode.UNKNOWN_PROVIDER, attr="provider"
        ) from None


def provider_idempotency_key(*, order_id: UUID, idempotency_key: str) -> str:
    """The key sent to the provider: client keys are only unique per user, so scope it to the order.

    Hashed to stay short (providers cap key length) and not to leak the client's key.
    """
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"pay_{order_id.hex}_{digest}"


def _ensure_payable(order: Order) -> None:
    if order.status != OrderStatus.PENDING:
        raise OrderNotPayableError(
            f"An order in status {order.status} cannot be paid.", errors=[{"order_status": order.status}]
        )
    if order.expires_at is not None and order.expires_at <= timezone.now():
        raise OrderNotPayableError(
            "The payment window of this order has passed.", errors=[{"order_status": order.status}]
        )


def _payment_open(*, order_id: UUID, user: User, provider: str, idempotency_key: str) -> Payment:
    with transaction.atomic():
        order = order_lock(order_id, user=user)
        if order is None:
            raise NotFoundError("Order not found.", code=OrderErrorCode.ORDER_NOT_FOUND)
        _ensure_payable(order)
        Payment.objects.filter(
            order=order, status=PaymentStatus.PENDING, created_at__lt=timezone.now() - STALE_PENDING_AFTER
        ).update(
            status=PaymentStatus.FAILED,
            failure_code=PaymentErrorCode.CHARGE_ABANDONED.value,
            failure_message="The charge request did not complete.",
            updated_at=timezone.now(),
        )
        if Payment.objects.filter(order=order, status__in=[PaymentStatus.PENDING, PaymentStatus.SUCCEEDED]).exists():
            raise OrderNotPayableError(
                "A payment for this order is already in progress or has succeeded.",
                errors=[{"order_status": order.status}],
            )
        return Payment.objects.create(
            order=order,
            provider=provider,
            status=PaymentStatus.PENDING,
            amount=order.total_amount,
            currency=settings.PAYMENT_CURRENCY,
            idempotency_key=idempotency_key,
        )


def _payment_fail(*, payment_id: UUID, code: str, message: str, transaction_id: str | None = None) -> Payment:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        # Only a pending payment can fail: a webhook may already have settled it.
        if payment.status == PaymentStatus.PENDING:
            payment.status = PaymentStatus.FAILED
            payment.failure_code = code[:64]
            payment.failure_message = message[:255]
            if transaction_id:
                payment.transaction_id = transaction_id
            payment.save(update_fields=["status", "failure_code", "failure_message", "transaction_id", "updated_at"])
    return payment


def _payment_confirmation_email(order: Order, payment: Payment) -> None:
    email_enqueue(
        to=[order.user.email],
        template="payment_confirmation",
        context={"order": order, "payment": payment},
        # One confirmation per payment, even if success were ever applied twice.
        idempotency_key=f"payment-confirmation:{payment.pk}",
    )


def _payment_succeed_locked(*, order: Order, payment: Payment, transaction_id: str, actor: User | None) -> bool:
    """Apply a successful charge; order and payment rows are locked by the caller.

    Returns ``False`` when the money cannot be kept (the order was cancelled or paid by another
    payment meanwhile): the transaction id is recorded and the caller schedules a refund.
    """
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        return True
    payment.transaction_id = transaction_id
    already_paid = Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).exclude(pk=payment.pk).exists()
    if order.status != OrderStatus.PENDING or already_paid:
        payment.refund_requested_at = timezone.now()
        payment.save(update_fields=["transaction_id", "refund_requested_at", "updated_at"])
        return False
    payment.status = PaymentStatus.SUCCEEDED
    payment.failure_code = ""
    payment.failure_message = ""
    payment.save(update_fields=["status", "transaction_id", "failure_code", "failure_message", "updated_at"])
    order_transition(order_id=order.pk, to_status=OrderStatus.PAYMENT_CONFIRMED, actor=actor, reason=EVENT_REASON_PAID)
    _payment_confirmation_email(order, payment)
    return True


def _refund_unkeepable_on_commit(payment_id: UUID) -> None:
    from payments.tasks import payment_refund_unkeepable

    transaction.on_commit(lambda: payment_refund_unkeepable.delay(payment_id=str(payment_id)))


def _payment_settle(*, payment: Payment, result: ChargeResult, actor: User) -> Payment:
    with transaction.atomic():
        order = order_lock(payment.order_id)
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if order is None:  # orders are never deleted while payments reference them (PROTECT)
            raise NotFoundError("Order not found.", code=OrderErrorCode.ORDER_NOT_FOUND)
        kept = _payment_succeed_locked(order=order, payment=locked, transaction_id=result.transaction_id, actor=actor)
        if not kept:
            _refund_unkeepable_on_commit(locked.pk)
    if not kept:
        raise OrderNotPayableError(
            "The order stopped being payable while the charge was processed; the charge is being refunded.",
            errors=[{"order_status": order.status}],
        )
    locked.refresh_from_db()
    return locked


@bound_from_kwargs("order_id")
def payment_pay_order(*, order_id: UUID, user: User, provider: str, token: str, idempotency_key: str) -> Payment:
    """Charge the order total through ``provider``: see the module docstring for the three phases.

    Returns the payment, ``succeeded`` (order now ``PAYMENT_CONFIRMED``, confirmation e-mail queued)
    or ``failed`` (declined; the order stays ``PENDING`` and may be paid with a new key). Raises 404
    for another user's order, 409 ``order_not_payable`` and 502 ``provider_error`` (nothing kept;
    the order stays payable).
    """
    gateway = _provider(provider)
    payment = _payment_open(order_id=order_id, user=user, provider=provider, idempotency_key=idempotency_key)
    try:
        with provider_timed(provider):
            result = gateway.charge(
                amount=payment.amount,
                currency=payment.currency,
                token=token,
                idempotency_key=provider_idempotency_key(order_id=order_id, idempotency_key=idempotency_key),
                metadata={"payment_id": str(payment.pk), "order_id": str(order_id)},
            )
    except ProviderError as exc:
        logger.warning("Payment %s: provider %s error: %s", payment.pk, provider, exc)
        _payment_fail(payment_id=payment.pk, code=PaymentErrorCode.PROVIDER_ERROR.value, message=str(exc))
        payment_counted(provider, PaymentOutcome.ERROR)
        raise ProviderUnavailableError() from exc
    except Exception:
        # Never leave a pending row behind: it would block the order until it goes stale.
        _payment_fail(payment_id=payment.pk, code=PaymentErrorCode.PROVIDER_ERROR.value, message="Unexpected error.")
        payment_counted(provider, PaymentOutcome.ERROR)
        raise
    if not result.succeeded:
        failed = _payment_fail(
            payment_id=payment.pk,
            code=result.failure_code or PaymentErrorCode.CHARGE_DECLINED.value,
            message=result.failure_message or "The payment was declined.",
            transaction_id=result.transaction_id,
        )
        payment_counted(provider, PaymentOutcome.FAILED)
        logger.info("Payment %s declined by %s", payment.pk, provider)
        return failed
    try:
        settled = _payment_settle(payment=payment, result=result, actor=user)
    except OrderNotPayableError:
        payment_counted(provider, PaymentOutcome.FAILED)
        raise
    payment_counted(provider, PaymentOutcome.SUCCEEDED)
    logger.info("Payment %s succeeded at %s", payment.pk, provider)
    return settled


def _payment_refund(*, payment_id: UUID, actor: User | None) -> Payment:
    """Refund a charge in full through its provider (outside any transaction), then record it."""
    payment = Payment.objects.get(pk=payment_id)
    with structlog.contextvars.bound_contextvars(order_id=str(payment.order_id)):
        return _payment_refund_bound(payment=payment, actor=actor)


def _payment_refund_bound(*, payment: Payment, actor: User | None) -> Payment:
    payment_id = payment.pk
    if payment.status == PaymentStatus.REFUNDED:
        return payment
    if not payment.transaction_id:
        raise PaymentNotRefundableError()
    try:
        refund = _provider(payment.provider).refund(transaction_id=payment.transaction_id, amount=payment.amount)
    except ProviderError as exc:
        logger.warning("Payment %s: refund failed at provider %s: %s", payment.pk, payment.provider, exc)
        raise ProviderUnavailableError("The payment provider did not confirm the refund. Please try again.") from exc
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != PaymentStatus.REFUNDED:
            payment.status = PaymentStatus.REFUNDED
            payment.refund_id = refund.refund_id
            payment.refunded_at = timezone.now()
            payment.refunded_by = actor
            payment.save(update_fields=["status", "refund_id", "refunded_at", "refunded_by", "updated_at"])
    logger.info("Payment %s refunded at %s", payment.pk, payment.provider)
    return payment


@bound_from_kwargs("order_id")
def payment_refund_for_order(*, order_id: UUID, actor: User | None) -> None:
    """Refund the succeeded payment of a ``PAYMENT_CONFIRMED``/``PROCESSING`` order before it is cancelled.

    Called for staff cancellations by ``orders.services.order_cancel``, through ``orders.refunds``. A no-op
    for unpaid orders or orders in other statuses (the cancel itself then decides). The refund is marked as requested in
    a committed row first, so the provider's ``payment.refunded`` webhook knows it is ours and leaves
    the cancellation (and restock) to the caller. Refunds are idempotent at the provider, so two
    managers cancelling at once refund once; the order's row lock lets only one cancel restock.
    Raises 502 ``provider_error`` if the provider fails: the order is then not cancelled.
    """
    with transaction.atomic():
        order = order_lock(order_id)
        if order is None or order.status not in REFUNDABLE_ORDER_STATUSES:
            return
        payment = Payment.objects.select_for_update().filter(order=order, status=PaymentStatus.SUCCEEDED).first()
        if payment is None:
            return
        if payment.refund_requested_at is None:
            payment.refund_requested_at = timezone.now()
            payment.save(update_fields=["refund_requested_at", "updated_at"])
    _payment_refund(payment_id=payment.pk, actor=actor)


def payment_refunded_for_order(*, order: Order) -> Refunded | None:
    """The total refunded on ``order`` and its currency, or ``None`` if nothing was (for the cancellation e-mail)."""
    refunds = list(Payment.objects.filter(order=order, status=PaymentStatus.REFUNDED).order_by("refunded_at"))
    if not refunds:
        return None
    return Refunded(amount=sum((payment.amount for payment in refunds), Decimal("0.00")), currency=refunds[0].currency)


class PaymentRefundHandler:
    """The payments side of ``orders.refunds``: registered by ``PaymentsConfig.ready``."""

    def refund_before_cancel(self, *, order_id: UUID, actor: User | None) -> None:
        payment_refund_for_order(order_id=order_id, actor=actor)

    def refunded(self, *, order: Order) -> Refunded | None:
        return payment_refunded_for_order(order=order)


def payment_refund_unkeepable(*, payment_id: UUID) -> Payment:
    """Refund a charge that succeeded for an order that could no longer take it (run by a task)."""
    return _payment_refund(payment_id=payment_id, actor=None)


# --- Webhooks -------------------------------------------------------------------------------


def _payment_for_event(*, provider: str, event: ProviderEvent) -> Payment | None:
    if event.transaction_id:
        payment = Payment.objects.filter(provider=provider, transaction_id=event.transaction_id).first()
        if payment is not None:
            return payment
    if event.payment_reference:
        try:
            reference = uuid.UUID(event.payment_reference)
        except ValueError:
            return None
        # The reference only finds a payment not yet tied to a transaction (still pending, or
        # failed on a provider error whose charge went through after all).
        return Payment.objects.filter(pk=reference, provider=provider, transaction_id__isnull=True).first()
    return None


def _event_matches_payment(event: ProviderEvent, payment: Payment) -> bool:
    if event.amount is not None and event.amount != payment.amount:
        return False
    return not (event.currency and event.currency != payment.currency)


def _apply_succeeded(*, order: Order, payment: Payment, event: ProviderEvent) -> WebhookOutcome:
    if payment.status == PaymentStatus.SUCCEEDED:
        return WebhookOutcome.ALREADY_APPLIED
    if payment.status == PaymentStatus.REFUNDED or not event.transaction_id:
        return WebhookOutcome.IGNORED
    if not _event_matches_payment(event, payment):
        logger.error("Webhook %s: amount/currency differ from payment %s; not applied.", event.event_id, payment.pk)
        return WebhookOutcome.AMOUNT_MISMATCH
    if _payment_succeed_locked(order=order, payment=payment, transaction_id=event.transaction_id, actor=None):
        return WebhookOutcome.APPLIED
    _refund_unkeepable_on_commit(payment.pk)
    return WebhookOutcome.REFUND_SCHEDULED


def _apply_refunded(*, order: Order, payment: Payment) -> WebhookOutcome:
    if payment.status == PaymentStatus.REFUNDED:
        return WebhookOutcome.ALREADY_APPLIED
    ours = payment.refund_requested_at is not None
    if not ours and payment.status != PaymentStatus.SUCCEEDED:
        return WebhookOutcome.IGNORED
    payment.status = PaymentStatus.REFUNDED
    payment.refunded_at = timezone.now()
    payment.save(update_fields=["status", "refunded_at", "updated_at"])
    # A refund made in the provider's dashboard cancels (and restocks) the order; for our own
    # refunds the code that asked for it does the cancellation.
    if not ours and order.status in REFUNDABLE_ORDER_STATUSES:
        order_transition(order_id=order.pk, to_status=OrderStatus.CANCELLED, actor=None, reason=EVENT_REASON_REFUNDED)
    return WebhookOutcome.APPLIED


def payment_webhook_handle(*, provider: str, body: bytes, headers: Mapping[str, str]) -> WebhookResult:
    """Verify and apply one provider event, at most once per ``(provider, event id)``.

    The event row is inserted in the same transaction that applies it, so a concurrent redelivery
    waits on the unique index and then sees a duplicate; a failure rolls both back and the
    provider's retry is processed afresh. 400 for a bad signature, stale timestamp or malformed body.
    """
    try:
        gateway = provider_get(provider)
    except UnknownProviderError:
        webhook_counted(WebhookEventResult.REJECTED)
        raise NotFoundError(f"Unknown payment provider {provider!r}.", code=PaymentErrorCode.UNKNOWN_PROVIDER) from None
    try:
        event = gateway.verify_webhook(body=body, headers=headers)
    except WebhookVerificationError as exc:
        webhook_counted(
            WebhookEventResult.BAD_SIGNATURE
            if exc.code == PaymentErrorCode.WEBHOOK_SIGNATURE_INVALID
            else WebhookEventResult.REJECTED
        )
        raise DomainError(exc.detail, code=exc.code) from None

    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(
                    provider=provider, event_id=event.event_id, event_type=event.event_type, payload=event.payload
                )
        except IntegrityError:
            webhook_counted(WebhookEventResult.DUPLICATE)
            return WebhookResult(event_id=event.event_id, outcome=WebhookOutcome.DUPLICATE)

        outcome = WebhookOutcome.IGNORED
        payment = None
        if event.event_type in (EventType.PAYMENT_SUCCEEDED, EventType.PAYMENT_REFUNDED):
            candidate = _payment_for_event(provider=provider, event=event)
            order = order_lock(candidate.order_id) if candidate is not None else None
            if candidate is None or order is None:
                outcome = WebhookOutcome.UNKNOWN_PAYMENT
            else:
                payment = Payment.objects.select_for_update().get(pk=candidate.pk)
                if event.event_type == EventType.PAYMENT_SUCCEEDED:
                    outcome = _apply_succeeded(order=order, payment=payment, event=event)
                else:
                    outcome = _apply_refunded(order=order, payment=payment)
        record.outcome = outcome.value
        record.payment = payment
        record.save(update_fields=["outcome", "payment", "updated_at"])
        webhook_counted(WebhookEventResult.PROCESSED)
    logger.info("Webhook %s:%s (%s) -> %s", provider, event.event_id, event.event_type, outcome.value)
    return WebhookResult(event_id=event.event_id, outcome=outcome)
