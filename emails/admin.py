from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from emails.models import OutboxMessage
from emails.outbox import outbox_retry


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    list_display = ("idempotency_key", "kind", "state", "attempts", "next_attempt_at", "sent_at", "created_at")
    list_filter = ("state", "kind")
    search_fields = ("idempotency_key", "last_error")
    readonly_fields = (
        "kind",
        "idempotency_key",
        "payload",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "created_at",
    )
    actions = ["retry"]

    @admin.action(description="Retry selected messages", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = outbox_retry(message_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("emails.retry_outboxmessage")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
