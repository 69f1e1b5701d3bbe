from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from inventory.models import StockMovement
from orders.models import Order, OrderStatus, OrderStatusEvent
from payments.models import FakeCharge, Payment, PaymentStatus
from payments.providers.fake import succeeded_charge_count
from tests.factories import ProductFactory, UserFactory
from tests.factories.orders import make_order
from tests.payments.conftest import pay, pay_url

pytestmark = pytest.mark.django_db


def test_pay_succeeds_confirms_order_and_emails(customer, customer_client, django_capture_on_commit_callbacks):
    product = ProductFactory.create(price=Decimal("19.99"), stock=5)
    order = make_order(user=customer, lines=[(product, 3)])

    with django_capture_on_commit_callbacks(execute=True):
        response = pay(customer_client, order.pk, key="pay-1")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["order_id"] == str(order.pk)
    assert body["amount"] == "59.97"
    assert body["currency"] == "USD"
    assert body["provider"] == "fake"
    assert body["transaction_id"].startswith("fake_ch_")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAYMENT_CONFIRMED
    event = OrderStatusEvent.objects.get(order=order, to_status=OrderStatus.PAYMENT_CONFIRMED)
    assert event.actor == customer
    assert event.reason == "payment_succeeded"
    charge = FakeCharge.objects.get(transaction_id=body["transaction_id"])
    assert charge.amount == Decimal("59.97")
    assert charge.metadata["payment_id"] == body["id"]
    assert [m.to for m in mail.outbox] == [[customer.email]]
    assert str(order.pk) in mail.outbox[0].subject


def test_same_key_replays_without_charging_again(customer, customer_client):
    order = make_order(user=customer)
    first = pay(customer_client, order.pk, key="k")
    second = pay(customer_client, order.pk, key="k")

    assert second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert succeeded_charge_count() == 1
    assert Payment.objects.filter(order=order).count() == 1


def test_missing_idempotency_key_is_400_and_charges_nothing(customer, customer_client):
    order = make_order(user=customer)
    response = pay(customer_client, order.pk, key=None)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "idempotency_key_required"
    assert not Payment.objects.exists()
    assert not FakeCharge.objects.exists()


def test_same_key_with_another_body_is_422(customer, customer_client):
    order = make_order(user=customer)
    pay(customer_client, order.pk, key="k", card="tok_declined")
    response = pay(customer_client, order.pk, key="k", card="tok_ok")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "idempotency_key_mismatch"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_same_key_from_another_user_is_independent(auth_client):
    alice, bob = UserFactory.create(), UserFactory.create()
    alice_order, bob_order = make_order(user=alice), make_order(user=bob)

    a = pay(auth_client(alice), alice_order.pk, key="shared-key")
    b = pay(auth_client(bob), bob_order.pk, key="shared-key")

    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b.headers
    assert a.json()["transaction_id"] != b.json()["transaction_id"]
    assert succeeded_charge_count() == 2
    assert Order.objects.filter(status=OrderStatus.PAYMENT_CONFIRMED).count() == 2


def test_another_users_order_is_404(customer_client):
    order = make_order(user=UserFactory.create())
    response = pay(customer_client, order.pk, key="k")
    assert response.status_code == 404
    assert not FakeCharge.objects.exists()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_unauthenticated_is_401(api_client):
    order = make_order()
    response = pay(api_client, order.pk, key="k")
    assert response.status_code == 401


def test_decline_keeps_order_pending_then_retry_with_new_key_succeeds(
    customer, customer_client, django_capture_on_commit_callbacks
):
    order = make_order(user=customer)

    with django_capture_on_commit_callbacks(execute=True):
        declined = pay(customer_client, order.pk, key="attempt-1", card="tok_declined")

    assert declined.status_code == 201
    assert declined.json()["status"] == "failed"
    assert declined.json()["failure_code"] == "card_declined"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert mail.outbox == []

    replay = pay(customer_client, order.pk, key="attempt-1", card="tok_declined")
    assert replay.json()["status"] == "failed"
    assert replay.headers["Idempotent-Replayed"] == "true"

    retried = pay(customer_client, order.pk, key="attempt-2", card="tok_ok")
    assert retried.status_code == 201
    assert retried.json()["status"] == "succeeded"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAYMENT_CONFIRMED
    statuses = sorted(Payment.objects.filter(order=order).values_list("status", flat=True))
    assert statuses == [PaymentStatus.FAILED, PaymentStatus.SUCCEEDED]


