"""List filters shared by the back office's admin pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest


class TextInputFilter(admin.SimpleListFilter):
    """A filter typed into a search box (an exact, case-insensitive match on ``lookup``) instead of a long list.

    Subclasses set ``title``, ``parameter_name`` and ``lookup`` (e.g. ``user__email__iexact``).
    """

    template = "admin/text_input_filter.html"
    lookup = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return []

    def has_output(self) -> bool:
        return True

    def choices(self, changelist: ChangeList) -> Iterator[Any]:
        # One "choice" carrying what the form needs: the other active parameters, kept as hidden fields.
        yield {
            "selected": self.value() is not None,
            "query_string": changelist.get_query_string(remove=[str(self.parameter_name)]),
            "display": self.value() or "",
            "hidden": [(key, value) for key, value in changelist.params.items() if key != self.parameter_name],
        }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = (self.value() or "").strip()
        return queryset.filter(**{self.lookup: value}) if value else queryset
