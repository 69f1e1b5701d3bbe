from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from common.errors import DomainError
from orders.models import Order, OrderItem, OrderStatus, OrderStatusEvent
from orders.services import order_cancel, order_transition
from payments.admin import PaymentInline


class OrderItemInline(admin.TabularInline[OrderItem, Order]):
    model = OrderItem
    extra = 0
    can_delete = False
    fields = ["product", "quantity", "price_at_purchase"]
    readonly_fields = ["product", "quantity", "price_at_purchase"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderStatusEventInline(admin.TabularInline[OrderStatusEvent, Order]):
    model = OrderStatusEvent
    extra = 0
    can_delete = False
    verbose_name_plural = "status history"
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    ordering = ["created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _lifecycle_action(name: str, description: str, verb: str, apply: Callable[[Order, User], Order]) -> Any:
    """An admin action applying ``apply`` order by order, so one refused transition does not stop the others."""

    @admin.action(description=description)
    def action(modeladmin: admin.ModelAdmin[Order], request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done, refused = 0, []
        for order in queryset:
            try:
                apply(order, request.user)  # type: ignore[arg-type]
                done += 1
            except DomainError as exc:
                refused.append(f"{order.pk}: {exc.detail}")
        if done:
            modeladmin.message_user(request, f"{done} order(s) {verb}.", messages.SUCCESS)
        for message in refused:
            modeladmin.message_user(request, message, messages.ERROR)

    action.__name__ = name
    return action


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    """Status changes go through the lifecycle service only; the status field itself is read-only."""

    list_display = ["id", "user", "status", "total_amount", "created_at", "expires_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["id", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = ["id", "user", "status", "total_amount", "expires_at", "created_at", "updated_at"]
    inlines = [OrderItemInline, OrderStatusEventInline, PaymentInline]
    actions = [
        _lifecycle_action(
            "mark_processing",
            "Mark selected orders as processing",
            "moved to processing",
            lambda order, user: order_transition(order_id=order.pk, to_status=OrderStatus.PROCESSING, actor=user),
        ),
        _lifecycle_action(
            "mark_shipped",
            "Mark selected orders as shipped (e-mails the customer)",
            "shipped",
            lambda order, user: order_transition(order_id=order.pk, to_status=OrderStatus.SHIPPED, actor=user),
        ),
        _lifecycle_action(
            "cancel_orders",
            "Cancel selected orders (stock is returned)",
            "cancelled",
            lambda order, user: order_cancel(order_id=order.pk, actor=user),
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
