from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Count, Prefetch, Q, QuerySet

from core.errors import NotFoundError
from core.replicas import replica_read
from orders.errors import OrderErrorCode
from orders.models import Order, OrderItem, OrderStatus

if TYPE_CHECKING:
    from accounts.models import User


def order_list(*, user: User) -> QuerySet[Order]:
    """Orders visible to ``user`` (their own; managers and admins see all), items prefetched with names."""
    items = OrderItem.objects.select_related("product").only(
        "id", "order_id", "product_id", "quantity", "price_at_purchase", "created_at", "product__name"
    )
    orders = Order.objects.prefetch_related(Prefetch("items", queryset=items)).order_by("-created_at", "-pk")
    if user.is_manager_or_admin:
        return orders
    return orders.filter(user=user)


def order_get(*, user: User, order_id: UUID) -> Order:
    """One visible order; another customer's order is a 404, never a 403, so ids do not leak."""
    order = order_list(user=user).filter(pk=order_id).first()
    if order is None:
        raise NotFoundError("Order not found.", code=OrderErrorCode.ORDER_NOT_FOUND)
    return order


@replica_read
def order_history_page(*, user: User, paginate: Callable[[QuerySet[Order]], list[Order] | None]) -> list[Order]:
    """One page of ``user``'s order history, evaluated here (with its items) so that it may come from a replica;
    a customer who has just written reads it from the primary (read-your-writes)."""
    return list(paginate(order_list(user=user)) or [])


@replica_read
def order_detail(*, user: User, order_id: UUID) -> Order:
    """:func:`order_get` for display (a replica may answer); services that act on an order use ``order_get``."""
    return order_get(user=user, order_id=order_id)


def order_counts_to_handle() -> dict[str, int]:
    """Orders waiting for staff, in one query: paid ones to process and processing ones to ship."""
    return Order.objects.aggregate(
        to_process=Count("pk", filter=Q(status=OrderStatus.PAYMENT_CONFIRMED)),
        to_ship=Count("pk", filter=Q(status=OrderStatus.PROCESSING)),
    )
