"""The only code that changes ``Product.stock_quantity``; every change writes one StockMovement.

Locking protocol (what keeps concurrent orders from overselling or deadlocking): every function
that changes several products locks their rows with ``SELECT ... FOR UPDATE`` in primary-key order
inside the caller's transaction, checks, then decrements/increments with ``F()`` so the database
does the arithmetic on the locked row. Order placement (``stock_reserve``) does the same in a single
statement: the lock in primary-key order, the check, the decrement and the ledger rows. The
``stock_quantity >= 0`` CHECK is the last line of defence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Role, User
from api.error_codes import ApiErrorCode
from catalog.errors import CatalogErrorCode
from catalog.models import Product
from catalog.services import catalog_cache_invalidate
from core.bounds import column_check
from core.errors import DomainError, NotFoundError
from emails.services import email_enqueue
from inventory.errors import InsufficientStockError, InventoryErrorCode, StockConflictError
from inventory.models import STOCK_NOTE_MAX_LENGTH, MovementReason, StockMovement

if TYPE_CHECKING:
    from orders.models import Order

ADJUSTMENT_REASONS = (MovementReason.ADJUSTMENT, MovementReason.RESTOCK)
RELEASE_REASONS = (MovementReason.ORDER_CANCELLED, MovementReason.ORDER_EXPIRED)


def _catalog_invalidate(product_ids: Iterable[UUID]) -> None:
    catalog_cache_invalidate(product_ids=list(product_ids))


def stock_quantities_sum(lines: Iterable[Mapping[str, Any]]) -> dict[UUID, int]:
    """``[{product_id, quantity}, ...]`` -> ``{product_id: total quantity}`` (repeated products summed)."""
    totals: dict[UUID, int] = defaultdict(int)
    for line in lines:
        totals[UUID(str(line["product_id"]))] += int(line["quantity"])
    return dict(totals)


def stock_lock(*, product_ids: Collection[UUID]) -> dict[UUID, Product]:
    """Lock the given product rows ``FOR UPDATE`` in primary-key order; unknown ids are simply absent.

    Must run inside a transaction. A consistent lock order is what makes two orders touching
    products A+B and B+A wait for each other instead of deadlocking.
    """
    rows = (
        Product.objects.select_for_update(of=("self",))
        .only("id", "name", "price", "is_active", "stock_quantity", "low_stock_threshold")
        .filter(pk__in=list(product_ids))
        .order_by("pk")
    )
    return {product.pk: product for product in rows}


def stock_ensure_available(*, quantities: Mapping[UUID, int], products: Mapping[UUID, Product]) -> None:
    """Raise 409 ``insufficient_stock`` listing every short line ``{product_id, requested, available}``."""
    short = [
        {"product_id": str(product_id), "requested": requested, "available": products[product_id].stock_quantity}
        for product_id, requested in sorted(quantities.items())
        if products[product_id].stock_quantity < requested
    ]
    if short:
        raise InsufficientStockError(errors=short)


def _apply(
    *,
    changes: Mapping[UUID, int],
    products: Mapping[UUID, Product],
    reason: str,
    order: Order | None,
    actor: User | None,
    note: str = "",
) -> list[StockMovement]:
    """Apply signed deltas to already-locked rows, write the ledger, and schedule side effects."""
    movements = []
    crossed_low: list[Product] = []
    for product_id in sorted(changes):
        delta = changes[product_id]
        product = products[product_id]
        before = product.stock_quantity
        Product.objects.filter(pk=product_id).update(stock_quantity=F("stock_quantity") + delta)
        product.stock_quantity = before + delta
        movements.append(
            StockMovement(product=product, delta=delta, reason=reason, order=order, actor=actor, note=note)
        )
        if _crossed_low(before=before, product=product):
            crossed_low.append(product)
    created = StockMovement.objects.bulk_create(movements)
    _changed(product_ids=changes, crossed_low=crossed_low)
    return created


def _crossed_low(*, before: int, product: Product) -> bool:
    """The change that brought ``product`` from ``before`` to its ``stock_quantity`` took it to or under its
    low-stock threshold (the managers are told once, when it crosses)."""
    return before > product.low_stock_threshold >= product.stock_quantity


def _changed(*, product_ids: Iterable[UUID], crossed_low: list[Product]) -> None:
    """Side effects of a stock change: the catalog's cached reads (on commit), the managers' low-stock mail."""
    _catalog_invalidate(product_ids)
    if crossed_low:
        _low_stock_notify(products=crossed_low)


def _low_stock_notify(*, products: list[Product]) -> None:
    recipients = list(
        User.objects.filter(role__in=[Role.MANAGER, Role.ADMIN], is_active=True)
        .order_by("email")
        .values_list("email", flat=True)
    )
    if not recipients:
        return
    email_enqueue(to=recipients, template="low_stock", context={"products": products})


@transaction.atomic
def stock_initialize(*, product: Product, quantity: int, actor: User | None = None) -> None:
    """Record the opening stock of a newly created product (stock 0 before this call)."""
    if quantity < 0:
        raise ValueError("Initial stock cannot be negative.")
    column_check(Product, "stock_quantity", product.stock_quantity + quantity, attr="stock_quantity")
    if quantity == 0:
        return
    Product.objects.filter(pk=product.pk).update(stock_quantity=F("stock_quantity") + quantity)
    StockMovement.objects.create(product=product, delta=quantity, reason=MovementReason.INITIAL, actor=actor)
    product.stock_quantity += quantity
    _catalog_invalidate([product.pk])


# Lock, check, decrement and ledger of an order's products in one statement (one round trip while the rows are
# locked). ``locked`` takes the row locks in primary-key order (the LockRows step sits above the sort) and is
# materialized before anything else reads it; the UPDATE runs only if every line is there and covered (the
# uncorrelated count is evaluated once, after all the locks are held), so a refusal changes nothing. ``locked``
# returns each row as it was under the lock, before the decrement.
_RESERVE_SQL = """
WITH wanted (id, quantity, movement_id) AS (VALUES {values}),
locked AS MATERIALIZED (
    SELECT p.id, p.name, p.stock_quantity, p.low_stock_threshold, w.quantity, w.movement_id
    FROM products p JOIN wanted w ON w.id = p.id
    ORDER BY p.id
    FOR UPDATE OF p
),
taken AS (
    UPDATE products p SET stock_quantity = p.stock_quantity - l.quantity
    FROM locked l
    WHERE p.id = l.id AND (SELECT count(*) FROM locked WHERE stock_quantity >= quantity) = %s
    RETURNING l.id, l.quantity, l.movement_id
),
ledger AS (
    INSERT INTO stock_movements (id, created_at, updated_at, product_id, delta, reason, order_id, actor_id, note)
    SELECT t.movement_id, %s, %s, t.id, -t.quantity, %s, %s, %s, '' FROM taken t
)
SELECT id, name, stock_quantity, low_stock_threshold FROM locked ORDER BY id
"""


def stock_reserve(*, quantities: Mapping[UUID, int], order: Order, actor: User | None = None) -> list[StockMovement]:
    """Take stock for an order: one ``order_placed`` movement (negative delta) per product.

    Runs inside the caller's transaction (the one that writes the order), without a savepoint of
    its own. One statement locks the rows ``FOR UPDATE`` in primary-key order, checks every line,
    decrements and writes the ledger (``_RESERVE_SQL``), so a hot product's lock is held for that
    statement and the commit only.

    ``quantities`` must already be summed per product. Fails as a whole with 409
    ``insufficient_stock`` naming every short product (nothing changed); unknown products are a 404.
    """
    if any(q <= 0 for q in quantities.values()):
        raise DomainError("Quantities must be positive.", code=InventoryErrorCode.INVALID_QUANTITY, attr="quantity")
    lines = sorted(quantities.items())
    movement_ids = {product_id: uuid4() for product_id, _ in lines}
    params: list[Any] = []
    for product_id, quantity in lines:
        params.extend((product_id, quantity, movement_ids[product_id]))
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    params.extend((len(lines), now, now, MovementReason.ORDER_PLACED.value, order.pk, actor_id))
    values = ", ".join(["(%s::uuid, %s::integer, %s::uuid)"] * len(lines))
    with connection.cursor() as cursor:
        cursor.execute(_RESERVE_SQL.format(values=values), params)
        rows = cursor.fetchall()
    products = {
        product_id: Product(pk=product_id, name=name, stock_quantity=stock, low_stock_threshold=threshold)
        for product_id, name, stock, threshold in rows
    }
    missing = sorted(str(pid) for pid in quantities if pid not in products)
    if missing:
        raise NotFoundError(
            "Unknown product.", code=CatalogErrorCode.PRODUCT_NOT_FOUND, errors=[{"product_id": p} for p in missing]
        )
    stock_ensure_available(quantities=quantities, products=products)
    movements = []
    crossed_low = []
    for product_id, quantity in lines:
        product = products[product_id]
        before = product.stock_quantity
        product.stock_quantity = before - quantity
        if _crossed_low(before=before, product=product):
            crossed_low.append(product)
        movement = StockMovement(
            id=movement_ids[product_id],
            created_at=now,
            updated_at=now,
            product=product,
            delta=-quantity,
            reason=MovementReason.ORDER_PLACED,
            order=order,
            actor=actor,
        )
        movement._state.adding = False
        movements.append(movement)
    _changed(product_ids=quantities, crossed_low=crossed_low)
    return movements


def stock_release(*, order: Order, reason: str, actor: User | None = None) -> list[StockMovement]:
    """Return an order's stock (cancel or expiry): one positive movement per product of the order.

    Runs inside the caller's transaction, the one that changes the order's status.

    The caller holds the order's row lock and has checked the transition, which is what prevents
    a second release of the same order.
    """
    if reason not in RELEASE_REASONS:
        raise ValueError(f"Not a release reason: {reason!r}")
    quantities = stock_quantities_sum(order.items.values("product_id", "quantity"))
    if not quantities:
        return []
    products = stock_lock(product_ids=quantities.keys())
    return _apply(changes=quantities, products=products, reason=reason, order=order, actor=actor)


def stock_note_clean(note: str) -> str:
    """A manual change's note, trimmed: 400 ``note_too_long`` past ``STOCK_NOTE_MAX_LENGTH`` characters,
    ``null_character`` with a NUL (PostgreSQL text cannot hold one). The API keeps the note optional (its contract
    predates it); the back office's adjust-stock form requires one."""
    note = note.strip()
    if "\x00" in note:
        raise DomainError("NUL characters (\\u0000) are not accepted.", code=ApiErrorCode.NULL_CHARACTER, attr="note")
    if len(note) > STOCK_NOTE_MAX_LENGTH:
        raise DomainError(
            f"The note is limited to {STOCK_NOTE_MAX_LENGTH} characters.",
            code=InventoryErrorCode.NOTE_TOO_LONG,
            attr="note",
        )
    return note


