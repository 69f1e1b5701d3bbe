"""Orders are made through ``order_place`` so stock and the ledger stay consistent in every test."""

from typing import Any

from accounts.models import User
from catalog.models import Product
from orders.models import Order, OrderStatus
from orders.services import order_place, order_transition
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ProductFactory

# The path from PENDING to each status, so a test can start from any point of the lifecycle.
_PATH_TO = {
    OrderStatus.PENDING: [],
    OrderStatus.PAYMENT_CONFIRMED: [OrderStatus.PAYMENT_CONFIRMED],
    OrderStatus.PROCESSING: [OrderStatus.PAYMENT_CONFIRMED, OrderStatus.PROCESSING],
    OrderStatus.SHIPPED: [OrderStatus.PAYMENT_CONFIRMED, OrderStatus.PROCESSING, OrderStatus.SHIPPED],
    OrderStatus.CANCELLED: [OrderStatus.CANCELLED],
}


def make_order(
    *,
    user: User | None = None,
    lines: list[tuple[Product, int]] | None = None,
    status: str = OrderStatus.PENDING,
    **product_kwargs: Any,
) -> Order:
    """Place an order (by default one unit of a fresh product with stock 10) and walk it to ``status``."""
    user = user or UserFactory.create()
    if lines is None:
        product_kwargs.setdefault("stock", 10)
        lines = [(ProductFactory.create(**product_kwargs), 1)]
    order = order_place(user=user, items=[{"product_id": p.pk, "quantity": q} for p, q in lines])
    for step in _PATH_TO[OrderStatus(status)]:
        order = order_transition(order_id=order.pk, to_status=step, actor=None)
    order.refresh_from_db()
    return order
