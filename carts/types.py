"""Plain values the carts services return and the API serializers render."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True, slots=True)
class ProductSnapshot:
    """The product fields a cart needs, read as plain values (no model instances on the hot path)."""

    pk: UUID
    name: str
    price: Decimal
    stock_quantity: int
    is_active: bool


SNAPSHOT_FIELDS = ("id", "name", "price", "stock_quantity", "is_active")


@dataclass(frozen=True)
class CartLine:
    product_id: UUID
    name: str
    unit_price: Decimal
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class CartNotice:
    """Something the cart changed on its own, e.g. a line dropped because its product was withdrawn."""

    code: str
    detail: str
    product_id: UUID | None = None


@dataclass(frozen=True)
class CartView:
    items: list[CartLine]
    notices: list[CartNotice] = field(default_factory=list)
    # Anonymous carts only: the token the client must send back in ``X-Cart-Token``.
    cart_token: str | None = None

    @property
    def total(self) -> Decimal:
        return sum((line.line_total for line in self.items), Decimal("0.00"))

    @property
    def item_count(self) -> int:
        """Units in the cart (the number a cart badge shows), not the number of lines."""
        return sum(line.quantity for line in self.items)


@dataclass(frozen=True)
class CappedLine:
    """A merged line whose summed quantity exceeded the available stock."""

    product_id: UUID
    requested: int
    quantity: int
    available: int


@dataclass(frozen=True)
class CartMergeResult:
    cart: CartView
    merged_lines: int
    capped: list[CappedLine] = field(default_factory=list)
