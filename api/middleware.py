"""Refuses NUL characters in the path, query string, headers and form fields before any view or query runs.

PostgreSQL stores no NUL in text or JSONB; a NUL that reached a query would be a 500. JSON bodies are checked by
the API's JSON parser (:mod:`api.parsers`), which is where they are decoded.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase, JsonResponse, QueryDict

from api.error_codes import ApiErrorCode
from api.hybrid_middleware import HybridMiddleware

# Multipart bodies are left to the view: uploads may be larger than the in-memory body limit, and both DRF's and
# Django's form CharFields refuse NUL characters themselves.
_FORM_TYPE = "application/x-www-form-urlencoded"


def nul_location(request: HttpRequest) -> str | None:
    """Where the request carries a NUL (a parameter, header or field name), or None when it carries none."""
    if "\x00" in request.path:
        return "path"
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return key.replace("\x00", "")
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
            return key.removeprefix("HTTP_").replace("_", "-").title()
    if request.content_type == _FORM_TYPE and request.method not in ("GET", "HEAD"):
        # Parsed from the body (kept by Django for whoever reads next), not through request.POST: DRF would then
        # take its form data as already parsed and no longer answer 415 to a form sent to a JSON endpoint.
        fields = QueryDict(request.body, encoding=request.encoding)
        for key, values in fields.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return key.replace("\x00", "")
    return None


def nul_refused(location: str) -> JsonResponse:
    return JsonResponse(
        {
            "type": "client_error",
            "errors": [
                {
                    "code": ApiErrorCode.NULL_CHARACTER,
                    "detail": "NUL characters (\\u0000) are not accepted.",
                    "attr": location,
                }
            ],
        },
        status=400,
    )


class NulRefusalMiddleware(HybridMiddleware):
    """First in MIDDLEWARE; sync and async (under ASGI it adds no thread hop, like :mod:`api.static`)."""

    def sync_call(self, request: HttpRequest) -> HttpResponseBase:
        location = nul_location(request)
        if location is not None:
            return nul_refused(location)
        return self.get_response(request)

    async def async_call(self, request: HttpRequest) -> HttpResponseBase:
        location = nul_location(request)
        if location is not None:
            return nul_refused(location)
        return await self.get_response_async(request)
