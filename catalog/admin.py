"""Admin for managers. Saves and deletes go through the services, so the cache and the stock ledger stay right."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.files.storage import default_storage
from django.db.models import Expression, F, IntegerField, QuerySet, TextField, Value
from django.db.models.functions import Cast, Concat
from django.http import HttpRequest
from django.utils.html import format_html
from django_cte import CTE, with_cte

from catalog import services
from catalog.api.serializers import AttributesField
from catalog.models import Category, Product
from catalog.selectors import category_subtree_contains
from core.errors import DomainError

TREE_SEPARATOR = " › "


def _category_tree(queryset: QuerySet[Category]) -> QuerySet[Category]:
    """Annotates each category with its full path and depth (recursive CTE), for a tree-ordered list."""

    def make(cte: CTE) -> QuerySet[Any]:
        roots = Category.objects.filter(parent__isnull=True).values(
            "id", path=Cast("name", TextField()), depth=Value(0, output_field=IntegerField())
        )
        children = cte.join(Category, parent=cte.col.id).values(
            "id",
            path=Concat(cte.col.path, Value(TREE_SEPARATOR), F("name"), output_field=TextField()),
            depth=cte.col.depth + Value(1, output_field=IntegerField()),
        )
        return roots.union(children, all=True)

    tree = CTE.recursive(make)
    joined = tree.join(queryset, id=tree.col.id).annotate(tree_path=tree.col.path, depth=tree.col.depth)
    return with_cte(tree, select=joined)


class TreeChangeList(ChangeList):
    """Lists categories depth-first: each one right after its parent."""

    def get_ordering(self, request: HttpRequest, queryset: QuerySet[Any]) -> list[Expression | str]:
        return ["tree_path", "pk"]


class CategoryAdminForm(forms.ModelForm[Category]):
    class Meta:
        model = Category
        fields = ("name", "slug", "parent", "is_active")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        parent = cleaned.get("parent")
        if (
            self.instance.pk
            and parent is not None
            and category_subtree_contains(root_id=self.instance.pk, candidate_id=parent.pk)
        ):
            self.add_error("parent", "A category cannot be moved under itself or one of its descendants.")
        return cleaned


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    form = CategoryAdminForm
    list_display = ("indented_name", "slug", "parent", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    actions = None  # bulk delete would bypass the in-use check

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return _category_tree(super().get_queryset(request).select_related("parent"))

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return TreeChangeList

    @admin.display(description="Category", ordering="tree_path")
    def indented_name(self, obj: Any) -> str:
        return f"{'— ' * getattr(obj, 'depth', 0)}{obj.name}"

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in ("name", "slug", "parent", "is_active")}
        saved = services.category_update(category_id=obj.pk, data=data) if change else services.category_create(**data)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Category) -> None:
        try:
            services.category_delete(category_id=obj.pk)
        except DomainError as exc:
            messages.error(request, exc.detail)


class ProductAdminForm(forms.ModelForm[Product]):
    attributes = forms.JSONField(
        required=False, help_text='A flat object, e.g. {"color": "red", "size": "M"}.', initial=dict
    )

    class Meta:
        model = Product
        fields = ("name", "slug", "description", "price", "category", "attributes", "is_active")

    def clean_attributes(self) -> dict[str, Any]:
        from rest_framework.exceptions import ValidationError as DRFValidationError

        try:
            return AttributesField().to_internal_value(self.cleaned_data.get("attributes") or {})
        except DRFValidationError as exc:
            raise forms.ValidationError(str(exc.detail[0] if isinstance(exc.detail, list) else exc.detail)) from exc


class LowStockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("low", "Low (at or below its threshold)"), ("out", "Out of stock")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> QuerySet[Product]:
        if self.value() == "low":
            return queryset.filter(stock_quantity__lte=F("low_stock_threshold"))
        if self.value() == "out":
            return queryset.filter(stock_quantity__lte=0)
        return queryset


def _thumbnail_url(product: Product, label: str) -> str | None:
    path = (product.thumbnails or {}).get(label)
    return default_storage.url(path) if path else None


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    form = ProductAdminForm
    change_form_template = "admin/catalog/product/change_form.html"
    list_display = ("thumbnail", "name", "category", "price", "stock", "is_active", "updated_at")
    list_display_links = ("name",)
    list_editable = ("price", "is_active")
    list_filter = (LowStockFilter, "is_active", ("category", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "slug")
    autocomplete_fields = ("category",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("stock_quantity", "low_stock_threshold", "preview", "created_at", "updated_at")
    list_select_related = ("category",)
    actions = None  # bulk delete would bypass the deactivate-if-ordered rule

    class Media:
        css = {"all": ["backoffice/backoffice.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).defer("search_vector")

    @admin.display(description="")
    def thumbnail(self, product: Product) -> str:
        url = _thumbnail_url(product, "small")
        if url is None:
            return ""
        return format_html('<img src="{}" alt="" class="product-thumbnail" width="48" height="48">', url)

    @admin.display(description="stock", ordering="stock_quantity")
    def stock(self, product: Product) -> str:
        if product.stock_quantity <= product.low_stock_threshold:
            return format_html('<strong class="stock-low">{} (low)</strong>', product.stock_quantity)
        return str(product.stock_quantity)

    @admin.display(description="image")
    def preview(self, product: Product) -> str:
        url = _thumbnail_url(product, "medium") or (product.image.url if product.image else None)
        if url is None:
            return "No image."
        return format_html('<img src="{}" alt="" class="product-preview">', url)

    def save_model(self, request: HttpRequest, obj: Product, form: Any, change: bool) -> None:
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
            services.product_update(product_id=obj.pk, data=data)
        else:
            data = {name: form.cleaned_data[name] for name in form.Meta.fields if name in form.cleaned_data}
            obj.pk = services.product_create(data=data, actor=request.user).pk  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: Product) -> None:
        if not services.product_delete(product_id=obj.pk):
            messages.warning(request, f"“{obj.name}” is referenced by orders: it was deactivated instead.")
