"""Order placement and the order state machine (docs/design.md §5).

``order_transition`` is the only code that changes ``Order.status``; stock moves only through
``inventory.services``. Every write here is one transaction; e-mails and cache invalidation are
scheduled with ``transaction.on_commit`` by the services they go through. The customer's e-mails (order
received, cancelled, shipped) are written to the outbox in the same transaction as the change they report.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.errors import CatalogErrorCode
from catalog.selectors import product_snapshots
from core.bounds import column_check
from core.db import insert_together, lock_one
from core.errors import DomainError, NotFoundError
from core.logging import bound_from_kwargs, get_logger
from emails.services import email_build, email_enqueue, email_written
from inventory.errors import InventoryErrorCode
from inventory.models import MovementReason
from inventory.services import stock_ensure_available, stock_quantities_sum, stock_release, stock_reserve
from orders import metrics
from orders.errors import InvalidTransitionError, OrderErrorCode
from orders.models import Order, OrderItem, OrderStatus, OrderStatusEvent
from orders.refunds import refund_before_cancel, refunded

if TYPE_CHECKING:
    from accounts.models import User

logger = get_logger(__name__)

MAX_ORDER_LINES = 100


class OrderEventReason(str, Enum):
    PLACED = "order_placed"
    EXPIRED = "order_expired"
    CANCELLED_BY_CUSTOMER = "cancelled_by_customer"
    CANCELLED_BY_STAFF = "cancelled_by_staff"


# The lifecycle of docs/design.md §5: which statuses each status may move to.
ALLOWED_TRANSITIONS: Mapping[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAYMENT_CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.PAYMENT_CONFIRMED: frozenset({OrderStatus.PROCESSING, OrderStatus.CANCELLED}),
    OrderStatus.PROCESSING: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
# Customers may cancel only what has not been paid; staff may also cancel paid orders (with a refund).
CUSTOMER_CANCELLABLE = frozenset({OrderStatus.PENDING})
# Payment confirmation comes only from the payments app; staff drive the rest of the lifecycle.
STAFF_SETTABLE_STATUSES = (OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.CANCELLED)


@metrics.counts_refusals
def order_place(*, user: User, items: Sequence[Mapping[str, Any]]) -> Order:
    """Place an order for ``[{product_id, quantity}, ...]`` in one transaction.

    Refuses unknown or inactive products (400 ``product_unavailable``) and short lines (409
    ``insufficient_stock``, every short product listed). Then writes the order, its items at the
    current prices, the ``PENDING`` status event and the customer's e-mail in one statement
    (``core.db.insert_together``), and only then locks the product rows in primary-key order,
    re-checks every line, decrements and writes one ledger row each, in one statement
    (``inventory.services.stock_reserve``). The returned order carries its items (``order.items.all()``
    answers without a query), so the response is built from what was written.

    The rows that do not conflict (order, items, event, e-mail) are written *before* the product locks
    are taken, so a hot product stays locked only for lock, check, update, ledger insert and commit.
    The early stock check reads committed data without locks: refusing on it is exactly what the
    order would have got a moment earlier, and the authoritative check is repeated under the lock.
    """
    if not items:
        raise DomainError("An order needs at least one item.", code=OrderErrorCode.EMPTY_ORDER, attr="items")
    quantities = stock_quantities_sum(items)
    if len(quantities) > MAX_ORDER_LINES:
        raise DomainError(
            f"An order has at most {MAX_ORDER_LINES} products.", code=OrderErrorCode.TOO_MANY_ITEMS, attr="items"
        )
    if any(quantity <= 0 for quantity in quantities.values()):
        raise DomainError("Quantities must be positive.", code=InventoryErrorCode.INVALID_QUANTITY, attr="items")

    snapshot = product_snapshots(product_ids=list(quantities))
    unavailable = sorted(pid for pid in quantities if pid not in snapshot or not snapshot[pid].is_active)
    if unavailable:
        raise DomainError(
            "Some products do not exist or are not for sale.",
            code=CatalogErrorCode.PRODUCT_UNAVAILABLE,
            attr="items",
            errors=[{"product_id": str(pid)} for pid in unavailable],
        )
    stock_ensure_available(quantities=quantities, products=snapshot)
    total = sum((snapshot[pid].price * quantity for pid, quantity in quantities.items()), Decimal("0.00"))
    column_check(Order, "total_amount", total, attr="total_amount")

    user_id = user.pk
    order = Order(
        user_id=user_id,
        status=OrderStatus.PENDING,
        total_amount=total,
        expires_at=timezone.now() + timedelta(minutes=settings.ORDER_PAYMENT_TIMEOUT_MINUTES),
    )
    placed_items = [
        OrderItem(order=order, product=snapshot[pid], quantity=quantity, price_at_purchase=snapshot[pid].price)
        for pid, quantity in sorted(quantities.items())
    ]
    event = OrderStatusEvent(
        order=order,
        from_status="",
        to_status=OrderStatus.PENDING,
        actor_id=user_id,
        reason=OrderEventReason.PLACED.value,
    )
    email = email_build(
        to=[user.email],
        template="order_received",
        context={
            "order": order,
            "lines": _email_lines(placed_items),
            "currency": settings.PAYMENT_CURRENCY,
            "pay_within_minutes": settings.ORDER_PAYMENT_TIMEOUT_MINUTES,
        },
        idempotency_key=f"order-received:{order.pk}",
    )
    with transaction.atomic():
        # One statement for the rows nobody else contends for, then one for the product locks, the stock and the
        # ledger (``stock_reserve``), then the commit.
        insert_together([order], placed_items, [event], [email])
        email_written(email)
        stock_reserve(quantities=quantities, order=order, actor=user)
        transaction.on_commit(lambda: _placed(order))
    order_items_prefetched(order, placed_items)
    return order


def order_items_prefetched(order: Order, items: list[OrderItem]) -> None:
    """Attach ``items`` as ``order.items.all()`` (what a prefetch would have read), so an order just written is
    rendered from the objects in hand."""
    order._prefetched_objects_cache = {Order.items.rel.cache_name: items}  # type: ignore[attr-defined]


def _placed(order: Order) -> None:
    """The placement committed: counted and logged once."""
    metrics.PLACED.inc()
    logger.info("order placed", order_id=str(order.pk), total_amount=str(order.total_amount))


def _email_lines(items: Sequence[OrderItem]) -> list[dict[str, Any]]:
    """Name, quantity, unit price and line total of each item, for the customer's e-mails."""
    return [
        {
            "name": item.product.name,
            "quantity": item.quantity,
            "price": item.price_at_purchase,
            "subtotal": item.price_at_purchase * item.quantity,
        }
        for item in items
    ]


