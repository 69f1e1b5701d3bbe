"""The only code that changes ``Product.stock_quantity``; every change writes one StockMovement."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F

from inventory.models import MovementReason, StockMovement

if TYPE_CHECKING:
    from accounts.models import User
    from catalog.models import Product


@transaction.atomic
def stock_initialize(*, product: Product, quantity: int, actor: User | None = None) -> None:
    """Record the opening stock of a newly created product (stock 0 before this call)."""
    from catalog.models import Product

    if quantity < 0:
        raise ValueError("Initial stock cannot be negative.")
    if quantity == 0:
        return
    Product.objects.filter(pk=product.pk).update(stock_quantity=F("stock_quantity") + quantity)
    StockMovement.objects.create(product=product, delta=quantity, reason=MovementReason.INITIAL, actor=actor)
    product.stock_quantity += quantity
