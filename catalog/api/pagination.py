"""Page-first pagination of the catalog lists, with a capped count.

A page is fetched before anything is counted: a first page that is not full already knows its exact count (one
query). Otherwise matches are counted only up to a cap (``CATALOG_COUNT_CAP``, or the end of the page asked for
when that is further): past it the response says ``count_exact: false`` and ``count`` is a lower bound ("more
than ``count``"), so no page pays for counting a large match set. ``page=last`` needs the exact count and runs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import QueryDict
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from api.pagination import StandardPagination


@dataclass(frozen=True)
class PageSource:
    """What a list page is read from.

    ``queryset`` is filtered and ordered; ``counted`` is what is counted (default: ``queryset`` unordered).
    ``window``, when set, is the most rows that can be paged through (a relevance ranking over a bounded set of
    matches); the count still says whether more match. ``fallback`` is read instead when nothing matches.
    ``ids_first``: read the page's primary keys first, then only those rows (``WHERE pk IN (SELECT pk ... LIMIT
    n)``), so that an index carrying the filtered columns answers the scan without visiting the table for
    rows the filters drop; only for a queryset without annotations (its rows are re-read as they are).
    """

    queryset: QuerySet[Any]
    counted: QuerySet[Any] | None = None
    window: int | None = None
    fallback: PageSource | None = None
    ids_first: bool = False
    # With a window: the rows carry, in this attribute, how many matches the window held (at most one more than
    # it shows, so that more matches are known of), and the page needs no COUNT of its own.
    counted_attr: str | None = None

    def page(self, offset: int, size: int) -> QuerySet[Any]:
        end = offset + size if self.window is None else min(offset + size, self.window)
        if not self.ids_first:
            return self.queryset[offset:end]
        return self.queryset.filter(pk__in=self.queryset.values("pk")[offset:end])


class CountedPaginator(Paginator):
    """A Paginator given its count (Paginator would run its own COUNT over the whole match set)."""

    def __init__(self, object_list: Sequence[Any], per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


EMPTY_PAGE = "That page contains no results"


def count_cap() -> int:
    return int(settings.CATALOG_COUNT_CAP)


class AsyncPagination(StandardPagination):
    """StandardPagination read with the async ORM: one SELECT of the page, then a capped COUNT when needed."""

    count_exact = True

    def page_number(self, params: QueryDict) -> str:
        # "01" and "1" are the same page (and the same cache entry); "²" or "0" is a 400.
        return self.page_number_clean(params.get(self.page_query_param))

    def page_size_for(self, params: QueryDict) -> int:
        return self.page_size_clean(params.get(self.page_size_query_param))

    async def apaginate(self, source: PageSource, request: Request) -> list[Any]:
        size = self.get_page_size(request)
        number = self.page_number(request.query_params)
        self.request = request
        if number in self.last_page_strings:
            return await self._last_page(source, size)
        page = int(number)
        offset = (page - 1) * size
        rows: list[Model] = [row async for row in source.page(offset, size)]
        if rows and source.counted_attr is not None and source.window is not None:
            counted = getattr(rows[0], source.counted_attr)
            exact = counted <= source.window
            return self._keep(rows, page, size, count=min(counted, source.window), exact=exact, window=source.window)
        if rows and len(rows) < size and (source.window is None or offset + len(rows) < source.window):
            # The last page: everything before it was full (and a window did not cut it short).
            return self._keep(rows, page, size, count=offset + len(rows), exact=True)
        if not rows and page == 1:
            if source.fallback is not None:
                return await self.apaginate(source.fallback, request)
            return self._keep(rows, page, size, count=0, exact=True)
        limit = max(count_cap(), offset + size)
        if source.window is not None:
            limit = min(limit, source.window)
        counted = await self._counted(source).order_by()[: limit + 1].acount()
        if not rows:
            if counted == 0 and source.fallback is not None:
                return await self.apaginate(source.fallback, request)
            raise NotFound(self.invalid_page_message.format(page_number=number, message=EMPTY_PAGE))
        exact = counted <= limit
        return self._keep(rows, page, size, count=min(counted, limit), exact=exact, window=source.window)

    async def _last_page(self, source: PageSource, size: int) -> list[Any]:
        count = await self._counted(source).order_by().acount()
        if count == 0 and source.fallback is not None:
            return await self._last_page(source.fallback, size)
        exact = source.window is None or count <= source.window
        reachable = count if exact else source.window or 0
        page = max(1, -(-reachable // size))
        offset = (page - 1) * size
        rows: list[Model] = [row async for row in source.page(offset, size)]
        return self._keep(rows, page, size, count=reachable, exact=exact, window=source.window)

    def _keep(
        self, rows: list[Model], page: int, size: int, *, count: int, exact: bool, window: int | None = None
    ) -> list[Model]:
        # When the count is a lower bound, more rows follow it unless the window ends there.
        more = not exact and (window is None or count < window)
        paginator = CountedPaginator(rows, size, count=count + 1 if more else count)
        self.page = Page(rows, page, paginator)
        self.count = count
        self.count_exact = exact
        return rows

    @staticmethod
    def _counted(source: PageSource) -> QuerySet[Any]:
        return source.counted if source.counted is not None else source.queryset

    def page_data(self, results: Any) -> dict[str, Any]:
        assert self.page is not None
        return {
            "count": self.count,
            "count_exact": self.count_exact,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": results,
        }

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        properties["count"]["description"] = (
            "Matching results; with `count_exact` false, a lower bound: more than this many match."
        )
        properties["count_exact"] = {
            "type": "boolean",
            "description": (
                "False when the count stopped at its cap (large match sets are not counted to the end); "
                "a relevance-ordered search then pages through the best of the first `count` matches."
            ),
            "example": True,
        }
        response["required"] = [*response.get("required", []), "count_exact"]
        return response
