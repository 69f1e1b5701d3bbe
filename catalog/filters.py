"""The product list query: django-filter validates every parameter (bad value → 400 naming it) and builds the
structured part of the WHERE clause."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django_cte import CTE, with_cte
from django_filters.utils import translate_validation

from catalog.errors import CatalogErrorCode
from catalog.models import Category, Product
from core.errors import CoreErrorCode

ORDERING_CHOICES = [
    ("price", "Price, lowest first"),
    ("-price", "Price, highest first"),
    ("name", "Name"),
    ("-created_at", "Newest first"),
    ("relevance", "Best match first (with search)"),
]
ATTR_PATTERN = re.compile(r"^(?P<name>[A-Za-z0-9_\-]{1,64}):(?P<value>.{1,200})$")
MAX_VALUES = 20


class _ListWidget(forms.Widget):
    """Reads every occurrence of the parameter; with ``split`` each may also hold comma-separated values."""

    def __init__(self, *, split: bool) -> None:
        super().__init__()
        self.split = split

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        raw = data.getlist(name) if isinstance(data, QueryDict) else ([data[name]] if name in data else [])
        parts = (piece for item in raw for piece in (item.split(",") if self.split else [item]))
        return [piece.strip() for piece in parts if piece.strip()]


class _ListField(forms.Field):
    def __init__(self, *, split: bool, **kwargs: Any) -> None:
        kwargs.setdefault("widget", _ListWidget(split=split))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[str]:
        values = sorted(set(value or []))
        if len(values) > MAX_VALUES:
            raise ValidationError(f"At most {MAX_VALUES} values are allowed.", code=CatalogErrorCode.TOO_MANY_VALUES)
        if any(len(v) > 200 for v in values):
            raise ValidationError("Values are limited to 200 characters.", code=CoreErrorCode.MAX_LENGTH)
        return values


class _AttrField(_ListField):
    def clean(self, value: Any) -> dict[str, list[str]]:  # type: ignore[override]
        grouped: dict[str, list[str]] = {}
        for item in super().clean(value):
            match = ATTR_PATTERN.match(item)
            if match is None:
                raise ValidationError(
                    "Use attr=name:value (name of letters, digits, '_' or '-').", code=CatalogErrorCode.INVALID_ATTR
                )
            grouped.setdefault(match["name"], []).append(match["value"])
        return dict(sorted(grouped.items()))


class _StrictBooleanField(forms.Field):
    """``true``/``false`` (or 1/0); anything else is an error rather than silently ignored."""

    truthy = {"true", "1"}
    falsy = {"false", "0"}

    def clean(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        lowered = str(value).lower()
        if lowered in self.truthy:
            return True
        if lowered in self.falsy:
            return False
        raise ValidationError("Use true or false.", code=CoreErrorCode.INVALID)


class ListFilter(django_filters.Filter):
    field_class = _ListField

    def __init__(self, *, split: bool = True, **kwargs: Any) -> None:
        super().__init__(split=split, **kwargs)


class AttrFilter(django_filters.Filter):
    field_class = _AttrField

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(split=False, **kwargs)


class StrictBooleanFilter(django_filters.Filter):
    field_class = _StrictBooleanField


class ProductFilter(django_filters.FilterSet):
    """Structured filters. ``search`` and ``ordering`` are validated here and applied by the selector,
    because the full-text ranking and its trigram fallback decide the order together."""

    search = django_filters.CharFilter(method="_skip", max_length=200)
    category = django_filters.UUIDFilter(method="_filter_category")
    min_price = django_filters.NumberFilter(field_name="price", lookup_expr="gte", min_value=0, max_digits=14)
    max_price = django_filters.NumberFilter(field_name="price", lookup_expr="lte", min_value=0, max_digits=14)
    color = ListFilter(method="_filter_attribute")
    size = ListFilter(method="_filter_attribute")
    attr = AttrFilter(method="_filter_attrs")
    in_stock = StrictBooleanFilter(method="_filter_in_stock")
    ordering = django_filters.ChoiceFilter(method="_skip", choices=ORDERING_CHOICES)

    class Meta:
        model = Product
        fields: list[str] = []

    def _skip(self, queryset: QuerySet[Product], name: str, value: Any) -> QuerySet[Product]:
        return queryset

    def _filter_category(self, queryset: QuerySet[Product], name: str, value: UUID) -> QuerySet[Product]:
        return queryset.filter(category_id__in=category_subtree_ids(value))

    def _filter_attribute(self, queryset: QuerySet[Product], name: str, value: list[str]) -> QuerySet[Product]:
        return queryset.filter(attribute_any_of(name, value))

    def _filter_attrs(self, queryset: QuerySet[Product], name: str, value: dict[str, list[str]]) -> QuerySet[Product]:
        for attribute, wanted in value.items():
            queryset = queryset.filter(attribute_any_of(attribute, wanted))
        return queryset

    def _filter_in_stock(self, queryset: QuerySet[Product], name: str, value: bool) -> QuerySet[Product]:
        return queryset.filter(stock_quantity__gt=0) if value else queryset.filter(stock_quantity=0)


def _json_candidates(value: str) -> list[Any]:
    """Attribute values are matched as written and, when numeric or boolean, as the JSON scalar too."""
    candidates: list[Any] = [value]
    lowered = value.lower()
    if lowered in ("true", "false"):
        candidates.append(lowered == "true")
    else:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            candidates.append(int(number) if number == number.to_integral_value() else float(number))
    return candidates


def attribute_any_of(attribute: str, values: list[str]) -> Q:
    """OR of JSONB containments: each one is answered by the GIN index on ``attributes``."""
    condition = Q()
    for value in values:
        for candidate in _json_candidates(value):
            condition |= Q(attributes__contains={attribute: candidate})
    return condition


def category_subtree_ids(category_id: UUID) -> QuerySet[Any]:
    """A subquery of the category and all its descendants (recursive CTE), inlined into the product query."""

    def make(cte: CTE) -> QuerySet[Any]:
        root = Category.objects.filter(pk=category_id).order_by().values("id")
        children = cte.join(Category, parent=cte.col.id).order_by().values("id")
        return root.union(children, all=True)

    subtree = CTE.recursive(make)
    return with_cte(subtree, select=subtree.queryset()).values("id")


def _cleaned(filterset: ProductFilter) -> dict[str, Any]:
    return {name: value for name, value in filterset.form.cleaned_data.items() if value not in (None, "", [], {})}


def product_query_clean(params: QueryDict) -> dict[str, Any] | None:
    """The validated, normalised filters (empty ones dropped), or None when a value is invalid."""
    filterset = ProductFilter(data=params, queryset=Product.objects.none())
    return _cleaned(filterset) if filterset.is_valid() else None


def product_filter(params: QueryDict, queryset: QuerySet[Product]) -> tuple[QuerySet[Product], dict[str, Any]]:
    """Apply the structured filters; also return the cleaned values (empty ones dropped).

    Raises DRF's ValidationError (400, one error per bad parameter)."""
    filterset = ProductFilter(data=params, queryset=queryset)
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    return filterset.qs, _cleaned(filterset)
