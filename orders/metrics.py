"""Order metrics, counted by the functions that own the events (:mod:`orders.services`).

``orders_placed_total`` and ``order_transitions_total`` count committed facts: they move when the transaction that
placed or moved the order commits (``transaction.on_commit``), so an order rolled back (a refusal under the lock, a
failure of the caller's transaction) is never counted. ``orders_refused_total`` counts the refusals answered to the
customer, whichever check refused (the early one or the one under the product locks).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import ParamSpec, TypeVar

from prometheus_client import Counter

from catalog.errors import CatalogErrorCode
from core.errors import DomainError
from inventory.errors import InventoryErrorCode

PLACED = Counter("orders_placed", "Orders placed (committed).")
REFUSED = Counter("orders_refused", "Orders refused, by reason (insufficient_stock, product_unavailable).", ["reason"])
TRANSITIONS = Counter(
    "order_transitions", "Order status changes (committed), by from and to status.", ["from_status", "to_status"]
)


class RefusalReason(StrEnum):
    INSUFFICIENT_STOCK = InventoryErrorCode.INSUFFICIENT_STOCK.value
    PRODUCT_UNAVAILABLE = CatalogErrorCode.PRODUCT_UNAVAILABLE.value


_REFUSED = {reason.value: REFUSED.labels(reason.value) for reason in RefusalReason}

P = ParamSpec("P")
R = TypeVar("R")


def counts_refusals(place: Callable[P, R]) -> Callable[P, R]:
    """Counts the stock and availability refusals ``place`` raises, by their error code, then re-raises them."""

    @wraps(place)
    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return place(*args, **kwargs)
        except DomainError as exc:
            child = _REFUSED.get(str(exc.code))
            if child is not None:
                child.inc()
            raise

    return counted


__all__ = ["PLACED", "REFUSED", "TRANSITIONS", "counts_refusals"]
