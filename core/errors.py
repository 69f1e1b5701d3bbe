"""The domain errors services raise: plain Python, no HTTP imports needed at the call site.

``api.errors`` renders them in the one error envelope with the error's HTTP status.
"""

from __future__ import annotations

from typing import Any

from rest_framework import status


class DomainError(Exception):
    """A business rule refused the operation. ``code`` is a stable string clients match on."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "invalid"
    default_detail: str = "The request could not be completed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        attr: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.attr = attr
        # Extra entries rendered as separate errors, each may carry extra keys (e.g. product_id).
        self.errors = errors
        self.headers = headers or {}
        super().__init__(self.detail)

    def as_errors(self) -> list[dict[str, Any]]:
        if self.errors:
            return [{"code": self.code, "detail": self.detail, "attr": self.attr, **e} for e in self.errors]
        return [{"code": self.code, "detail": self.detail, "attr": self.attr}]


class NotFoundError(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_detail = "Not found."


class ConflictError(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_detail = "The request conflicts with the current state of the resource."


class ServiceUnavailableError(DomainError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "service_unavailable"
    default_detail = "A backing service is unavailable; try again shortly."
