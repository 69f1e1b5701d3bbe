"""Read-only views of payments, webhook events and the fake provider's ledger.

Payments change only through ``payments.services`` (charges, webhooks, refunds), never by hand.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from orders.admin import order_admin_inline_register
from payments.models import FakeCharge, Payment, WebhookEvent


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _change_link(app_label: str, model: str, pk: Any, text: str) -> str:
    try:
        url = reverse(f"admin:{app_label}_{model}_change", args=[pk])
    except NoReverseMatch:
        return text
    return format_html('<a href="{}">{}</a>', url, text)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("id", "order_link", "status", "amount", "currency", "provider", "transaction_id", "created_at")
    list_filter = ("status", "provider", "currency", "created_at")
    search_fields = ("=id", "=order__id", "transaction_id", "=idempotency_key", "order__user__email")
    date_hierarchy = "created_at"
    list_select_related = ("order",)
    readonly_fields = (
        "id",
        "order_link",
        "provider",
        "transaction_id",
        "status",
        "amount",
        "currency",
        "idempotency_key",
        "failure_code",
        "failure_message",
        "refund_requested_at",
        "refund_id",
        "refunded_at",
        "refunded_by",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields

    @admin.display(description="order", ordering="order__created_at")
    def order_link(self, obj: Payment) -> str:
        return _change_link("orders", "order", obj.order_id, f"{obj.order_id} ({obj.order.status})")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "provider", "event_type", "outcome", "payment_link", "created_at")
    list_filter = ("provider", "event_type", "outcome")
    search_fields = ("=event_id", "=payment__id")
    readonly_fields = ("id", "provider", "event_id", "event_type", "outcome", "payment_link", "payload", "created_at")
    fields = readonly_fields

    @admin.display(description="payment")
    def payment_link(self, obj: WebhookEvent) -> str:
        if obj.payment_id is None:
            return "-"
        return _change_link("payments", "payment", obj.payment_id, str(obj.payment_id))


@admin.register(FakeCharge)
class FakeChargeAdmin(ReadOnlyAdmin):
    list_display = ("transaction_id", "outcome", "amount", "currency", "token", "refund_id", "created_at")
    list_filter = ("outcome", "token")
    search_fields = ("=transaction_id", "=idempotency_key")


class PaymentInline(admin.TabularInline[Payment, Any]):
    """Read-only list of an order's payments on the order page (registered with the order admin below)."""

    model = Payment
    fk_name = "order"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("status", "amount", "currency", "provider", "transaction_id", "failure_code", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


order_admin_inline_register(PaymentInline)
