from functools import cached_property
from typing import Any

from django.core.paginator import InvalidPage, Paginator
from django.db.models import Model, QuerySet
from django.http import QueryDict
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from api.pagination import StandardPagination


class CountedPaginator(Paginator):
    """A Paginator given its count, which the caller ran with the async ORM (Paginator would run its own)."""

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


class AsyncPagination(StandardPagination):
    """StandardPagination whose page is fetched with the async ORM: one COUNT (known up front) + one SELECT."""

    def page_number(self, params: QueryDict) -> str:
        # "01" and "1" are the same page (and the same cache entry); "²" or "0" is a 400.
        return self.page_number_clean(params.get(self.page_query_param))

    def page_size_for(self, params: QueryDict) -> int:
        return self.page_size_clean(params.get(self.page_size_query_param))

    async def apaginate(self, queryset: QuerySet[Any], request: Request, *, count: int) -> list[Any]:
        paginator = CountedPaginator(queryset, self.get_page_size(request), count=count)
        number = self.page_number(request.query_params)
        if number in self.last_page_strings:
            number = str(paginator.num_pages)
        try:
            self.page = paginator.page(number)
        except InvalidPage as exc:
            raise NotFound(self.invalid_page_message.format(page_number=number, message=str(exc))) from exc
        page_rows: QuerySet[Any] = self.page.object_list  # type: ignore[assignment]
        rows: list[Model] = [row async for row in page_rows]
        self.page.object_list = rows
        self.request = request
        return rows

    def page_data(self, results: Any) -> dict[str, Any]:
        assert self.page is not None
        return {
            "count": self.page.paginator.count,
            "next": self.get_next_link(),
            "previous": self.get_previous_link(),
            "results": results,
        }
