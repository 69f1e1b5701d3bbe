"""The customer's order e-mails: received on placement, cancelled (with the refund, if any), through the outbox."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from emails.models import OutboxMessage
from orders.models import Order, OrderStatus
from orders.services import order_cancel, order_expire_overdue, order_place
from tests.factories import ProductFactory, UserFactory
from tests.factories.orders import make_order
from tests.factories.payments import paid_order

pytestmark = pytest.mark.django_db


def _html(message: Any) -> str:
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    return str(html)


def test_placing_an_order_mails_items_prices_total_and_next_steps(django_capture_on_commit_callbacks: Any) -> None:
    customer = UserFactory.create()
    mug = ProductFactory.create(name="Blue <mug>", price=Decimal("12.50"), stock=5)
    hat = ProductFactory.create(name="Wool hat", price=Decimal("20.00"), stock=5)
    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(
            user=customer, items=[{"product_id": mug.pk, "quantity": 2}, {"product_id": hat.pk, "quantity": 1}]
        )

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [customer.email]
    assert message.subject == f"Order {order.pk} received: 45.00 USD"
    assert "2 × Blue <mug> at 12.50 = 25.00" in message.body
    assert "1 × Wool hat at 20.00 = 20.00" in message.body
    assert "Total: 45.00 USD" in message.body
    assert "What happens next" in message.body
    assert "within 30 minutes" in message.body
    assert "e-mail you again when it ships" in message.body
    html = _html(message)
    assert "Blue &lt;mug&gt;" in html
    assert "45.00 USD" in html
    assert message.extra_headers["X-Idempotency-Key"] == f"order-received:{order.pk}"


def test_the_confirmation_is_written_in_the_placing_transaction(settings: Any) -> None:
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    product = ProductFactory.create(stock=5)
    customer = UserFactory.create()

    def place_then_fail() -> None:
        with transaction.atomic():
            order_place(user=customer, items=[{"product_id": product.pk, "quantity": 1}])
            assert OutboxMessage.objects.filter(idempotency_key__startswith="order-received:").count() == 1
            raise RuntimeError("the surrounding change fails")

    with pytest.raises(RuntimeError):
        place_then_fail()

    assert not Order.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_refused_order_mails_nothing(django_capture_on_commit_callbacks: Any) -> None:
    product = ProductFactory.create(stock=1)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception, match="stock"):
        order_place(user=UserFactory.create(), items=[{"product_id": product.pk, "quantity": 2}])
    assert mail.outbox == []
    assert not OutboxMessage.objects.exists()


def test_customer_cancellation_mails_the_items_and_no_refund(django_capture_on_commit_callbacks: Any) -> None:
    customer = UserFactory.create()
    order = make_order(user=customer, lines=[(ProductFactory.create(name="Linen shirt", stock=3), 2)])
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, actor=customer)

    [message] = mail.outbox
    assert message.to == [customer.email]
    assert message.subject == f"Your order {order.pk} has been cancelled"
    assert "cancelled as you asked" in message.body
    assert "2 × Linen shirt" in message.body
    assert "Nothing was charged" in message.body
    assert "Nothing was charged" in _html(message)
    assert OutboxMessage.objects.filter(idempotency_key=f"order-cancelled:{order.pk}").count() == 1


def test_staff_cancellation_of_a_paid_order_mails_the_refund(
    manager: Any, django_capture_on_commit_callbacks: Any
) -> None:
    customer = UserFactory.create()
    order = paid_order(user=customer, status=OrderStatus.PROCESSING, stock=4, price=Decimal("49.00"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order_cancel(order_id=order.pk, actor=manager)

    [message] = mail.outbox
    assert message.to == [customer.email]
    assert "cancelled by our staff" in message.body
    assert "Refund: 49.00 USD has been refunded" in message.body
    assert "Refund: 49.00 USD" in _html(message)
    assert "Nothing was charged" not in message.body


def test_an_expired_order_mails_why_it_was_cancelled(django_capture_on_commit_callbacks: Any) -> None:
    customer = UserFactory.create()
    order = make_order(user=customer)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert order_expire_overdue() == 1

    [message] = mail.outbox
    assert "because it was not paid in time" in message.body
    assert "Nothing was charged" in message.body


def test_a_refused_cancellation_mails_nothing(django_capture_on_commit_callbacks: Any) -> None:
    customer = UserFactory.create()
    order = make_order(user=customer, status=OrderStatus.SHIPPED)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception, match="cannot move"):
        order_cancel(order_id=order.pk, actor=customer)
    assert mail.outbox == []
    assert not OutboxMessage.objects.filter(idempotency_key__startswith="order-cancelled:").exists()
