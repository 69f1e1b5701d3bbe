"""One error envelope for every failure: domain errors, DRF errors, Django 404/500 pages.

Services raise :class:`DomainError` subclasses (plain Python, no HTTP imports needed at the call
site); the DRF exception handler below renders them in drf-standardized-errors' envelope
``{"type", "errors": [{"code", "detail", "attr", ...}]}`` with the error's HTTP status.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from drf_standardized_errors.formatter import ExceptionFormatter
from drf_standardized_errors.handler import ExceptionHandler as BaseExceptionHandler
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework_simplejwt.exceptions import InvalidToken

from api.error_codes import ApiErrorCode
from core.errors import DomainError


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; nothing was changed. Try again shortly."
    default_code = ApiErrorCode.DATABASE_UNAVAILABLE
    wait = 1  # seconds: answered as `Retry-After`


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than the server accepts."
    default_code = ApiErrorCode.REQUEST_TOO_LARGE


class ExceptionHandler(BaseExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, RequestDataTooBig):
            # Django refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE before parsing them; that is the client's
            # doing and deserves its own status, not a generic 500.
            return PayloadTooLarge()
        if isinstance(exc, InvalidToken):
            # simplejwt's dict detail would render as two errors; keep one clear 401.
            return exceptions.AuthenticationFailed("Token is invalid or expired.", code=ApiErrorCode.TOKEN_NOT_VALID)
        if isinstance(exc, exceptions.AuthenticationFailed) and isinstance(exc.detail, dict) and "detail" in exc.detail:
            # simplejwt refuses a malformed Authorization header with a {"detail", "code"} dict, which would render
            # as two errors (`attr: "detail"` and `attr: "code"`): one error carrying its code instead.
            code = exc.detail.get("code", ApiErrorCode.AUTHENTICATION_FAILED)
            return exceptions.AuthenticationFailed(str(exc.detail["detail"]), code=str(code))
        if isinstance(exc, OperationalError | InterfaceError):
            # The database went away mid-request (restart, failover, killed backend): the transaction was
            # rolled back as a whole, so the client may simply retry.
            return DatabaseUnavailable()
        if isinstance(exc, DjangoValidationError):
            # Model/validator errors raised in services are the client's fault: 400, not 500.
            return exceptions.ValidationError(as_serializer_error(exc))
        return super().convert_known_exceptions(exc)

    def run(self) -> Response | None:
        if isinstance(self.exc, DomainError):
            self.set_rollback()
            error_type = "server_error" if self.exc.status_code >= 500 else "client_error"
            return Response(
                {"type": error_type, "errors": self.exc.as_errors()},
                status=self.exc.status_code,
                headers=self.exc.headers,
            )
        return super().run()


def _envelope(exc: exceptions.APIException, request: HttpRequest) -> JsonResponse:
    data = ExceptionFormatter(exc, {"request": request, "view": None}, exc).run()  # type: ignore[typeddict-item]
    return JsonResponse(data, status=exc.status_code)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return _envelope(PayloadTooLarge(), request)
    return _envelope(exceptions.ParseError("Bad request."), request)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _envelope(exceptions.PermissionDenied(), request)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _envelope(exceptions.NotFound(), request)


def server_error(request: HttpRequest) -> HttpResponse:
    return _envelope(exceptions.APIException("Server Error (500)."), request)
