"""How inventory reacts to the catalog below it (connected by ``InventoryConfig.ready``)."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from catalog.models import Product
from catalog.references import product_cleanup_register
from catalog.signals import product_created
from inventory.models import StockMovement
from inventory.services import stock_initialize


def stock_initialize_on_product_created(
    sender: type[Product], *, product: Product, stock_quantity: int, actor: User | None = None, **kwargs: Any
) -> None:
    """A new product's opening stock, recorded in the ledger inside the transaction that creates the product."""
    stock_initialize(product=product, quantity=stock_quantity, actor=actor)


def ledger_delete(product: Product) -> None:
    """A product being deleted (it never sold) takes its ledger rows with it."""
    StockMovement.objects.filter(product=product).delete()


def connect() -> None:
    product_created.connect(stock_initialize_on_product_created, dispatch_uid="inventory.stock_initialize")
    product_cleanup_register(ledger_delete)