def _order_cancelled_email(*, order: Order, reason: str) -> None:
    """Tell the customer their order is cancelled, why, and what was refunded (the refund, if any, is recorded
    before the cancellation: see ``orders.refunds``)."""
    refund = refunded(order=order)
    email_enqueue(
        to=[order.user.email],
        template="order_cancelled",
        context={
            "order": order,
            "lines": _email_lines(list(order.items.select_related("product"))),
            "expired": reason == OrderEventReason.EXPIRED.value,
            "by_customer": reason == OrderEventReason.CANCELLED_BY_CUSTOMER.value,
            "refund": refund.amount if refund is not None else None,
            "currency": refund.currency if refund is not None else settings.PAYMENT_CURRENCY,
        },
        idempotency_key=f"order-cancelled:{order.pk}",
    )


def order_lock(order_id: UUID, *, user: User | None = None) -> Order | None:
    """The order (with its customer) locked ``FOR UPDATE`` inside the caller's transaction; ``None`` if there is no
    such order (or it is not ``user``'s). Orders, payments and refunds all lock an order through here."""
    queryset = Order.objects.select_related("user").filter(pk=order_id)
    if user is not None:
        queryset = queryset.filter(user=user)
    return lock_one(queryset)


def _order_lock_or_404(order_id: UUID) -> Order:
    order = order_lock(order_id)
    if order is None:
        raise NotFoundError("Order not found.", code=OrderErrorCode.ORDER_NOT_FOUND)
    return order


def _apply_transition(*, order: Order, to_status: str, actor: User | None, reason: str) -> None:
    """Move a locked order to ``to_status``: audit row, stock return on cancel, the customer's mail on cancel and
    shipping."""
    from_status = order.status
    if to_status not in ALLOWED_TRANSITIONS.get(from_status, frozenset()):
        raise InvalidTransitionError(current=from_status, requested=to_status)
    order.status = to_status
    order.save(update_fields=["status", "updated_at"])
    OrderStatusEvent.objects.create(
        order=order, from_status=from_status, to_status=to_status, actor=actor, reason=reason[:64]
    )
    transaction.on_commit(lambda: _transitioned(order, from_status=from_status, to_status=to_status, reason=reason))
    if to_status == OrderStatus.CANCELLED:
        movement_reason = (
            MovementReason.ORDER_EXPIRED if reason == OrderEventReason.EXPIRED.value else MovementReason.ORDER_CANCELLED
        )
        stock_release(order=order, reason=movement_reason, actor=actor)
        _order_cancelled_email(order=order, reason=reason)
    elif to_status == OrderStatus.SHIPPED:
        email_enqueue(
            to=[order.user.email],
            template="order_shipped",
            context={"order": order, "items": list(order.items.select_related("product"))},
            idempotency_key=f"order-shipped:{order.pk}",
        )


def _transitioned(order: Order, *, from_status: str, to_status: str, reason: str) -> None:
    """The status change committed: counted and logged once."""
    metrics.TRANSITIONS.labels(str(from_status), str(to_status)).inc()
    logger.info(
        "order status changed",
        order_id=str(order.pk),
        from_status=str(from_status),
        to_status=str(to_status),
        reason=reason,
    )


