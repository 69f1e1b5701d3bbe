"""The order back office: lifecycle buttons on the order page and list actions, both through
``orders.services.order_staff_set_status`` (the function the staff API uses), so the state machine decides."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

from core.admin_filters import TextInputFilter
from core.errors import DomainError
from orders.models import Order, OrderItem, OrderStatus, OrderStatusEvent
from orders.services import order_staff_next_statuses, order_staff_set_status

# The label of each staff transition, on the order page's buttons and in the list's actions.
TRANSITION_LABELS: dict[str, str] = {
    OrderStatus.PROCESSING: "Mark as processing",
    OrderStatus.SHIPPED: "Mark as shipped (e-mails the customer)",
    OrderStatus.CANCELLED: "Cancel the order (refund, stock returned)",
}


class OrderItemInline(admin.TabularInline[OrderItem, Order]):
    model = OrderItem
    extra = 0
    can_delete = False
    fields = ["product_name", "quantity", "price_at_purchase", "line_total"]
    readonly_fields = ["product_name", "quantity", "price_at_purchase", "line_total"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderItem]:
        return super().get_queryset(request).select_related("product")

    @admin.display(description="product")
    def product_name(self, item: OrderItem) -> str:
        return item.product.name

    @admin.display(description="line total")
    def line_total(self, item: OrderItem) -> Any:
        return item.price_at_purchase * item.quantity

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderStatusEventInline(admin.TabularInline[OrderStatusEvent, Order]):
    model = OrderStatusEvent
    extra = 0
    can_delete = False
    verbose_name_plural = "status history"
    fields = ["change", "reason"]
    readonly_fields = ["change", "reason"]
    ordering = ["created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderStatusEvent]:
        return super().get_queryset(request).select_related("actor")

    @admin.display(description="change")
    def change(self, event: OrderStatusEvent) -> str:
        return str(event)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CustomerEmailFilter(TextInputFilter):
    title = "customer e-mail"
    parameter_name = "customer"
    lookup = "user__email__iexact"


def _apply(request: HttpRequest, order_id: UUID, to_status: str) -> str | None:
    """Apply one staff transition; the refusal's message, or ``None`` when it was done."""
    try:
        order_staff_set_status(order_id=order_id, to_status=to_status, actor=request.user)  # type: ignore[arg-type]
    except DomainError as exc:
        return str(exc.detail)
    return None


def _lifecycle_action(name: str, to_status: str, verb: str) -> Any:
    """A list action moving each selected order to ``to_status``; one refusal does not stop the others."""

    @admin.action(description=f"{TRANSITION_LABELS[to_status]}: selected orders", permissions=["change"])
    def action(modeladmin: admin.ModelAdmin[Order], request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done = 0
        for order_id in queryset.values_list("pk", flat=True):
            refusal = _apply(request, order_id, to_status)
            if refusal is None:
                done += 1
            else:
                modeladmin.message_user(request, f"Order {order_id}: {refusal}", messages.ERROR)
        if done:
            modeladmin.message_user(request, f"{done} order(s) {verb}.", messages.SUCCESS)

    action.__name__ = name
    return action


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    """Status changes go through the lifecycle service only; the status field itself is read-only."""

    change_form_template = "admin/orders/order/change_form.html"
    list_display = ["reference", "customer", "status", "item_count", "unit_count", "total_amount", "created_at"]
    list_filter = ["status", CustomerEmailFilter, "created_at"]
    search_fields = ["id", "user__email"]
    search_help_text = "Order id (or part of it) or customer e-mail."
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = ["id", "user", "status", "total_amount", "expires_at", "created_at", "updated_at"]
    inlines = [OrderItemInline, OrderStatusEventInline]
    actions = [
        _lifecycle_action("mark_processing", OrderStatus.PROCESSING, "moved to processing"),
        _lifecycle_action("mark_shipped", OrderStatus.SHIPPED, "shipped"),
        _lifecycle_action("cancel_orders", OrderStatus.CANCELLED, "cancelled"),
    ]

    class Media:
        css = {"all": ["backoffice/backoffice.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        # Counted in the list's own query: no query per row.
        return super().get_queryset(request).annotate(item_count=Count("items"), unit_count=Sum("items__quantity"))

    @admin.display(description="order", ordering="id")
    def reference(self, order: Order) -> str:
        # The id's first block: enough to tell orders apart on a page, and what the search box accepts.
        return str(order.pk)[:8]

    @admin.display(description="customer", ordering="user__email")
    def customer(self, order: Order) -> str:
        return order.user.email

    @admin.display(description="lines", ordering="item_count")
    def item_count(self, order: Order) -> int:
        return int(getattr(order, "item_count", 0))

    @admin.display(description="units", ordering="unit_count")
    def unit_count(self, order: Order) -> int:
        return int(getattr(order, "unit_count", 0) or 0)

    def get_urls(self) -> list[URLPattern]:
        transition = self.admin_site.admin_view(require_POST(self.transition_view))
        return [
            path("<uuid:object_id>/transition/<str:to_status>/", transition, name="orders_order_transition"),
            *super().get_urls(),
        ]

    def transition_view(self, request: HttpRequest, object_id: UUID, to_status: str) -> HttpResponse:
        order = get_object_or_404(Order, pk=object_id)
        if not self.has_change_permission(request, order):
            raise PermissionDenied
        refusal = _apply(request, order.pk, to_status)
        if refusal is None:
            order.refresh_from_db(fields=["status"])
            self.message_user(request, f"Order {order.pk} is now {order.status}.", messages.SUCCESS)
        else:
            self.message_user(request, refusal, messages.ERROR)
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = dict(extra_context or {})
        # Nothing on the page is edited by hand: the lifecycle buttons are the only way to change an order.
        context.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        order = self.get_object(request, object_id)
        if order is not None and self.has_change_permission(request, order):
            context["transitions"] = [
                (to_status, TRANSITION_LABELS[to_status]) for to_status in order_staff_next_statuses(order.status)
            ]
        return super().change_view(request, object_id, form_url, context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def order_admin_inline_register(inline: type[InlineModelAdmin[Any, Any]]) -> None:
    """Show another app's records on the order page (payments adds its inline from its own admin module)."""
    if inline not in OrderAdmin.inlines:
        OrderAdmin.inlines = [*OrderAdmin.inlines, inline]
