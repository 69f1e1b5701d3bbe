"""Registry of the records other apps keep on a product: whether it may be deleted, and what goes with it.

The catalog sits below the apps whose rows point at products (orders' items, inventory's ledger), so it asks
them through this registry instead of importing them. Each app registers in its ``AppConfig.ready``:

- a *keeper* ``(product or None) -> bool``: True when its records must keep the product (``None``: any
  product at all). ``product_delete`` deactivates a kept product instead of deleting it.
- a *cleanup* ``(product) -> None``: deletes its own rows of a product that is being deleted, in the same
  transaction (a product that never sold takes its ledger rows with it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from catalog.models import Product

Keeper = Callable[["Product | None"], bool]
Cleanup = Callable[["Product"], object]

_keepers: list[Keeper] = []
_cleanups: list[Cleanup] = []


def product_keeper_register(keeper: Keeper) -> None:
    if keeper not in _keepers:
        _keepers.append(keeper)


def product_cleanup_register(cleanup: Cleanup) -> None:
    if cleanup not in _cleanups:
        _cleanups.append(cleanup)


def product_is_kept(product: Product | None) -> bool:
    """Whether another app's records keep ``product`` (``None``: any product) from being deleted."""
    return any(keeper(product) for keeper in _keepers)


def product_records_delete(product: Product) -> None:
    """Delete the other apps' own rows of ``product``, just before the product itself."""
    for cleanup in _cleanups:
        cleanup(product)
