from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import BaseModel


class Cart(BaseModel):
    """The cart of a signed-in user (anonymous carts live in Redis, see ``carts.anonymous``)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart")

    class Meta:
        db_table = "carts"

    def __str__(self) -> str:
        return f"Cart of {self.user_id}"


class CartItem(BaseModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="cart_items")
    quantity = models.PositiveIntegerField()

    class Meta:
        db_table = "cart_items"
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cart_items_product_unique_per_cart"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_items_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"
