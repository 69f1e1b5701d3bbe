from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from inventory.models import StockMovement


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin[StockMovement]):
    """The ledger is append-only: visible here, written only by ``inventory.services``."""

    list_display = ["created_at", "product", "delta", "reason", "note", "order", "actor"]
    list_filter = ["reason", "created_at"]
    search_fields = ["product__name", "product__slug", "order__id", "note"]
    list_select_related = ["product", "actor"]
    date_hierarchy = "created_at"
    readonly_fields = ["id", "product", "delta", "reason", "note", "order", "actor", "created_at", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
