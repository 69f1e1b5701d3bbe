"""How orders react to the apps below them (connected by ``OrdersConfig.ready``)."""

from __future__ import annotations

from catalog.models import Product
from catalog.references import product_keeper_register
from orders.models import OrderItem


def product_ordered(product: Product | None) -> bool:
    """An ordered product is kept (deactivated, never deleted): its order lines point at it."""
    items = OrderItem.objects.all() if product is None else OrderItem.objects.filter(product=product)
    return items.exists()


def connect() -> None:
    product_keeper_register(product_ordered)
