import pytest
from django.core import mail

from inventory.models import MovementReason, StockMovement
from orders.models import OrderStatus
from payments.models import FakeCharge, Payment, PaymentStatus
from payments.services import payment_refund_for_order
from tests.factories.orders import make_order
from tests.factories.payments import paid_order, signed_webhook
from tests.payments.conftest import WEBHOOK_URL

pytestmark = pytest.mark.django_db


def cancel(client, order):
    return client.post(f"/api/v1/orders/{order.pk}/cancel/", {}, format="json")


@pytest.mark.parametrize("status", [OrderStatus.PAYMENT_CONFIRMED, OrderStatus.PROCESSING])
def test_manager_cancel_of_a_paid_order_refunds_then_restocks_once(manager, manager_client, status):
    order = paid_order(status=status, stock=5)
    product = order.items.get().product
    product.refresh_from_db()
    assert product.stock_quantity == 4

    response = cancel(manager_client, order)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == OrderStatus.CANCELLED
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_by == manager
    assert payment.refund_id.startswith("fake_re_")
    charge = FakeCharge.objects.get(transaction_id=payment.transaction_id)
    assert charge.refund_id == payment.refund_id
    assert charge.refunded_amount == order.total_amount
    product.refresh_from_db()
    assert product.stock_quantity == 5
    assert StockMovement.objects.filter(order=order, reason=MovementReason.ORDER_CANCELLED).count() == 1

    # The provider's own notification of that refund changes nothing more.
    body, headers = signed_webhook(
        event_type="payment.refunded", transaction_id=payment.transaction_id, amount=payment.amount
    )
    from rest_framework.test import APIClient

    assert APIClient().post(WEBHOOK_URL, body, content_type="application/json", **headers).json()["outcome"] == (
        "already_applied"
    )
    assert StockMovement.objects.filter(order=order, reason=MovementReason.ORDER_CANCELLED).count() == 1
    assert cancel(manager_client, order).status_code == 409


def test_refund_webhook_arriving_before_our_refund_is_recorded_leaves_cancel_to_us(manager):
    order = paid_order(stock=3)
    payment = Payment.objects.get(order=order)
    # Our refund was requested (committed) and the provider's event overtakes its response.
    Payment.objects.filter(pk=payment.pk).update(refund_requested_at=payment.created_at)
    body, headers = signed_webhook(
        event_type="payment.refunded", transaction_id=payment.transaction_id, amount=payment.amount
    )
    from rest_framework.test import APIClient

    assert APIClient().post(WEBHOOK_URL, body, content_type="application/json", **headers).json()["outcome"] == (
        "applied"
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PAYMENT_CONFIRMED  # not cancelled by the webhook

    from orders.services import order_cancel

    order_cancel(order_id=order.pk, actor=manager)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert StockMovement.objects.filter(order=order, reason=MovementReason.ORDER_CANCELLED).count() == 1


def test_refund_failure_at_the_provider_is_502_and_nothing_is_cancelled(manager_client, settings):
    order = paid_order(stock=2)
    settings.PAYMENT_PROVIDERS = {"fake": "tests.payments.providers.RefundOutageProvider"}

    response = cancel(manager_client, order)

    assert response.status_code == 502
    assert response.json()["errors"][0]["code"] == "provider_error"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAYMENT_CONFIRMED
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.refund_requested_at is not None
    assert not StockMovement.objects.filter(order=order, reason=MovementReason.ORDER_CANCELLED).exists()

    settings.PAYMENT_PROVIDERS = {"fake": "payments.providers.fake.FakeProvider"}
    assert cancel(manager_client, order).status_code == 200
    assert Payment.objects.get(order=order).status == PaymentStatus.REFUNDED


def test_manager_cancel_of_an_unpaid_order_refunds_nothing(manager_client):
    order = make_order()
    assert cancel(manager_client, order).status_code == 200
    assert not FakeCharge.objects.exists()


def test_shipped_orders_are_not_refunded(manager, manager_client):
    order = paid_order()
    from orders.services import order_transition

    order_transition(order_id=order.pk, to_status=OrderStatus.PROCESSING, actor=None)
    order_transition(order_id=order.pk, to_status=OrderStatus.SHIPPED, actor=None)

    payment_refund_for_order(order_id=order.pk, actor=manager)
    assert cancel(manager_client, order).status_code == 409

    assert Payment.objects.get(order=order).status == PaymentStatus.SUCCEEDED
    assert FakeCharge.objects.get().refund_id == ""


def test_customer_cannot_cancel_a_paid_order(customer, customer_client):
    order = paid_order(user=customer)
    mail.outbox.clear()
    assert cancel(customer_client, order).status_code == 409
    assert Payment.objects.get(order=order).status == PaymentStatus.SUCCEEDED
