"""Cart writes for both kinds of cart, merge at login and the cart side of checkout.

Signed-in users' carts are rows (``Cart``/``CartItem``) locked per cart; anonymous carts are Redis
hashes written with one atomic script per change (see ``carts.anonymous``). Both follow the same
rules: quantity >= 1 and at most the product's available stock, only active products, at most
``CART_MAX_LINES`` lines, prices always current.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from carts import anonymous
from carts.errors import CartErrorCode, CartFullError
from carts.metrics import CART_MERGES
from carts.models import Cart, CartItem
from carts.selectors import cart_view_build, products_by_id, user_cart_lines
from carts.types import CappedLine, CartMergeResult, CartNotice, CartView, ProductSnapshot
from catalog.errors import CatalogErrorCode
from core.db import read_on_thread
from core.errors import DomainError, NotFoundError, ServiceUnavailableError
from inventory.errors import InsufficientStockError

if TYPE_CHECKING:
    from accounts.models import User

MODE_ADD = "add"
MODE_SET = "set"


def _product_not_found() -> NotFoundError:
    return NotFoundError("Product not found.", code=CatalogErrorCode.PRODUCT_NOT_FOUND, attr="product_id")


def _not_in_cart() -> NotFoundError:
    return NotFoundError("This product is not in your cart.", code=CartErrorCode.NOT_IN_CART)


def _cart_full() -> CartFullError:
    return CartFullError(f"A cart holds at most {settings.CART_MAX_LINES} different products.")


def _insufficient_stock(*, product: ProductSnapshot, requested: int) -> InsufficientStockError:
    return InsufficientStockError(
        f"Only {product.stock_quantity} of “{product.name}” available.",
        attr="quantity",
        errors=[{"product_id": str(product.pk), "requested": requested, "available": product.stock_quantity}],
    )


def _is_live(product: ProductSnapshot | None) -> bool:
    return product is not None and product.is_active


def _line_check(
    *,
    lines: Mapping[UUID, int],
    products: Mapping[UUID, ProductSnapshot],
    product_id: UUID,
    quantity: int,
    mode: str,
) -> tuple[ProductSnapshot, int]:
    """Validate one line change against the cart as read; returns the product and the target quantity."""
    product = products.get(product_id)
    if product is None or not product.is_active:
        raise _product_not_found()
    current = lines.get(product_id, 0)
    if mode == MODE_SET and current == 0:
        raise _not_in_cart()
    target = current + quantity if mode == MODE_ADD else quantity
    if target > product.stock_quantity:
        raise _insufficient_stock(product=product, requested=target)
    live_lines = sum(1 for pid in lines if _is_live(products.get(pid)))
    if current == 0 and live_lines >= settings.CART_MAX_LINES:
        raise _cart_full()
    return product, target


def _user_cart_lock(*, user: User, create: bool = True) -> Cart | None:
    """Lock the user's cart row (creating it if needed) so writes, merges and checkout serialise per cart."""
    cart = Cart.objects.select_for_update().filter(user=user).first()
    if cart is None and create:
        # A concurrent first write may create the row too; the unique user column keeps one.
        Cart.objects.bulk_create([Cart(user=user)], ignore_conflicts=True)
        cart = Cart.objects.select_for_update().get(user=user)
    return cart


@transaction.atomic
def _user_line_write(*, user: User, product_id: UUID, quantity: int, mode: str) -> CartView:
    cart = _user_cart_lock(user=user)
    assert cart is not None
    lines, products = user_cart_lines(user=user)
    if product_id not in products:
        products.update(products_by_id(product_ids=[product_id]))
    product, target = _line_check(lines=lines, products=products, product_id=product_id, quantity=quantity, mode=mode)
    if product_id in lines:
        CartItem.objects.filter(cart=cart, product_id=product_id).update(quantity=target, updated_at=timezone.now())
    else:
        CartItem.objects.create(cart=cart, product_id=product.pk, quantity=target)
    view, stale = cart_view_build(lines={**lines, product_id: target}, products=products)
    if stale:
        CartItem.objects.filter(cart=cart, product_id__in=stale).delete()
    return view


