"""Order metrics: placements and transitions counted once their transaction commits, refusals by reason."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from core.errors import DomainError
from orders.models import OrderStatus
from orders.services import order_cancel, order_place, order_staff_set_status, order_transition
from tests.factories import ProductFactory, UserFactory
from tests.factories.orders import make_order
from tests.metrics_support import moved, snapshot

pytestmark = pytest.mark.django_db

ORDER_METRICS = ("orders_placed", "orders_refused", "order_transitions")


def line(product: Any, quantity: int) -> dict[str, Any]:
    return {"product_id": str(product.pk), "quantity": quantity}


def test_a_placed_order_is_counted_when_it_commits(django_capture_on_commit_callbacks: Any) -> None:
    user, product = UserFactory.create(), ProductFactory.create(stock=5)
    before = snapshot(*ORDER_METRICS)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order_place(user=user, items=[line(product, 2)])
    assert moved(before, *ORDER_METRICS) == {}  # not committed yet
    for callback in callbacks:
        callback()
    assert moved(before, *ORDER_METRICS) == {"orders_placed_total": 1}


def test_refusals_are_counted_by_reason_and_never_as_placed(django_capture_on_commit_callbacks: Any) -> None:
    user = UserFactory.create()
    scarce, hidden = ProductFactory.create(stock=1), ProductFactory.create(stock=5, is_active=False)
    before = snapshot(*ORDER_METRICS)
    with django_capture_on_commit_callbacks(execute=True):
        for items in ([line(scarce, 2)], [line(scarce, 3)], [line(hidden, 1)]):
            with pytest.raises(DomainError):
                order_place(user=user, items=items)
        with pytest.raises(DomainError):
            order_place(user=user, items=[])  # not a stock or availability refusal: not counted
    assert moved(before, *ORDER_METRICS) == {
        "orders_refused_total{reason=insufficient_stock}": 2,
        "orders_refused_total{reason=product_unavailable}": 1,
    }


def test_an_order_rolled_back_by_its_callers_transaction_is_not_counted(
    django_capture_on_commit_callbacks: Any,
) -> None:
    user, product = UserFactory.create(), ProductFactory.create(stock=5)
    before = snapshot(*ORDER_METRICS)

    def place_then_fail() -> None:
        with transaction.atomic():
            order_place(user=user, items=[line(product, 1)])
            raise RuntimeError("the caller fails after the placement")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        place_then_fail()
    assert moved(before, *ORDER_METRICS) == {}


def test_every_transition_is_counted_by_from_and_to_status(
    django_capture_on_commit_callbacks: Any, manager: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        paid = make_order()
        unpaid = make_order()
    before = snapshot(*ORDER_METRICS)
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=paid.pk, to_status=OrderStatus.PAYMENT_CONFIRMED, actor=None)
        order_staff_set_status(order_id=paid.pk, to_status=OrderStatus.PROCESSING, actor=manager)
        order_staff_set_status(order_id=paid.pk, to_status=OrderStatus.SHIPPED, actor=manager)
        order_cancel(order_id=unpaid.pk, actor=unpaid.user)
        with pytest.raises(DomainError):  # refused: nothing moved, nothing counted
            order_transition(order_id=unpaid.pk, to_status=OrderStatus.SHIPPED, actor=None)
    assert moved(before, *ORDER_METRICS) == {
        "order_transitions_total{from_status=PENDING,to_status=PAYMENT_CONFIRMED}": 1,
        "order_transitions_total{from_status=PAYMENT_CONFIRMED,to_status=PROCESSING}": 1,
        "order_transitions_total{from_status=PROCESSING,to_status=SHIPPED}": 1,
        "order_transitions_total{from_status=PENDING,to_status=CANCELLED}": 1,
    }
