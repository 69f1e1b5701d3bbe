from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from payments.models import Payment, PaymentStatus, WebhookEvent
from tests.factories.orders import make_order
from tests.factories.payments import PaymentFactory

pytestmark = pytest.mark.django_db


def test_at_most_one_succeeded_payment_per_order():
    order = make_order()
    PaymentFactory.create(order=order, status=PaymentStatus.SUCCEEDED, transaction_id="t1")
    PaymentFactory.create(order=order, status=PaymentStatus.FAILED, transaction_id="t2")
    PaymentFactory.create(order=order, status=PaymentStatus.REFUNDED, transaction_id="t3")
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory.create(order=order, status=PaymentStatus.SUCCEEDED, transaction_id="t4")
    # Another order is unaffected.
    PaymentFactory.create(status=PaymentStatus.SUCCEEDED, transaction_id="t5")


def test_transaction_id_is_unique_per_provider():
    PaymentFactory.create(transaction_id="same")
    PaymentFactory.create(transaction_id="same", provider="other")
    PaymentFactory.create(transaction_id=None)
    PaymentFactory.create(transaction_id=None)  # charges not yet answered have no id
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory.create(transaction_id="same")


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"status": PaymentStatus.SUCCEEDED, "transaction_id": None}, "payments_settled_has_transaction"),
        ({"status": "lost"}, "payments_status_valid"),
        ({"amount": Decimal("-1.00")}, "payments_amount_non_negative"),
    ],
)
def test_schema_checks(fields, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        PaymentFactory.create(**fields)


def test_webhook_event_ids_are_unique_per_provider():
    WebhookEvent.objects.create(provider="fake", event_id="e", event_type="x", payload={})
    WebhookEvent.objects.create(provider="other", event_id="e", event_type="x", payload={})
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEvent.objects.create(provider="fake", event_id="e", event_type="x", payload={})


def test_payment_amount_defaults_to_the_order_total():
    payment = PaymentFactory.create()
    assert payment.amount == payment.order.total_amount
    assert Payment.objects.get(pk=payment.pk).currency == "USD"
