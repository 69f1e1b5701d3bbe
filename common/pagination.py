import re
from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

_POSITIVE_INT = re.compile(r"0*[1-9][0-9]*")


class StandardPagination(PageNumberPagination):
    """``?page=&page_size=``; page_size defaults to 20 and is capped at 100 (larger values are clamped).

    A page_size that is not a positive integer is a 400 naming the parameter, not silently the default:
    the schema documents an integer ≥ 1, and the API accepts exactly that.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not _POSITIVE_INT.fullmatch(raw):
            raise ValidationError(
                {self.page_size_query_param: ["A positive integer is required."]}, code="invalid_page_size"
            )
        digits = raw.lstrip("0")
        # Any number of digits is valid (and clamped); only short ones are worth converting.
        return min(int(digits), self.max_page_size) if len(digits) <= 9 else self.max_page_size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page (default {self.page_size}; values above {self.max_page_size} are clamped)."
                )
        return parameters
