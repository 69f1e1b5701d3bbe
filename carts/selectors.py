"""Cart reads. Both cart kinds render to the same :class:`carts.types.CartView`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import connection
from django.db.models import Field

from carts import anonymous
from carts.models import CartItem
from carts.types import SNAPSHOT_FIELDS, CartLine, CartNotice, CartView, ProductSnapshot
from catalog.errors import CatalogErrorCode
from catalog.models import Product
from core.db import read_on_thread

if TYPE_CHECKING:
    from accounts.models import User


@cache
def _snapshot_sql() -> str:
    """``SELECT <SNAPSHOT_FIELDS> FROM products WHERE id = ANY(%s)``, built once from the model's metadata."""
    meta, quote = Product._meta, connection.ops.quote_name
    columns = []
    for name in SNAPSHOT_FIELDS:
        field = meta.get_field(name)
        assert isinstance(field, Field), name  # concrete columns only
        columns.append(quote(field.column))
    return f"SELECT {', '.join(columns)} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = ANY(%s)"  # noqa: S608


def products_by_id(*, product_ids: Iterable[UUID]) -> dict[UUID, ProductSnapshot]:
    """Every product a cart operation needs, in one query (inactive ones included, to report them).

    Every cart read and write runs this query: its SQL is built once rather than compiled by the ORM on
    each call, which cost more than the query itself (bench/carts.py).
    """
    ids = list(set(product_ids))
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_snapshot_sql(), [ids])
        return {row[0]: ProductSnapshot(*row) for row in cursor.fetchall()}


def cart_view_build(
    *,
    lines: Mapping[UUID, int],
    products: Mapping[UUID, ProductSnapshot],
    cart_token: str | None = None,
) -> tuple[CartView, list[UUID]]:
    """Price the lines at current prices; lines whose product is gone or inactive become notices.

    Returns the view and the ids of those stale lines, which the caller removes from storage so
    the notice is given once.
    """
    items: list[CartLine] = []
    notices: list[CartNotice] = []
    stale: list[UUID] = []
    for product_id, quantity in lines.items():
        product = products.get(product_id)
        if product is None or not product.is_active:
            stale.append(product_id)
            notices.append(
                CartNotice(
                    code=CatalogErrorCode.PRODUCT_UNAVAILABLE,
                    detail=(
                        f"“{product.name}” is no longer available and was removed from your cart."
                        if product is not None
                        else "A product in your cart no longer exists and was removed."
                    ),
                    product_id=product_id,
                )
            )
            continue
        items.append(CartLine(product_id=product_id, name=product.name, unit_price=product.price, quantity=quantity))
    view = CartView(items=items, notices=notices, cart_token=cart_token)
    return view, stale


def user_cart_lines(*, user: User) -> tuple[dict[UUID, int], dict[UUID, ProductSnapshot]]:
    """A signed-in user's lines and their products, in one query (items joined to products)."""
    rows = (
        CartItem.objects.filter(cart__user=user)
        .order_by("created_at")
        .values_list("quantity", *(f"product__{name}" for name in SNAPSHOT_FIELDS))
    )
    lines: dict[UUID, int] = {}
    products: dict[UUID, ProductSnapshot] = {}
    for quantity, *product in rows:
        snapshot = ProductSnapshot(*product)
        lines[snapshot.pk] = quantity
        products[snapshot.pk] = snapshot
    return lines, products


def cart_get(*, user: User | None, cart_token: str | None) -> CartView:
    """The signed-in user's cart, else the anonymous cart of ``cart_token`` (empty if unknown or expired).

    Reading also drops lines whose product was withdrawn (reported once as notices).
    """
    if user is None:
        return _anonymous_cart_get_sync(cart_token=cart_token)
    lines, products = user_cart_lines(user=user)
    view, stale = cart_view_build(lines=lines, products=products)
    if stale:
        CartItem.objects.filter(cart__user=user, product_id__in=stale).delete()
    return view


# An anonymous read, as a coroutine for the event loop and as its sync twin: the same steps on the same
# data (``cart_view_build`` prices the lines); only the Redis client and the hop to the database differ.


async def anonymous_cart_get(*, cart_token: str | None) -> CartView:
    """The anonymous cart of ``cart_token``, on the event loop: one HGETALL and at most one product query."""
    if not anonymous.token_is_valid(cart_token):
        return CartView(items=[])
    assert cart_token is not None
    lines = await anonymous.alines_read(token=cart_token)
    if not lines:
        return CartView(items=[])
    products = await read_on_thread(products_by_id, product_ids=lines)
    view, stale = cart_view_build(lines=lines, products=products, cart_token=cart_token)
    if stale:
        await anonymous.alines_remove(token=cart_token, product_ids=stale, refresh_ttl=False)
    return view


def _anonymous_cart_get_sync(*, cart_token: str | None) -> CartView:
    if not anonymous.token_is_valid(cart_token):
        return CartView(items=[])
    assert cart_token is not None
    lines = anonymous.lines_read(token=cart_token)
    if not lines:
        return CartView(items=[])
    products = products_by_id(product_ids=lines)
    view, stale = cart_view_build(lines=lines, products=products, cart_token=cart_token)
    if stale:
        anonymous.lines_remove(token=cart_token, product_ids=stale, refresh_ttl=False)
    return view
