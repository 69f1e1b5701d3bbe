"""The stock ledger (read-only) and the product page's stock adjustment: the catalog's product admin, extended
here because the catalog sits below inventory."""

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from catalog.admin import ProductAdmin
from catalog.models import Product
from core.errors import DomainError
from inventory.models import STOCK_NOTE_MAX_LENGTH, StockMovement
from inventory.services import ADJUSTMENT_REASONS, stock_adjust


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


class StockAdjustForm(forms.Form):
    reason = forms.ChoiceField(choices=[(reason.value, reason.label) for reason in ADJUSTMENT_REASONS])
    delta = forms.IntegerField(
        label="Change", help_text="Units to add (e.g. 12) or to remove (e.g. -3).", min_value=-1_000_000
    )
    note = forms.CharField(
        max_length=STOCK_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Why the stock changes (e.g. “3 broken in the warehouse”), kept in the stock ledger.",
    )
    # The stock the manager saw: if it moved meanwhile (an order), the service refuses instead of guessing.
    expected_quantity = forms.IntegerField(widget=forms.HiddenInput)


class ProductStockAdmin(ProductAdmin):
    """The product admin with its "Adjust stock" page (every change through ``inventory.services``)."""

    def get_urls(self) -> list[URLPattern]:
        adjust = self.admin_site.admin_view(self.adjust_stock_view)
        return [
            path("<uuid:object_id>/adjust-stock/", adjust, name="catalog_product_adjust_stock"),
            *super().get_urls(),
        ]

    def adjust_stock_view(self, request: HttpRequest, object_id: UUID) -> HttpResponse:
        """Stock changes by hand: through ``inventory.services.stock_adjust``, one ledger row each."""
        product = get_object_or_404(Product.objects.defer("search_vector"), pk=object_id)
        if not self.has_change_permission(request, product):
            raise PermissionDenied
        form = StockAdjustForm(request.POST or None, initial={"expected_quantity": product.stock_quantity})
        if request.method == "POST" and form.is_valid():
            try:
                movement = stock_adjust(
                    product_id=product.pk,
                    delta=form.cleaned_data["delta"],
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    expected_quantity=form.cleaned_data["expected_quantity"],
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                form.add_error(exc.attr if exc.attr in form.fields else None, str(exc.detail))
            else:
                self.message_user(
                    request,
                    f"Stock of “{product.name}”: {product.stock_quantity} → "
                    f"{product.stock_quantity + movement.delta} ({movement.get_reason_display()}, "
                    f"{movement.delta:+d}).",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:catalog_product_change", args=[product.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust stock: {product.name}",
            "opts": self.opts,
            "original": product,
            "form": form,
            "movements": StockMovement.objects.filter(product=product).select_related("actor", "order")[:10],
            "ledger_url": reverse("admin:inventory_stockmovement_changelist") + f"?product={product.pk}",
        }
        return TemplateResponse(request, "admin/catalog/product/adjust_stock.html", context)


admin.site.unregister(Product)
admin.site.register(Product, ProductStockAdmin)
