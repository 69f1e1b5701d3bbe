"""Request ids: every request gets one, every log line of it carries it, the response returns it.

The id is the ``X-Request-ID`` header when a trusted proxy (``TRUSTED_PROXIES``, :mod:`api.client_ip`) sends one
that looks like an id (at most 128 letters, digits and ``._:-``); otherwise a new one. It is bound to the log
context for the whole request (:mod:`core.logging`; with the user's id once authenticated), answered as
``X-Request-ID``, written on the outbox rows the request adds and sent along with the Celery tasks it causes
(:mod:`core.task_context`), whose log lines carry it too.
"""

from __future__ import annotations

import re
import uuid

import structlog
from django.http import HttpRequest, HttpResponseBase

from api.client_ip import from_trusted_proxy
from api.hybrid_middleware import HybridMiddleware
from core.logging import request_bound

HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_for(request: HttpRequest) -> str:
    sent = request.META.get("HTTP_X_REQUEST_ID")
    if sent and _ACCEPTED.fullmatch(sent) and from_trusted_proxy(request):
        return str(sent)
    return uuid.uuid4().hex


class RequestIdMiddleware(HybridMiddleware):
    """Second in MIDDLEWARE (after the metrics); sync and async, with no thread hop under ASGI. Under ASGI each
    request runs in a context of its own, and sync code it calls gets a copy: the id never leaks between requests.
    """

    def sync_call(self, request: HttpRequest) -> HttpResponseBase:
        # A thread serves one request after another under WSGI: nothing bound for the previous one may remain.
        structlog.contextvars.clear_contextvars()
        request.request_id = request_id = request_id_for(request)  # type: ignore[attr-defined]
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            with request_bound(request):
                response: HttpResponseBase = self.get_response(request)
        finally:
            structlog.contextvars.clear_contextvars()
        response[HEADER] = request_id
        return response

    async def async_call(self, request: HttpRequest) -> HttpResponseBase:
        request.request_id = request_id = request_id_for(request)  # type: ignore[attr-defined]
        with structlog.contextvars.bound_contextvars(request_id=request_id), request_bound(request):
            response = await self.get_response_async(request)
        response[HEADER] = request_id
        return response
