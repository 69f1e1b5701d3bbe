from django.contrib import admin
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest

from carts.models import Cart, CartItem


class CartItemInline(admin.TabularInline[CartItem, Cart]):
    model = CartItem
    extra = 0
    raw_id_fields = ["product"]
    fields = ["product", "quantity", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin[Cart]):
    """Signed-in users' carts (anonymous carts live in Redis and expire by themselves)."""

    list_display = ["user", "line_count", "unit_count", "updated_at"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]
    ordering = ["-updated_at"]
    inlines = [CartItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cart]:
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .annotate(line_count=Count("items"), unit_count=Sum("items__quantity"))
        )

    @admin.display(description="lines", ordering="line_count")
    def line_count(self, cart: Cart) -> int:
        return int(getattr(cart, "line_count", 0))

    @admin.display(description="units", ordering="unit_count")
    def unit_count(self, cart: Cart) -> int:
        return int(getattr(cart, "unit_count", 0) or 0)
