"""The admin index starts from what needs attention, in a fixed number of queries."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from emails.models import OutboxMessage, OutboxState
from emails.services import email_enqueue
from orders.models import OrderStatus
from tests.factories import ProductFactory
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db


def _attention(client: Client) -> dict[str, int]:
    response = client.get("/admin/")
    assert response.status_code == 200
    return {item["key"]: item["count"] for item in response.context["attention"]}


def test_index_counts_what_needs_attention(manager: User, login: Callable[[User], Client]) -> None:
    client = login(manager)
    assert _attention(client) == {"to_process": 0, "to_ship": 0, "low_stock": 0, "dead_outbox": 0}

    make_order(status=OrderStatus.PAYMENT_CONFIRMED, stock=50)
    make_order(status=OrderStatus.PAYMENT_CONFIRMED, stock=50)
    make_order(status=OrderStatus.PROCESSING, stock=50)
    make_order(status=OrderStatus.SHIPPED, stock=50)
    ProductFactory.create(stock=1, low_stock_threshold=3)
    ProductFactory.create(stock=0, is_active=False)  # not for sale: not a chore
    email_enqueue(to=["a@example.com"], template="low_stock", context={"products": []}, idempotency_key="d")
    OutboxMessage.objects.filter(idempotency_key="d").update(state=OutboxState.DEAD)

    assert _attention(client) == {"to_process": 2, "to_ship": 1, "low_stock": 1, "dead_outbox": 1}
    html = client.get("/admin/").content.decode()
    assert "/admin/orders/order/?status__exact=PAYMENT_CONFIRMED" in html
    assert "/admin/catalog/product/?stock=low&amp;is_active__exact=1" in html
    assert "/admin/emails/outboxmessage/?state__exact=dead" in html


def test_index_query_count_is_fixed(manager: User, login: Callable[[User], Client]) -> None:
    client = login(manager)
    for _ in range(3):
        make_order(status=OrderStatus.PROCESSING)
    with CaptureQueriesContext(connection) as queries:
        client.get("/admin/")
    # session, user, orders (one aggregate), low stock, dead outbox.
    assert len(queries) == 5
