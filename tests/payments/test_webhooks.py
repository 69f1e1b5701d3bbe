import time
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from inventory.models import MovementReason, StockMovement
from orders.models import OrderStatus, OrderStatusEvent
from payments.models import FakeCharge, Payment, PaymentStatus, WebhookEvent
from payments.providers.webhooks import SIGNATURE_HEADER, event_body, signature_header
from payments.services import _payment_open
from tests.factories.orders import make_order
from tests.factories.payments import paid_order, signed_webhook
from tests.payments.conftest import WEBHOOK_URL

pytestmark = pytest.mark.django_db


def post(body: bytes, headers: dict[str, Any], *, client: APIClient | None = None, url: str = WEBHOOK_URL):
    return (client or APIClient()).post(url, body, content_type="application/json", **headers)


def _header(value: str) -> dict[str, Any]:
    return {"HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_"): value}


def test_signed_success_event_settles_a_pending_payment(django_capture_on_commit_callbacks):
    order = make_order()
    payment = _payment_open(order_id=order.pk, user=order.user, provider="fake", idempotency_key="k")
    body, headers = signed_webhook(
        event_type="payment.succeeded",
        transaction_id="fake_ch_external",
        amount=order.total_amount,
        payment_reference=str(payment.pk),
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(body, headers)

    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "applied"
    assert response.json()["duplicate"] is False
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.transaction_id == "fake_ch_external"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAYMENT_CONFIRMED
    assert len(callbacks) == 3  # the confirmation e-mail; the transition and the event counted once committed
    stored = WebhookEvent.objects.get()
    assert (stored.event_type, stored.outcome, stored.payment_id) == ("payment.succeeded", "applied", payment.pk)


def test_webhook_after_the_synchronous_response_is_a_no_op():
    order = paid_order()
    payment = Payment.objects.get(order=order)
    body, headers = signed_webhook(
        event_type="payment.succeeded", transaction_id=payment.transaction_id, amount=payment.amount
    )

    response = post(body, headers)

    assert response.status_code == 200
    assert response.json()["outcome"] == "already_applied"
    assert OrderStatusEvent.objects.filter(order=order, to_status=OrderStatus.PAYMENT_CONFIRMED).count() == 1


def test_duplicate_event_id_is_a_200_no_op():
    order = paid_order(stock=5)
    payment = Payment.objects.get(order=order)
    body, headers = signed_webhook(
        event_type="payment.refunded", transaction_id=payment.transaction_id, amount=payment.amount, event_id="evt_1"
    )

    first = post(body, headers)
    second = post(body, headers)

    assert first.json()["outcome"] == "applied"
    assert second.status_code == 200
    assert second.json() == {"received": True, "event_id": "evt_1", "duplicate": True, "outcome": "duplicate"}
    assert WebhookEvent.objects.count() == 1
    assert StockMovement.objects.filter(order=order, reason=MovementReason.ORDER_CANCELLED).count() == 1


def test_refund_made_at_the_provider_cancels_and_restocks_once():
    order = paid_order(stock=5)
    product = order.items.get().product
    payment = Payment.objects.get(order=order)
    events = [
        signed_webhook(event_type="payment.refunded", transaction_id=payment.transaction_id, amount=payment.amount)
        for _ in range(2)  # two distinct events for the same refund
    ]

    outcomes = [post(body, headers).json()["outcome"] for body, headers in events]

    assert outcomes == ["applied", "already_applied"]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    product.refresh_from_db()
    assert product.stock_quantity == 5
    assert StockMovement.objects.filter(order=order, reason=MovementReason.ORDER_CANCELLED).count() == 1


def test_amount_mismatch_is_recorded_but_not_applied():
    order = make_order(price=Decimal("49.00"))
    payment = _payment_open(order_id=order.pk, user=order.user, provider="fake", idempotency_key="k")
    body, headers = signed_webhook(
        event_type="payment.succeeded",
        transaction_id="fake_ch_x",
        amount=Decimal("1.00"),
        payment_reference=str(payment.pk),
    )

    response = post(body, headers)

    assert response.status_code == 200
    assert response.json()["outcome"] == "amount_mismatch"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_success_for_an_order_paid_by_another_payment_is_refunded(django_capture_on_commit_callbacks):
    order = make_order()
    stale = _payment_open(order_id=order.pk, user=order.user, provider="fake", idempotency_key="lost")
    Payment.objects.filter(pk=stale.pk).update(status=PaymentStatus.FAILED, failure_code="provider_error")
    from payments.services import payment_pay_order

    payment_pay_order(order_id=order.pk, user=order.user, provider="fake", token="tok_ok", idempotency_key="again")
    # The "lost" attempt's charge went through at the provider after all, and is reported late.
    from payments.providers.fake import FakeProvider

    late = FakeProvider().charge(
        amount=order.total_amount, currency="USD", token="tok_ok", idempotency_key="late", metadata={}
    )
    body, headers = signed_webhook(
        event_type="payment.succeeded",
        transaction_id=late.transaction_id,
        amount=order.total_amount,
        payment_reference=str(stale.pk),
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = post(body, headers)

    assert response.json()["outcome"] == "refund_scheduled"
    stale.refresh_from_db()
    assert stale.status == PaymentStatus.REFUNDED
    assert FakeCharge.objects.get(transaction_id=late.transaction_id).refund_id
    assert Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).count() == 1


@pytest.mark.parametrize("event_type", ["payment.succeeded", "payment.refunded"])
def test_event_for_an_unknown_payment_is_acknowledged(event_type):
    body, headers = signed_webhook(event_type=event_type, transaction_id="fake_ch_nobody", amount=Decimal("1.00"))
    response = post(body, headers)
    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown_payment"


def test_unknown_event_type_is_stored_and_ignored():
    body, headers = signed_webhook(event_type="customer.created", transaction_id="x", amount=Decimal("0"))
    response = post(body, headers)
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert WebhookEvent.objects.get().outcome == "ignored"


def test_webhook_needs_no_jwt_and_no_csrf_token():
    order = paid_order()
    payment = Payment.objects.get(order=order)
    body, headers = signed_webhook(
        event_type="payment.succeeded", transaction_id=payment.transaction_id, amount=payment.amount
    )
    response = post(body, headers, client=APIClient(enforce_csrf_checks=True))
    assert response.status_code == 200


def _assert_refused(response, code: str) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == code
    assert not WebhookEvent.objects.exists()


def test_tampered_body_is_refused():
    order = paid_order(stock=2)
    payment = Payment.objects.get(order=order)
    body, headers = signed_webhook(
        event_type="payment.refunded", transaction_id=payment.transaction_id, amount=payment.amount
    )
    _assert_refused(post(body.replace(b"refunded", b"succeeded"), headers), "webhook_signature_invalid")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAYMENT_CONFIRMED


def test_wrong_secret_is_refused():
    body, headers = signed_webhook(
        event_type="payment.succeeded", transaction_id="t", amount=Decimal("1"), secret="whsec_attacker"
    )
    _assert_refused(post(body, headers), "webhook_signature_invalid")


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=now,v1=abc", "t=123", "garbage"])
def test_missing_or_malformed_signature_header_is_refused(header):
    body = event_body(
        event_id="evt", event_type="payment.succeeded", transaction_id="t", amount=Decimal("1"), currency="USD"
    )
    _assert_refused(post(body, _header(header) if header is not None else {}), "webhook_signature_invalid")


# +330, not +301: a future timestamp comes closer to the window while the request runs (seconds on a loaded machine).
@pytest.mark.parametrize("skew", [-301, 330, -3600])
def test_timestamp_outside_five_minutes_is_refused(skew):
    body, headers = signed_webhook(
        event_type="payment.succeeded", transaction_id="t", amount=Decimal("1"), timestamp=int(time.time()) + skew
    )
    _assert_refused(post(body, headers), "webhook_timestamp_out_of_tolerance")


def test_timestamp_inside_the_window_is_accepted():
    body, headers = signed_webhook(
        event_type="payment.succeeded", transaction_id="t", amount=Decimal("1"), timestamp=int(time.time()) - 240
    )
    assert post(body, headers).status_code == 200


def test_a_second_signature_allows_secret_rotation(settings):
    body = event_body(event_id="evt", event_type="other", transaction_id="t", amount=Decimal("1"), currency="USD")
    ts = int(time.time())
    old = signature_header(body=body, secret="whsec_old", timestamp=ts).split(",")[1]
    new = signature_header(body=body, secret=settings.PAYMENT_WEBHOOK_SECRET, timestamp=ts).split(",")[1]
    assert post(body, _header(f"t={ts},{old},{new}")).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"type": "payment.succeeded"}',
        b'{"id": "", "type": "payment.succeeded"}',
        b'{"id": "e", "type": "payment.succeeded", "data": []}',
        b'{"id": "e", "type": "payment.succeeded", "data": {"amount": "lots"}}',
        b'{"id": "e", "type": "payment.succeeded", "data": {"amount": "NaN"}}',
        b'{"id": "e", "type": "payment.succeeded", "data": {"amount": true}}',
        b'{"id": "e", "type": "payment.succeeded", "data": {"metadata": "x"}}',
        b'{"id": "e", "type": "payment.succeeded", "data": {"currency": 5}}',
        b'{"id": 5, "type": "payment.succeeded"}',
    ],
)
def test_malformed_but_correctly_signed_body_is_400_not_500(body, settings):
    headers = _header(signature_header(body=body, secret=settings.PAYMENT_WEBHOOK_SECRET))
    _assert_refused(post(body, headers), "webhook_payload_invalid")


def test_bad_payment_reference_is_just_unknown():
    body, headers = signed_webhook(
        event_type="payment.succeeded", transaction_id="t", amount=Decimal("1"), payment_reference="not-a-uuid"
    )
    assert post(body, headers).json()["outcome"] == "unknown_payment"


def test_unknown_provider_is_404():
    body, headers = signed_webhook(event_type="payment.succeeded", transaction_id="t", amount=Decimal("1"))
    response = post(body, headers, url="/api/v1/payments/webhooks/stripe/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "unknown_provider"
