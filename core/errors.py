"""The domain errors services raise: plain Python, no HTTP imports needed at the call site.

``api.errors`` renders them in the one error envelope with the error's HTTP status.

Every error code the API sends is declared once, in the ``errors`` module of the app that owns it: an
:class:`ErrorCode` enum and the app's :class:`DomainError` subclasses. Services, views and serializers name codes
through those enums, never as string literals (``tests/test_error_codes.py`` checks both).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar

from rest_framework import status


class ErrorCode(StrEnum):
    """Base of every app's enum of error codes: each member is the stable string clients match on."""


class CoreErrorCode(ErrorCode):
    INVALID = "invalid"
    MAX_LENGTH = "max_length"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    SERVICE_UNAVAILABLE = "service_unavailable"
    OUT_OF_RANGE = "out_of_range"


class DomainError(Exception):
    """A business rule refused the operation. ``code`` is a stable string clients match on."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = CoreErrorCode.INVALID
    default_detail: str = "The request could not be completed."
    # The keys each error of this kind adds to ``code``, ``detail`` and ``attr``, as OpenAPI properties, and which
    # of them it always carries: the schema documents every 409 from its ConflictError subclass (api.schema_hooks).
    error_fields: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    required_error_fields: ClassVar[tuple[str, ...]] = ()

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
            return [{"code": str(self.code), "detail": self.detail, "attr": self.attr, **e} for e in self.errors]
        return [{"code": str(self.code), "detail": self.detail, "attr": self.attr}]


class NotFoundError(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code: str = CoreErrorCode.NOT_FOUND
    default_detail = "Not found."


class ConflictError(DomainError):
    """A 409. Each code a 409 carries has its own subclass in its app's ``errors`` module (the schema lists them)."""

    status_code = status.HTTP_409_CONFLICT
    code: str = CoreErrorCode.CONFLICT
    default_detail = "The request conflicts with the current state of the resource."


class ServiceUnavailableError(DomainError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code: str = CoreErrorCode.SERVICE_UNAVAILABLE
    default_detail = "A backing service is unavailable; try again shortly."
