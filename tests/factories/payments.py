"""Payments built through the real services, plus signed webhook requests for the fake provider."""

import time
import uuid
from decimal import Decimal
from typing import Any

import factory
from django.conf import settings

from accounts.models import User
from orders.models import Order, OrderStatus
from payments.models import Payment, PaymentStatus
from payments.providers.fake import FakeCard
from payments.providers.webhooks import SIGNATURE_HEADER, event_body, signature_header
from payments.services import payment_pay_order
from tests.factories.orders import make_order


class PaymentFactory(factory.django.DjangoModelFactory[Payment]):
    """A bare payment row, for schema/constraint tests. Use ``paid_order`` for a real charge."""

    class Meta:
        model = Payment

    order = factory.LazyFunction(make_order)
    provider = "fake"
    status = PaymentStatus.PENDING
    amount = factory.LazyAttribute(lambda p: p.order.total_amount)
    currency = "USD"
    idempotency_key = factory.LazyFunction(lambda: uuid.uuid4().hex)
    transaction_id = None


def paid_order(*, user: User | None = None, status: str = OrderStatus.PAYMENT_CONFIRMED, **order_kwargs: Any) -> Order:
    """An order paid through the fake provider (a real charge that can be refunded), walked to ``status``."""
    from orders.services import order_transition

    order = make_order(user=user, **order_kwargs)
    payment_pay_order(
        order_id=order.pk,
        user=order.user,
        provider="fake",
        token=FakeCard.OK,
        idempotency_key=uuid.uuid4().hex,
    )
    if status == OrderStatus.PROCESSING:
        order_transition(order_id=order.pk, to_status=OrderStatus.PROCESSING, actor=None)
    order.refresh_from_db()
    return order


def signed_webhook(
    *,
    event_type: str,
    transaction_id: str | None,
    amount: Decimal,
    currency: str = "USD",
    payment_reference: str | None = None,
    event_id: str | None = None,
    timestamp: int | None = None,
    secret: str | None = None,
) -> tuple[bytes, dict[str, Any]]:
    """``(body, extra)`` for ``client.post(url, body, content_type="application/json", **extra)``."""
    body = event_body(
        event_id=event_id or f"evt_{uuid.uuid4().hex}",
        event_type=event_type,
        transaction_id=transaction_id or "",
        amount=amount,
        currency=currency,
        payment_reference=payment_reference,
    )
    header = signature_header(
        body=body,
        secret=secret or settings.PAYMENT_WEBHOOK_SECRET,
        timestamp=int(time.time()) if timestamp is None else timestamp,
    )
    return body, {"HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_"): header}
