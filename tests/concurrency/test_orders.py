"""Real threads, real transactions: the locking protocol under contention.

Each worker thread gets its own database connection (Django connections are per thread) and
closes it when done; a barrier releases all workers at once to maximise overlap.
"""

from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection

from catalog.models import Product
from core.errors import DomainError
from inventory.models import StockMovement
from inventory.selectors import inventory_mismatches
from inventory.services import stock_adjust
from orders.models import Order, OrderStatus, OrderStatusEvent
from orders.services import order_cancel, order_place, order_transition
from tests.factories import ProductFactory, UserFactory
from tests.factories.orders import make_order
from tests.support import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def _run_concurrently(workers: list[Callable[[], Any]]) -> list[Any]:
    """Run every callable in its own thread, started together; return each result or raised exception."""
    return run_concurrently(len(workers), lambda index: workers[index]())


def _outcome(result: Any) -> str:
    if isinstance(result, DomainError):
        return result.code
    if isinstance(result, BaseException):
        return f"crash:{type(result).__name__}:{result}"
    return "ok"


def _deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def test_fifty_buyers_for_the_last_five_units() -> None:
    product = ProductFactory.create(stock=5)
    buyers = [UserFactory.create() for _ in range(50)]
    results = _run_concurrently(
        [partial(order_place, user=user, items=[{"product_id": product.pk, "quantity": 1}]) for user in buyers]
    )
    outcomes = Counter(_outcome(r) for r in results)
    assert outcomes == {"ok": 5, "insufficient_stock": 45}
    product.refresh_from_db()
    assert product.stock_quantity == 0
    assert Order.objects.count() == 5
    assert StockMovement.objects.filter(product=product, reason="order_placed").count() == 5
    assert inventory_mismatches() == []


def test_opposite_line_order_never_deadlocks() -> None:
    a, b, c = (ProductFactory.create(stock=1000) for _ in range(3))
    alice, bob = UserFactory.create(), UserFactory.create()
    rounds = 40
    deadlocks_before = _deadlocks()

    def buy(user: Any, products: list[Product]) -> list[str]:
        outcomes = []
        for _ in range(rounds):
            try:
                order_place(user=user, items=[{"product_id": p.pk, "quantity": 1} for p in products])
                outcomes.append("ok")
            except DomainError as exc:
                outcomes.append(exc.code)
        return outcomes

    results = _run_concurrently([lambda: buy(alice, [a, b, c]), lambda: buy(bob, [c, b, a])])
    assert results == [["ok"] * rounds, ["ok"] * rounds], results
    assert _deadlocks() == deadlocks_before
    for product in (a, b, c):
        product.refresh_from_db()
        assert product.stock_quantity == 1000 - 2 * rounds
    assert inventory_mismatches() == []


@pytest.mark.parametrize("round_number", range(5))
def test_concurrent_cancel_and_ship_one_wins(round_number: int) -> None:
    product = ProductFactory.create(stock=10)
    order = make_order(lines=[(product, 4)], status=OrderStatus.PROCESSING)
    manager = UserFactory.create(manager=True)
    results = _run_concurrently(
        [
            lambda: order_cancel(order_id=order.pk, actor=manager),
            lambda: order_transition(order_id=order.pk, to_status=OrderStatus.SHIPPED, actor=manager),
        ]
    )
    outcomes = [_outcome(r) for r in results]
    assert sorted(outcomes) == ["invalid_transition", "ok"], outcomes
    order.refresh_from_db()
    product.refresh_from_db()
    if outcomes[0] == "ok":
        assert order.status == OrderStatus.CANCELLED
        assert product.stock_quantity == 10
    else:
        assert order.status == OrderStatus.SHIPPED
        assert product.stock_quantity == 6
    # Exactly one transition out of PROCESSING was recorded.
    assert OrderStatusEvent.objects.filter(order=order, from_status=OrderStatus.PROCESSING).count() == 1
    assert inventory_mismatches() == []


def test_concurrent_double_cancel_restocks_once() -> None:
    product = ProductFactory.create(stock=10)
    customer = UserFactory.create()
    order = make_order(user=customer, lines=[(product, 3)])
    results = _run_concurrently([lambda: order_cancel(order_id=order.pk, actor=customer) for _ in range(8)])
    assert Counter(_outcome(r) for r in results) == {"ok": 1, "invalid_transition": 7}
    product.refresh_from_db()
    assert product.stock_quantity == 10
    assert StockMovement.objects.filter(order=order, reason="order_cancelled").count() == 1
    assert inventory_mismatches() == []


def test_compare_and_set_adjustments_one_wins() -> None:
    product = ProductFactory.create(stock=10)
    managers = [UserFactory.create(manager=True) for _ in range(6)]
    results = _run_concurrently(
        [
            partial(stock_adjust, product_id=product.pk, delta=-1, note="Counted", actor=m, expected_quantity=10)
            for m in managers
        ]
    )
    assert Counter(_outcome(r) for r in results) == {"ok": 1, "stock_conflict": 5}
    product.refresh_from_db()
    assert product.stock_quantity == 9
    assert inventory_mismatches() == []


def test_orders_and_cancels_interleaved_keep_the_ledger_exact() -> None:
    product = ProductFactory.create(stock=20)
    customers = [UserFactory.create() for _ in range(10)]
    existing = [make_order(user=customers[i], lines=[(product, 1)]) for i in range(5)]
    workers: list[Callable[[], Any]] = [
        partial(order_cancel, order_id=o.pk, actor=customers[i]) for i, o in enumerate(existing)
    ]
    workers += [partial(order_place, user=c, items=[{"product_id": product.pk, "quantity": 3}]) for c in customers[5:]]
    results = _run_concurrently(workers)
    outcomes = [_outcome(r) for r in results]
    assert outcomes[:5] == ["ok"] * 5
    placed = outcomes[5:].count("ok")
    product.refresh_from_db()
    assert product.stock_quantity == 20 - 3 * placed
    assert product.stock_quantity >= 0
    assert inventory_mismatches() == []