@dataclass(frozen=True, slots=True)
class _AnonymousLineWrite:
    """One change to an anonymous cart, checked against the cart as read; the write script then applies it.

    Both the coroutine and its sync twin below go through it, so the rules live here once.
    """

    token: str
    lines: Mapping[UUID, int]
    products: Mapping[UUID, ProductSnapshot]
    product: ProductSnapshot
    quantity: int
    mode: str

    @classmethod
    def check(
        cls,
        *,
        token: str | None,
        lines: Mapping[UUID, int],
        products: Mapping[UUID, ProductSnapshot],
        product_id: UUID,
        quantity: int,
        mode: str,
    ) -> _AnonymousLineWrite:
        product, _ = _line_check(lines=lines, products=products, product_id=product_id, quantity=quantity, mode=mode)
        if not lines and mode == MODE_ADD:
            # Unknown or expired token: start a new cart under a fresh token (never one the client chose).
            token = anonymous.token_new()
        assert token is not None  # a set on an empty cart failed the check (not_in_cart)
        return cls(token=token, lines=lines, products=products, product=product, quantity=quantity, mode=mode)

    def script_arguments(self) -> dict[str, Any]:
        """What ``anonymous.(a)line_write`` takes. The script re-checks stock and the line limit against the
        hash at write time, so concurrent writes to one cart cannot together pass either limit."""
        return {
            "token": self.token,
            "product_id": self.product.pk,
            "quantity": self.quantity,
            "mode": self.mode,
            "max_quantity": self.product.stock_quantity,
            "drop": [pid for pid in self.lines if not _is_live(self.products.get(pid))],
        }

    def outcome(self, result: int, before: int) -> CartView:
        """The cart after the script answered ``(result, before)``, or the error it reported."""
        if result == anonymous.OVER_MAX_QUANTITY:
            requested = before + self.quantity if self.mode == MODE_ADD else self.quantity
            raise _insufficient_stock(product=self.product, requested=requested)
        if result == anonymous.CART_FULL:
            raise _cart_full()
        if result == anonymous.NOT_IN_CART:
            raise _not_in_cart()
        # Stale lines (already dropped by the script) come out of the build as notices, as on a read.
        view, _ = cart_view_build(
            lines={**self.lines, self.product.pk: result}, products=self.products, cart_token=self.token
        )
        return view


def _usable_token(cart_token: str | None) -> str | None:
    return cart_token if anonymous.token_is_valid(cart_token) else None


async def _anonymous_line_write(*, cart_token: str | None, product_id: UUID, quantity: int, mode: str) -> CartView:
    token = _usable_token(cart_token)
    lines = await anonymous.alines_read(token=token) if token else {}
    products = await read_on_thread(products_by_id, product_ids=[*lines, product_id])
    write = _AnonymousLineWrite.check(
        token=token, lines=lines, products=products, product_id=product_id, quantity=quantity, mode=mode
    )
    return write.outcome(*await anonymous.aline_write(**write.script_arguments()))


def _anonymous_line_write_sync(*, cart_token: str | None, product_id: UUID, quantity: int, mode: str) -> CartView:
    token = _usable_token(cart_token)
    lines = anonymous.lines_read(token=token) if token else {}
    products = products_by_id(product_ids=[*lines, product_id])
    write = _AnonymousLineWrite.check(
        token=token, lines=lines, products=products, product_id=product_id, quantity=quantity, mode=mode
    )
    return write.outcome(*anonymous.line_write(**write.script_arguments()))


async def anonymous_cart_item_add(*, cart_token: str | None, product_id: UUID, quantity: int) -> CartView:
    """Add to an anonymous cart, on the event loop; a new cart (new token) when ``cart_token`` is unusable."""
    return await _anonymous_line_write(cart_token=cart_token, product_id=product_id, quantity=quantity, mode=MODE_ADD)


async def anonymous_cart_item_update(*, cart_token: str | None, product_id: UUID, quantity: int) -> CartView:
    return await _anonymous_line_write(cart_token=cart_token, product_id=product_id, quantity=quantity, mode=MODE_SET)


async def anonymous_cart_item_remove(*, cart_token: str | None, product_id: UUID) -> None:
    if token := _usable_token(cart_token):
        await anonymous.alines_remove(token=token, product_ids=[product_id])


def cart_item_add(*, user: User | None, cart_token: str | None, product_id: UUID, quantity: int) -> CartView:
    """Add ``quantity`` units of a product (summed with the line already in the cart).

    Signed-in users write their database cart; anonymous visitors their Redis cart, a new one
    (with a new token) when ``cart_token`` is missing, unknown or expired.
    """
    if user is not None:
        return _user_line_write(user=user, product_id=product_id, quantity=quantity, mode=MODE_ADD)
    return _anonymous_line_write_sync(cart_token=cart_token, product_id=product_id, quantity=quantity, mode=MODE_ADD)


def cart_item_update(*, user: User | None, cart_token: str | None, product_id: UUID, quantity: int) -> CartView:
    """Set the quantity of a line already in the cart."""
    if user is not None:
        return _user_line_write(user=user, product_id=product_id, quantity=quantity, mode=MODE_SET)
    return _anonymous_line_write_sync(cart_token=cart_token, product_id=product_id, quantity=quantity, mode=MODE_SET)


def cart_item_remove(*, user: User | None, cart_token: str | None, product_id: UUID) -> None:
    """Remove a line; removing a line that is not there is a no-op (DELETE is idempotent)."""
    if user is not None:
        CartItem.objects.filter(cart__user=user, product_id=product_id).delete()
    elif token := _usable_token(cart_token):
        anonymous.lines_remove(token=token, product_ids=[product_id])