def _transition(
    *, order_id: UUID, to_status: str, actor: User | None, reason: str, only_from: Collection[str] | None = None
) -> Order:
    with transaction.atomic():
        order = _order_lock_or_404(order_id)
        # Checked under the row lock: the status read before locking may already be stale.
        if only_from is not None and order.status not in only_from:
            raise InvalidTransitionError(current=order.status, requested=to_status)
        _apply_transition(order=order, to_status=to_status, actor=actor, reason=reason)
    return order


@bound_from_kwargs("order_id")
def order_transition(*, order_id: UUID, to_status: str, actor: User | None, reason: str = "") -> Order:
    """Move an order along the lifecycle table; the only code that changes ``Order.status``.

    Locks the order row (``SELECT ... FOR UPDATE``), checks ``ALLOWED_TRANSITIONS`` (409
    ``invalid_transition`` with the current status otherwise), writes an ``OrderStatusEvent`` and,
    for ``CANCELLED``, returns the stock through the ledger in the same transaction.
    """
    if to_status not in OrderStatus.values:
        raise DomainError(f"Unknown status {to_status!r}.", code=OrderErrorCode.INVALID_STATUS, attr="status")
    return _transition(order_id=order_id, to_status=to_status, actor=actor, reason=reason)


@bound_from_kwargs("order_id")
def order_cancel(*, order_id: UUID, actor: User, reason: str = "") -> Order:
    """Cancel an order: its owner while ``PENDING``; managers and admins also once paid or processing."""
    if actor.is_manager_or_admin:
        # A PAYMENT_CONFIRMED/PROCESSING order is refunded through its provider first, outside this
        # module's transaction (no lock held across the provider call). No-op for unpaid orders; a
        # provider failure raises 502 provider_error and nothing is cancelled (``orders.refunds``).
        refund_before_cancel(order_id=order_id, actor=actor)
        return _transition(
            order_id=order_id,
            to_status=OrderStatus.CANCELLED,
            actor=actor,
            reason=reason or OrderEventReason.CANCELLED_BY_STAFF.value,
        )
    return _transition(
        order_id=order_id,
        to_status=OrderStatus.CANCELLED,
        actor=actor,
        reason=reason or OrderEventReason.CANCELLED_BY_CUSTOMER.value,
        only_from=CUSTOMER_CANCELLABLE,
    )


def order_staff_next_statuses(status: str) -> list[str]:
    """The statuses staff may move an order in ``status`` to, in lifecycle order (what the back office offers)."""
    allowed = ALLOWED_TRANSITIONS.get(status, frozenset())
    return [to_status for to_status in STAFF_SETTABLE_STATUSES if to_status in allowed]


@bound_from_kwargs("order_id")
def order_staff_set_status(*, order_id: UUID, to_status: str, actor: User, reason: str = "") -> Order:
    """A manager's or admin's status change, for the API and the back office alike.

    ``CANCELLED`` goes through ``order_cancel`` (refund first, stock returned); the other statuses through
    ``order_transition``. Payment confirmation is not settable here: it comes only from the payments app.
    """
    if to_status not in STAFF_SETTABLE_STATUSES:
        raise DomainError(f"Staff cannot set status {to_status!r}.", code=OrderErrorCode.INVALID_STATUS, attr="status")
    if to_status == OrderStatus.CANCELLED:
        return order_cancel(order_id=order_id, actor=actor, reason=reason)
    return order_transition(order_id=order_id, to_status=to_status, actor=actor, reason=reason)


@bound_from_kwargs("order_id")
def order_expire(*, order_id: UUID) -> Order | None:
    """Cancel one unpaid order whose payment window has passed; ``None`` if it was paid or cancelled meanwhile."""
    try:
        with transaction.atomic():
            order = _order_lock_or_404(order_id)
            if order.status != OrderStatus.PENDING or order.expires_at is None or order.expires_at > timezone.now():
                return None
            _apply_transition(
                order=order, to_status=OrderStatus.CANCELLED, actor=None, reason=OrderEventReason.EXPIRED.value
            )
    except NotFoundError:
        return None
    return order


def order_expire_overdue(*, batch_size: int = 500) -> int:
    """Cancel every ``PENDING`` order past its ``expires_at`` (reason ``order_expired``); returns the count.

    Each order is its own short transaction so one slow lock never holds the others back.
    """
    expired = 0
    while True:
        order_ids = list(
            Order.objects.filter(status=OrderStatus.PENDING, expires_at__lte=timezone.now())
            .order_by("expires_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        expired_now = sum(order_expire(order_id=order_id) is not None for order_id in order_ids)
        expired += expired_now
        if len(order_ids) < batch_size or expired_now == 0:
            return expired