def test_provider_error_is_502_and_leaves_order_payable(customer, customer_client):
    order = make_order(user=customer)

    response = pay(customer_client, order.pk, key="k", card="tok_error")

    assert response.status_code == 502
    assert response.json()["errors"][0]["code"] == "provider_error"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_code == "provider_error"
    assert not FakeCharge.objects.exists()

    # The claim on the key was released: the same key may be retried, and now succeeds.
    retried = pay(customer_client, order.pk, key="k", card="tok_ok")
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers
    assert retried.json()["status"] == "succeeded"
    assert succeeded_charge_count() == 1


def test_paid_order_is_not_payable_again(customer, customer_client):
    order = make_order(user=customer)
    pay(customer_client, order.pk, key="k1")
    response = pay(customer_client, order.pk, key="k2")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "order_not_payable"
    assert succeeded_charge_count() == 1


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.PROCESSING, OrderStatus.SHIPPED])
def test_order_not_pending_is_not_payable(customer, customer_client, status):
    order = make_order(user=customer, status=status)
    response = pay(customer_client, order.pk, key="k")
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["code"] == "order_not_payable"
    assert error["order_status"] == status
    assert not FakeCharge.objects.exists()


def test_expired_order_cannot_be_paid(customer, customer_client):
    order = make_order(user=customer)
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = pay(customer_client, order.pk, key="k")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "order_not_payable"
    assert not FakeCharge.objects.exists()
    assert not Payment.objects.exists()


def test_amount_comes_from_the_order_total_never_from_the_client(customer, customer_client):
    order = make_order(user=customer, price=Decimal("49.00"))

    response = pay(customer_client, order.pk, key="k", amount="0.01")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "amount"
    assert not FakeCharge.objects.exists()
    ok = pay(customer_client, order.pk, key="k2")
    assert ok.json()["amount"] == "49.00"
    assert FakeCharge.objects.get().amount == order.total_amount


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"provider": "stripe", "payment_token": "tok_ok"}, "provider"),
        ({"provider": "fake"}, "payment_token"),
        ({"provider": "fake", "payment_token": ""}, "payment_token"),
    ],
)
def test_invalid_body_is_400(customer, customer_client, body, attr):
    order = make_order(user=customer)
    response = customer_client.post(pay_url(order.pk), body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == attr
    assert not Payment.objects.exists()


def test_unknown_token_is_a_decline(customer, customer_client):
    order = make_order(user=customer)
    response = pay(customer_client, order.pk, key="k", card="tok_nonsense")
    assert response.status_code == 201
    assert response.json()["failure_code"] == "invalid_payment_token"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_payment_rate_limit_is_429(customer, customer_client, payments_rate):
    payments_rate("2/min")
    order = make_order(user=customer)
    assert pay(customer_client, order.pk, key="a", card="tok_declined").status_code == 201
    assert pay(customer_client, order.pk, key="b", card="tok_declined").status_code == 201
    response = pay(customer_client, order.pk, key="c")
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_paying_does_not_touch_stock(customer, customer_client):
    order = make_order(user=customer)
    movements = StockMovement.objects.count()
    pay(customer_client, order.pk, key="k")
    assert StockMovement.objects.count() == movements


def test_a_pending_charge_left_by_a_dead_request_stops_blocking_after_a_while(customer, customer_client):
    from payments.services import STALE_PENDING_AFTER, _payment_open

    order = make_order(user=customer)
    stuck = _payment_open(order_id=order.pk, user=customer, provider="fake", idempotency_key="died")
    assert pay(customer_client, order.pk, key="k1").json()["errors"][0]["code"] == "order_not_payable"

    Payment.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - STALE_PENDING_AFTER - timedelta(seconds=1))
    response = pay(customer_client, order.pk, key="k2")

    assert response.status_code == 201
    assert response.json()["status"] == "succeeded"
    stuck.refresh_from_db()
    assert (stuck.status, stuck.failure_code) == (PaymentStatus.FAILED, "abandoned")
