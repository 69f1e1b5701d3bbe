from django.conf import settings
from django.db import models

from core.models import BaseModel

# A manual change's written note: long enough for a sentence or two, short enough for the ledger list.
STOCK_NOTE_MAX_LENGTH = 500


class MovementReason(models.TextChoices):
    INITIAL = "initial", "Initial stock"
    ORDER_PLACED = "order_placed", "Order placed"
    ORDER_CANCELLED = "order_cancelled", "Order cancelled"
    ORDER_EXPIRED = "order_expired", "Order expired"
    ADJUSTMENT = "adjustment", "Adjustment"
    RESTOCK = "restock", "Restock"


class StockMovement(BaseModel):
    """Append-only ledger: for every product ``sum(delta) == stock_quantity``."""

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="stock_movements")
    delta = models.IntegerField()
    reason = models.CharField(max_length=32, choices=MovementReason.choices)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="stock_movements"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Why a person changed the stock by hand (adjustment, restock); empty on the movements orders make. The database
    # default keeps bulk loads that name the columns (COPY in seed_catalog) valid.
    note = models.CharField(max_length=STOCK_NOTE_MAX_LENGTH, blank=True, default="", db_default="")

    class Meta:
        db_table = "stock_movements"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["product", "-created_at"], name="stock_movements_product_idx")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(delta=0), name="stock_movements_delta_non_zero"),
            models.CheckConstraint(
                condition=models.Q(reason__in=MovementReason.values), name="stock_movements_reason_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.delta:+d} ({self.reason})"
