"""Real concurrency: threads with their own database connections against a committed database."""

import threading
from collections import Counter
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from rest_framework.test import APIClient

from inventory.models import MovementReason, StockMovement
from orders.models import OrderStatus, OrderStatusEvent
from orders.services import order_cancel
from payments.models import FakeCharge, Payment, PaymentStatus
from payments.providers.fake import slow_charges_held, succeeded_charge_count
from tests.factories import UserFactory
from tests.factories.orders import make_order
from tests.factories.payments import signed_webhook
from tests.payments.conftest import WEBHOOK_URL, pay
from tests.support import client_for, connect_with_retry, run_concurrently, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_threads_one_key_charge_once():
    customer = UserFactory.create()
    order = make_order(user=customer)

    responses = run_concurrently(50, lambda _: pay(client_for(customer), order.pk, key="one-key", card="tok_slow"))

    assert all(not isinstance(r, Exception) for r in responses), responses
    created = [r for r in responses if r.status_code == 201]
    in_flight = [r for r in responses if r.status_code == 409]
    assert len(created) + len(in_flight) == 50
    assert {r.json()["errors"][0]["code"] for r in in_flight} <= {"idempotency_in_progress"}
    originals = [r for r in created if r.headers.get("Idempotent-Replayed") != "true"]
    assert len(originals) == 1
    assert {r.content for r in created} == {originals[0].content}
    assert originals[0].json()["status"] == "succeeded"

    assert succeeded_charge_count() == 1
    assert FakeCharge.objects.count() == 1
    assert Payment.objects.filter(order=order).count() == 1
    assert Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).count() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PAYMENT_CONFIRMED
    assert OrderStatusEvent.objects.filter(order=order, to_status=OrderStatus.PAYMENT_CONFIRMED).count() == 1
    assert [m.subject for m in mail.outbox if m.subject.startswith("Payment received")] == [
        f"Payment received for order {order.pk}"
    ]


def test_ten_threads_ten_keys_one_charge_rest_not_payable():
    customer = UserFactory.create()
    order = make_order(user=customer)

    responses = run_concurrently(10, lambda i: pay(client_for(customer), order.pk, key=f"key-{i}", card="tok_slow"))

    assert all(not isinstance(r, Exception) for r in responses), responses
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 9}
    assert {r.json()["errors"][0]["code"] for r in responses if r.status_code == 409} == {"order_not_payable"}
    winner = next(r for r in responses if r.status_code == 201)
    assert winner.json()["status"] == "succeeded"
    assert succeeded_charge_count() == 1
    assert FakeCharge.objects.count() == 1
    assert list(Payment.objects.filter(order=order).values_list("status", flat=True)) == [PaymentStatus.SUCCEEDED]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAYMENT_CONFIRMED


def test_webhook_arriving_before_the_synchronous_response_applies_once(settings):
    settings.PAYMENT_FAKE_SLOW_SECONDS = 30  # held until released below
    customer = UserFactory.create()
    order = make_order(user=customer)
    result: dict[str, Any] = {}

    def pay_slowly() -> None:
        try:
            connect_with_retry()
            result["response"] = pay(client_for(customer), order.pk, key="k", card="tok_slow")
        finally:
            connection.close()

    with slow_charges_held():
        thread = threading.Thread(target=pay_slowly)
        thread.start()
        # The provider has taken the money but has not answered the shop yet.
        wait_for(lambda: FakeCharge.objects.exists())
        charge = FakeCharge.objects.get()
        assert Payment.objects.get(order=order).status == PaymentStatus.PENDING

        body, headers = signed_webhook(
            event_type="payment.succeeded",
            transaction_id=charge.transaction_id,
            amount=charge.amount,
            payment_reference=charge.metadata["payment_id"],
        )
        webhook = APIClient().post(WEBHOOK_URL, body, content_type="application/json", **headers)

        assert webhook.status_code == 200, webhook.content
        assert webhook.json()["outcome"] == "applied"
        assert thread.is_alive()  # the synchronous call is still waiting on the provider
        order.refresh_from_db()
        assert order.status == OrderStatus.PAYMENT_CONFIRMED
    thread.join()

    response = result["response"]
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "succeeded"
    assert response.json()["transaction_id"] == charge.transaction_id
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert OrderStatusEvent.objects.filter(order=order, to_status=OrderStatus.PAYMENT_CONFIRMED).count() == 1
    assert [m.subject for m in mail.outbox if m.subject.startswith("Payment received")] == [
        f"Payment received for order {order.pk}"
    ]
    assert succeeded_charge_count() == 1


def test_order_cancelled_while_charging_is_refunded(settings):
    settings.PAYMENT_FAKE_SLOW_SECONDS = 30
    customer = UserFactory.create()
    order = make_order(user=customer, stock=4)
    result: dict[str, Any] = {}

    def pay_slowly() -> None:
        try:
            connect_with_retry()
            result["response"] = pay(client_for(customer), order.pk, key="k", card="tok_slow")
        finally:
            connection.close()

    with slow_charges_held():
        thread = threading.Thread(target=pay_slowly)
        thread.start()
        wait_for(lambda: FakeCharge.objects.exists())
        order_cancel(order_id=order.pk, actor=customer)
    thread.join()

    response = result["response"]
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "order_not_payable"
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.REFUNDED
    charge = FakeCharge.objects.get()
    assert charge.refund_id
    assert charge.refunded_amount == charge.amount
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert StockMovement.objects.filter(order=order, reason=MovementReason.ORDER_CANCELLED).count() == 1


def test_two_managers_cancelling_a_paid_order_refund_and_restock_once(auth_client):
    from tests.factories.payments import paid_order

    order = paid_order(stock=3)
    managers = [UserFactory.create(manager=True) for _ in range(2)]

    responses = run_concurrently(
        2, lambda i: client_for(managers[i]).post(f"/api/v1/orders/{order.pk}/cancel/", {}, format="json")
    )

    assert all(not isinstance(r, Exception) for r in responses), responses
    assert sorted(r.status_code for r in responses) == [200, 409]
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert Payment.objects.get(order=order).status == PaymentStatus.REFUNDED
    assert FakeCharge.objects.exclude(refund_id="").count() == 1
    assert StockMovement.objects.filter(order=order, reason=MovementReason.ORDER_CANCELLED).count() == 1
