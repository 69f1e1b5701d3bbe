import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from catalog.models import Product
from core.errors import DomainError
from inventory.models import StockMovement
from inventory.selectors import inventory_mismatches
from orders.errors import InvalidTransitionError
from orders.models import Order, OrderStatus, OrderStatusEvent
from orders.services import (
    ALLOWED_TRANSITIONS,
    order_cancel,
    order_expire_overdue,
    order_transition,
)
from orders.tasks import order_expire_overdue as expire_task
from tests.factories import ProductFactory, UserFactory
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db

LEGAL = {
    ("PENDING", "PAYMENT_CONFIRMED"),
    ("PENDING", "CANCELLED"),
    ("PAYMENT_CONFIRMED", "PROCESSING"),
    ("PAYMENT_CONFIRMED", "CANCELLED"),
    ("PROCESSING", "SHIPPED"),
    ("PROCESSING", "CANCELLED"),
}
ALL_PAIRS = list(itertools.product(OrderStatus.values, OrderStatus.values))


def _stock(product: Product) -> int:
    return Product.objects.values_list("stock_quantity", flat=True).get(pk=product.pk)


def test_table_matches_the_documented_lifecycle() -> None:
    assert {(f, t) for f, targets in ALLOWED_TRANSITIONS.items() for t in targets} == LEGAL


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_every_pair_of_the_state_table(from_status: str, to_status: str) -> None:
    product = ProductFactory.create(stock=10)
    order = make_order(lines=[(product, 2)], status=from_status)
    events_before = OrderStatusEvent.objects.filter(order=order).count()
    stock_before = _stock(product)
    actor = UserFactory.create(manager=True)
    if (from_status, to_status) in LEGAL:
        result = order_transition(order_id=order.pk, to_status=to_status, actor=actor, reason="test")
        assert result.status == to_status
        assert Order.objects.get(pk=order.pk).status == to_status
        event = OrderStatusEvent.objects.filter(order=order).latest("created_at")
        assert (event.from_status, event.to_status, event.actor, event.reason) == (
            from_status,
            to_status,
            actor,
            "test",
        )
        expected_stock = stock_before + 2 if to_status == OrderStatus.CANCELLED else stock_before
        assert _stock(product) == expected_stock
    else:
        with pytest.raises(InvalidTransitionError) as excinfo:
            order_transition(order_id=order.pk, to_status=to_status, actor=actor)
        assert excinfo.value.status_code == 409
        assert excinfo.value.code == "invalid_transition"
        assert excinfo.value.as_errors()[0]["current_status"] == from_status
        assert Order.objects.get(pk=order.pk).status == from_status
        assert OrderStatusEvent.objects.filter(order=order).count() == events_before
        assert _stock(product) == stock_before
    assert inventory_mismatches() == []


def test_unknown_status_is_400() -> None:
    order = make_order()
    with pytest.raises(DomainError) as excinfo:
        order_transition(order_id=order.pk, to_status="LOST", actor=None)
    assert (excinfo.value.status_code, excinfo.value.code) == (400, "invalid_status")


def test_cancel_restocks_through_the_ledger_once() -> None:
    a, b = ProductFactory.create(stock=5), ProductFactory.create(stock=5)
    order = make_order(lines=[(a, 2), (b, 1)])
    order_transition(order_id=order.pk, to_status=OrderStatus.CANCELLED, actor=None)
    assert (_stock(a), _stock(b)) == (5, 5)
    restocked = StockMovement.objects.filter(order=order, reason="order_cancelled")
    assert sorted(restocked.values_list("delta", flat=True)) == [1, 2]
    with pytest.raises(InvalidTransitionError):
        order_transition(order_id=order.pk, to_status=OrderStatus.CANCELLED, actor=None)
    assert (_stock(a), _stock(b)) == (5, 5)


def test_shipping_emails_the_customer(django_capture_on_commit_callbacks: Any) -> None:
    customer = UserFactory.create()
    order = make_order(user=customer, status=OrderStatus.PROCESSING)
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=order.pk, to_status=OrderStatus.SHIPPED, actor=None)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [customer.email]
    assert str(order.pk) in mail.outbox[0].subject


def test_customer_may_cancel_only_pending() -> None:
    customer = UserFactory.create()
    pending = make_order(user=customer)
    assert order_cancel(order_id=pending.pk, actor=customer).status == OrderStatus.CANCELLED
    paid = make_order(user=customer, status=OrderStatus.PAYMENT_CONFIRMED)
    with pytest.raises(InvalidTransitionError) as excinfo:
        order_cancel(order_id=paid.pk, actor=customer)
    assert excinfo.value.as_errors()[0]["current_status"] == "PAYMENT_CONFIRMED"


@pytest.mark.parametrize("status", ["PENDING", "PAYMENT_CONFIRMED", "PROCESSING"])
def test_staff_may_cancel_until_shipped(status: str) -> None:
    order = make_order(status=status)
    manager = UserFactory.create(manager=True)
    assert order_cancel(order_id=order.pk, actor=manager).status == OrderStatus.CANCELLED
    assert OrderStatusEvent.objects.filter(order=order).latest("created_at").reason == "cancelled_by_staff"


def test_expiry_cancels_overdue_pending_orders_and_restocks() -> None:
    product = ProductFactory.create(stock=10)
    overdue = make_order(lines=[(product, 3)])
    fresh = make_order(lines=[(product, 1)])
    paid = make_order(lines=[(product, 2)], status=OrderStatus.PAYMENT_CONFIRMED)
    Order.objects.filter(pk__in=[overdue.pk, paid.pk]).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert _stock(product) == 4
    assert order_expire_overdue() == 1
    assert Order.objects.get(pk=overdue.pk).status == OrderStatus.CANCELLED
    assert Order.objects.get(pk=fresh.pk).status == OrderStatus.PENDING
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.PAYMENT_CONFIRMED
    assert _stock(product) == 7
    movement = StockMovement.objects.get(order=overdue, delta__gt=0)
    assert (movement.reason, movement.delta) == ("order_expired", 3)
    event = OrderStatusEvent.objects.filter(order=overdue).latest("created_at")
    assert (event.to_status, event.reason, event.actor) == ("CANCELLED", "order_expired", None)
    assert order_expire_overdue() == 0
    assert inventory_mismatches() == []


def test_expiry_task_runs_the_service_in_batches() -> None:
    product = ProductFactory.create(stock=10)
    orders = [make_order(lines=[(product, 1)]) for _ in range(3)]
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert order_expire_overdue(batch_size=2) == 3
    assert expire_task.delay().get() == 0
    assert _stock(product) == 10
