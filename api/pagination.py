from typing import Any

from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from api.input_limits import positive_int


class StandardPagination(PageNumberPagination):
    """``?page=&page_size=``; page_size defaults to 20 and is capped at 100 (larger values are clamped).

    A page or page_size that is not a positive integer in ASCII digits is a 400 naming the parameter, not
    silently the default or a 404: the schema documents an integer ≥ 1, and the API accepts exactly that
    (``page=last`` is kept, as DRF spells the last page).
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        return self.page_size_clean(request.query_params.get(self.page_size_query_param))

    def page_size_clean(self, raw: str | None) -> int:
        """The page size asked for (the default when absent, clamped to the maximum); anything else a 400."""
        if raw is None:
            return self.page_size
        # Any number of digits is valid (and clamped); only short ones are converted.
        return positive_int(raw, name=self.page_size_query_param, maximum=self.max_page_size)

    def page_number_clean(self, raw: str | None) -> str:
        """The page asked for, canonical (``"01"`` is ``"1"``); ``last`` as sent; anything else a 400."""
        if not raw:
            return "1"
        if raw in self.last_page_strings:
            return raw
        return str(positive_int(raw, name=self.page_query_param))

    def get_page_number(self, request: Request, paginator: Paginator) -> str:
        return self.page_number_clean(request.query_params.get(self.page_query_param))

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page (default {self.page_size}; values above {self.max_page_size} are clamped)."
                )
        return parameters