@transaction.atomic
def stock_adjust(
    *,
    product_id: UUID,
    delta: int,
    actor: User | None,
    note: str = "",
    reason: str = MovementReason.ADJUSTMENT,
    expected_quantity: int | None = None,
) -> StockMovement:
    """Manager correction or restock of one product, with an optional note saying why (stored on the ledger row).

    ``expected_quantity`` is a compare-and-set guard: when given and different from the locked
    row's quantity, 409 ``stock_conflict`` (the client read a stale value). A result below zero is
    409 ``insufficient_stock``.
    """
    note = stock_note_clean(note)
    if reason not in ADJUSTMENT_REASONS:
        raise DomainError(
            "Reason must be 'adjustment' or 'restock'.", code=InventoryErrorCode.INVALID_REASON, attr="reason"
        )
    if delta == 0:
        raise DomainError("Delta must not be zero.", code=InventoryErrorCode.INVALID_DELTA, attr="delta")
    if reason == MovementReason.RESTOCK and delta < 0:
        raise DomainError("A restock must add stock.", code=InventoryErrorCode.INVALID_DELTA, attr="delta")
    products = stock_lock(product_ids=[product_id])
    product = products.get(product_id)
    if product is None:
        raise NotFoundError("Unknown product.", code=CatalogErrorCode.PRODUCT_NOT_FOUND)
    current = product.stock_quantity
    if expected_quantity is not None and expected_quantity != current:
        raise StockConflictError(
            f"Stock is {current}, not the expected {expected_quantity}.",
            errors=[{"product_id": str(product_id), "expected": expected_quantity, "current": current}],
        )
    if current + delta < 0:
        raise InsufficientStockError(
            errors=[{"product_id": str(product_id), "requested": -delta, "available": current}]
        )
    column_check(Product, "stock_quantity", current + delta, attr="stock_quantity")
    (movement,) = _apply(
        changes={product_id: delta}, products=products, reason=reason, order=None, actor=actor, note=note
    )
    return movement


def stock_restock(*, product_id: UUID, quantity: int, actor: User | None, note: str = "") -> StockMovement:
    """Goods received: add ``quantity`` units with reason ``restock``."""
    return stock_adjust(product_id=product_id, delta=quantity, actor=actor, note=note, reason=MovementReason.RESTOCK)
