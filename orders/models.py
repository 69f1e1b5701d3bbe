from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import BaseModel


class OrderStatus(models.TextChoices):
    PENDING = "PENDING", "Pending payment"
    PAYMENT_CONFIRMED = "PAYMENT_CONFIRMED", "Payment confirmed"
    PROCESSING = "PROCESSING", "Processing"
    SHIPPED = "SHIPPED", "Shipped"
    CANCELLED = "CANCELLED", "Cancelled"


class Order(BaseModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=32, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    total_amount = models.DecimalField(max_digits=12, decimal_places=2)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "orders"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="orders_user_created_idx"),
            models.Index(fields=["status", "expires_at"], name="orders_status_expiry_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="orders_total_non_negative"),
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="orders_status_valid"),
        ]

    def __str__(self) -> str:
        return f"Order {self.pk} ({self.status})"


class OrderItem(BaseModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="order_items")
    quantity = models.PositiveIntegerField()
    price_at_purchase = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        db_table = "order_items"
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_items_quantity_positive"),
            models.CheckConstraint(condition=Q(price_at_purchase__gte=0), name="order_items_price_non_negative"),
            models.UniqueConstraint(fields=["order", "product"], name="order_items_product_unique_per_order"),
        ]

    def __str__(self) -> str:
        # Read with the product selected (the admin inline does so).
        return f"{self.product.name} × {self.quantity} at {self.price_at_purchase}"


class OrderStatusEvent(BaseModel):
    """Audit trail: one row per transition, written by ``orders.services.order_transition``."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_events")
    from_status = models.CharField(max_length=32, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=32, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "order_status_events"
        ordering = ["created_at"]

    def __str__(self) -> str:
        # e.g. "PENDING → PAYMENT_CONFIRMED by ann@example.com at 2026-01-31 10:00 UTC"
        actor = self.actor.email if self.actor_id and self.actor else "system"
        start = self.from_status or "(new)"
        return f"{start} → {self.to_status} by {actor} at {self.created_at:%Y-%m-%d %H:%M %Z}"
