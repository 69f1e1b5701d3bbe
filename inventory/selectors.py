from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from catalog.errors import CatalogErrorCode
from catalog.models import Product
from core.errors import NotFoundError
from inventory.models import StockMovement


@dataclass(frozen=True)
class LedgerMismatch:
    product_id: UUID
    name: str
    stock_quantity: int
    ledger_total: int


def stock_movement_list(*, product_id: UUID) -> QuerySet[StockMovement]:
    """The ledger of one product, newest first; 404 for an unknown product."""
    if not Product.objects.filter(pk=product_id).exists():
        raise NotFoundError("Product not found.", code=CatalogErrorCode.PRODUCT_NOT_FOUND)
    return StockMovement.objects.filter(product_id=product_id).order_by("-created_at", "-pk")


def low_stock_product_list(*, threshold: int | None = None) -> QuerySet[Product]:
    """Products at or below ``threshold``, or at or below their own ``low_stock_threshold`` when omitted."""
    products = Product.objects.only(
        "id", "name", "slug", "stock_quantity", "low_stock_threshold", "is_active", "created_at"
    )
    if threshold is None:
        products = products.filter(stock_quantity__lte=F("low_stock_threshold"))
    else:
        products = products.filter(stock_quantity__lte=threshold)
    return products.order_by("stock_quantity", "name", "pk")


def inventory_mismatches(*, product_ids: list[UUID] | None = None) -> list[LedgerMismatch]:
    """Products whose ``stock_quantity`` differs from the sum of their ledger deltas (should be none)."""
    ledger_total = (
        StockMovement.objects.filter(product=OuterRef("pk"))
        .order_by()
        .values("product")
        .annotate(total=Sum("delta"))
        .values("total")
    )
    products = Product.objects.annotate(
        ledger_total=Coalesce(Subquery(ledger_total, output_field=IntegerField()), 0)
    ).exclude(stock_quantity=F("ledger_total"))
    if product_ids is not None:
        products = products.filter(pk__in=product_ids)
    return [
        LedgerMismatch(product_id=p.pk, name=p.name, stock_quantity=p.stock_quantity, ledger_total=p.ledger_total)
        for p in products.order_by("name", "pk")
    ]
