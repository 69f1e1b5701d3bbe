from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from idempotency.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin[IdempotencyKey]):
    list_display = ("key", "user", "method", "path", "state", "response_status", "created_at")
    list_filter = ("state", "method")
    search_fields = ("key", "path")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