def _merge_lines(*, cart: Cart, user: User, taken: Mapping[UUID, int]) -> CartMergeResult:
    lines, products = user_cart_lines(user=user)
    products.update(products_by_id(product_ids=set(taken) - set(products)))
    live_lines = sum(1 for pid in lines if _is_live(products.get(pid)))
    merged = {**lines}
    creates: dict[UUID, int] = {}
    updates: dict[UUID, int] = {}
    capped: list[CappedLine] = []
    notices: list[CartNotice] = []
    for product_id, quantity in taken.items():
        product = products.get(product_id)
        if product is None or not product.is_active:
            notices.append(
                CartNotice(
                    code=CatalogErrorCode.PRODUCT_UNAVAILABLE,
                    detail="A product from your guest cart is no longer available and was not added.",
                    product_id=product_id,
                )
            )
            continue
        current = lines.get(product_id, 0)
        requested = current + quantity
        # Capping limits what the guest cart adds; it never lowers a quantity the user already had.
        target = max(current, min(requested, product.stock_quantity))
        if target < requested:
            capped.append(
                CappedLine(
                    product_id=product_id, requested=requested, quantity=target, available=product.stock_quantity
                )
            )
        if target == current:
            continue
        if current == 0:
            if live_lines >= settings.CART_MAX_LINES:
                notices.append(
                    CartNotice(
                        code=CartErrorCode.CART_FULL,
                        detail=f"A cart holds at most {settings.CART_MAX_LINES} different products; "
                        f"“{product.name}” was not added.",
                        product_id=product_id,
                    )
                )
                continue
            live_lines += 1
            creates[product_id] = target
        else:
            updates[product_id] = target
        merged[product_id] = target

    if creates:
        CartItem.objects.bulk_create(
            [CartItem(cart=cart, product_id=pid, quantity=qty) for pid, qty in creates.items()]
        )
    if updates:
        CartItem.objects.filter(cart=cart, product_id__in=updates).update(
            quantity=Case(
                *[When(product_id=pid, then=Value(qty)) for pid, qty in updates.items()],
                output_field=IntegerField(),
            ),
            updated_at=timezone.now(),
        )
    view, stale = cart_view_build(lines=merged, products=products)
    if stale:
        CartItem.objects.filter(cart=cart, product_id__in=stale).delete()
    view = CartView(items=view.items, notices=[*view.notices, *notices])
    return CartMergeResult(cart=view, merged_lines=len(creates) + len(updates), capped=capped)


def cart_merge(*, user: User, cart_token: str) -> CartMergeResult:
    """Merge the anonymous cart ``cart_token`` into ``user``'s cart and delete the anonymous cart.

    Quantities are summed per product and capped at the available stock (capped lines are
    listed). The user's cart row is locked first, then the Redis hash is read-and-deleted in one
    MULTI/EXEC, so of two concurrent merges of one token exactly one receives the lines; merging a
    token again finds nothing and changes nothing. If the database work fails, the taken lines
    are written back to Redis so the guest cart is not lost.
    """
    taken: dict[UUID, int] = {}
    try:
        with transaction.atomic():
            cart = _user_cart_lock(user=user)
            assert cart is not None
            if anonymous.token_is_valid(cart_token):
                taken = anonymous.lines_take(token=cart_token)
            merged = _merge_lines(cart=cart, user=user, taken=taken)
            if taken:
                transaction.on_commit(CART_MERGES.inc)
            return merged
    except BaseException:
        if taken:
            with suppress(ServiceUnavailableError):
                anonymous.lines_restore(token=cart_token, lines=taken)
        raise


def cart_lines_take(*, user: User) -> list[dict[str, object]]:
    """Inside the caller's transaction: lock the user's cart, delete its lines and return them as
    ``[{product_id, quantity}, ...]`` (oldest first); 400 ``cart_empty`` when there are none.

    The cart row stays locked until the caller's transaction ends, so the lines disappear exactly when it
    commits (the order placed from them); if it rolls back, the cart is kept as it was.
    """
    cart = _user_cart_lock(user=user, create=False)
    items: list[tuple[Any, int, Any]] = []
    if cart is not None:
        # The lines read and deleted in one statement (the cart row is locked, so nothing changes them meanwhile).
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {CartItem._meta.db_table} WHERE cart_id = %s RETURNING product_id, quantity, created_at",  # noqa: S608
                [cart.pk],
            )
            items = sorted(cursor.fetchall(), key=lambda line: line[2])
    if not items:
        raise DomainError("Your cart is empty.", code=CartErrorCode.CART_EMPTY)
    return [{"product_id": pid, "quantity": qty} for pid, qty, _ in items]
