"""The fields of a log line: ``user_id`` on every line of an authenticated request (once authenticated, whatever
authenticated it), ``order_id`` on the lines of order placement, payment and transitions and of the tasks about an
order; never a password, a token, a card token or an e-mail body."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.logging import get_logger
from orders.models import Order, OrderStatus
from orders.tasks import order_expire_overdue
from payments.models import Payment
from payments.providers.fake import FakeCard
from payments.tasks import payment_refund_unkeepable
from tests.api.test_request_id import json_lines, lines
from tests.factories import ProductFactory, UserFactory
from tests.factories.orders import make_order
from tests.factories.payments import paid_order
from tests.payments.conftest import pay
from tests.support import client_for

__all__ = ["json_lines"]  # the fixture, shared with the request id tests

ORDERS = "/api/v1/orders/"


def events(stream: io.StringIO, event: str) -> list[dict[str, Any]]:
    return [line for line in lines(stream) if line["event"] == event]


@pytest.mark.django_db(transaction=True)  # the lines written on commit are written inside the request
def test_lines_of_an_authenticated_request_carry_the_user_and_the_order(json_lines: io.StringIO) -> None:
    customer = UserFactory.create()
    client = client_for(customer)
    product = ProductFactory.create(stock=1)
    placed = client.post(
        ORDERS, {"items": [{"product_id": str(product.pk), "quantity": 1}]}, format="json", HTTP_IDEMPOTENCY_KEY="p"
    )
    refused = client.post(
        ORDERS, {"items": [{"product_id": str(product.pk), "quantity": 1}]}, format="json", HTTP_IDEMPOTENCY_KEY="r"
    )
    paid = pay(client, uuid.UUID(placed.json()["id"]), key="pay", card=FakeCard.OK)
    assert (placed.status_code, refused.status_code, paid.status_code) == (201, 409, 201)
    order_id = placed.json()["id"]

    [placed_line] = events(json_lines, "order placed")
    assert placed_line["order_id"] == order_id
    assert placed_line["user_id"] == str(customer.pk)
    assert placed_line["request_id"] == placed["X-Request-ID"]
    # Django's own line for the 409, written after the view returned, names the user too.
    [conflict] = [line for line in lines(json_lines) if line["logger"] == "django.request"]
    assert (conflict["user_id"], conflict["request_id"]) == (str(customer.pk), refused["X-Request-ID"])
    [confirmed] = events(json_lines, "order status changed")
    assert (confirmed["order_id"], confirmed["to_status"]) == (order_id, OrderStatus.PAYMENT_CONFIRMED)
    assert confirmed["user_id"] == str(customer.pk)
    [succeeded] = [line for line in lines(json_lines) if line["event"].endswith("succeeded at fake")]
    assert (succeeded["order_id"], succeeded["user_id"]) == (order_id, str(customer.pk))
    assert succeeded["request_id"] == paid["X-Request-ID"]
    assert FakeCard.OK.value not in json_lines.getvalue()


@pytest.mark.django_db
def test_anonymous_lines_have_no_user_and_nothing_stays_bound(json_lines: io.StringIO) -> None:
    response = APIClient().get("/api/v1/no-such-endpoint/")
    [line] = [line for line in lines(json_lines) if line["logger"] == "django.request"]
    assert line["request_id"] == response["X-Request-ID"]
    assert "user_id" not in line
    client_for(UserFactory.create()).get("/api/v1/orders/")
    get_logger("tests").info("after the requests")
    assert {"user_id", "order_id", "request_id"}.isdisjoint(lines(json_lines)[-1])


@pytest.mark.django_db(transaction=True)
def test_the_tasks_about_an_order_log_its_id(json_lines: io.StringIO) -> None:
    overdue = make_order()
    Order.objects.filter(pk=overdue.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    refunded = paid_order()
    payment = Payment.objects.get(order=refunded)
    assert order_expire_overdue.delay().get() == 1
    payment_refund_unkeepable.delay(payment_id=str(payment.pk))

    [expired] = [line for line in events(json_lines, "order status changed") if line.get("reason") == "order_expired"]
    assert (expired["order_id"], expired["task"], expired["reason"]) == (
        str(overdue.pk),
        "orders.order_expire_overdue",
        "order_expired",
    )
    [refund] = [line for line in lines(json_lines) if line["event"].endswith("refunded at fake")]
    assert (refund["order_id"], refund["task"]) == (str(refunded.pk), "payments.payment_refund_unkeepable")


@pytest.mark.django_db
def test_passwords_tokens_and_card_tokens_never_reach_a_line(json_lines: io.StringIO) -> None:
    password = "S3cure-pass-word-for-logs"
    customer = UserFactory.create(password=password)
    response = APIClient().post("/api/v1/auth/token/", {"email": customer.email, "password": password}, format="json")
    assert response.status_code == 200
    get_logger("tests").info(
        "sign-in attempt",
        new_password=password,
        payment_token=FakeCard.OK.value,
        cart_token="guest-cart-token",
        data={"refresh": response.json()["refresh"], "client_secret": "s"},
        email_html="<p>Dear customer</p>",
    )
    written = json_lines.getvalue()
    for secret in (password, FakeCard.OK.value, "guest-cart-token", response.json()["refresh"], "Dear customer"):
        assert secret not in written
    [line] = events(json_lines, "sign-in attempt")
    assert line["data"] == {"refresh": "[redacted]", "client_secret": "[redacted]"}
