"""Cached anonymous catalog reads answered in front of Django: a pure-ASGI layer around Django's application.

Written here rather than taken from a library: it must read this project's own cache entries under its own
generation protocol (:mod:`catalog.cache`) and answer exactly what the Django path answers.

For an anonymous ``GET``/``HEAD`` of a cached catalog read (product detail, product list, category list and
detail) the layer asks the route's own view which entry holds the public response
(:meth:`catalog.api.caching.CachedReadViewSet.anonymous_entry`) and reads generation and entry in one Redis round
trip (:func:`catalog.cache.cached_peek`, the Django path's own read). On a hit it answers the stored body without
entering Django. Everything else goes to Django unchanged: other methods and scopes (lifespan, websocket),
credentials (an ``Authorization`` header, a session cookie), the browsable API, a NUL anywhere, a host Django
refuses, a list query it would have to validate (product lists are looked up by their query string as sent; the
Django path keeps that alias for every page it serves), a miss, and Redis down or slow (fail open).

Headers: the layer writes none of its own. The headers of a hit are those Django answered to the last request of
the same shape (route, method, status, scheme, host, ``Origin``) that it served from the cache: the whole
middleware stack's (security, CORS, request id, ...) plus the view's (``X-Cache: HIT``, ``Vary``, ``Allow``...).
Until Django has answered such a hit in this process the layer passes the request through, so a change in the
middleware stack changes what the layer answers with it. Only the values that belong to one answer are replaced:
``ETag`` and ``Content-Length`` (from the entry) and ``X-Request-ID`` (by :func:`api.request_id.request_id_for`,
the middleware's own rule). A shape whose answer sets a cookie is never replayed.

Metrics: a hit is counted as the middleware counts requests (``http_requests_total`` and its latency, by route
template) and as a ``catalog_cache_requests_total{result="hit"}`` of its view.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from functools import lru_cache
from time import perf_counter
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.urls import Resolver404, resolve

from api.metrics import request_observe, route_template
from api.middleware import nul_location
from api.request_id import HEADER as REQUEST_ID_HEADER
from api.request_id import request_id_for
from catalog import metrics
from catalog.api.caching import CachedReadViewSet, is_anonymous_json_read
from catalog.cache import CachedBody, cached_peek

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Django's ASGIHandler types its arguments more narrowly than the ASGI spec; any ASGI application will do.
ASGIApp = Callable[..., Awaitable[None]]

# (view label, method, scheme, host, Origin): what the headers of Django's answer may depend on.
Shape = tuple[str, str, str, str, str | None]
_TEMPLATES_MAX = 4096
_PER_ANSWER = frozenset({b"etag", b"content-length", REQUEST_ID_HEADER.lower().encode()})


class _Route:
    """A cached catalog read that ``resolve`` found: its view (for the cache protocol) and metric labels."""

    __slots__ = ("kwargs", "route", "view", "view_label")

    def __init__(self, view: CachedReadViewSet, view_label: str, route: str, kwargs: dict[str, Any]) -> None:
        self.view = view
        self.view_label = view_label
        self.route = route
        self.kwargs = kwargs


@lru_cache(maxsize=8192)
def _resolved(urlconf: str, path_info: str) -> tuple[type[CachedReadViewSet], dict[str, str], str, Any] | None:
    """The viewset, actions, route template and kwargs of ``path_info`` when it is a cached read, else None."""
    try:
        match = resolve(path_info, urlconf)
    except Resolver404:
        return None
    cls = getattr(match.func, "cls", None)
    actions = getattr(match.func, "actions", None)
    if not (isinstance(cls, type) and issubclass(cls, CachedReadViewSet) and actions):
        return None
    if actions.get("get") not in ("list", "retrieve"):
        return None
    return cls, dict(actions), route_template(match.route), tuple(match.kwargs.items())


def _route(request: ASGIRequest) -> _Route | None:
    # Django's handler resolves with ROOT_URLCONF unless a middleware sets request.urlconf (none here does).
    resolved = _resolved(settings.ROOT_URLCONF, request.path_info)
    if resolved is None:
        return None
    cls, actions, route, kwargs = resolved
    view = cls()
    view.action_map = actions
    view.request = None  # the cache protocol reads the Django request it is given
    label = view.cache_view_label()
    if label is None:
        return None
    return _Route(view, label, route, dict(kwargs))


class CatalogFastPath:
    """ASGI middleware: ``CatalogFastPath(django_asgi_application)`` (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.templates: dict[tuple[Shape, int], _Template] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or not settings.CATALOG_FAST_PATH:
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        try:
            read = await self._read(scope)
        except Exception:  # never fail a request Django would answer: log the fault and let Django answer
            logger.exception("Catalog fast path failed; passing the request to Django.")
            read = None
        if read is None:
            await self.app(scope, receive, send)
            return
        shape, route, request, with_etag, cached = read
        if cached is None:
            await self.app(scope, receive, self._learning(shape, send))
            return
        # As the Django path decides (CachedReadViewSet._respond).
        status = 304 if with_etag and cached.etag in request.META.get("HTTP_IF_NONE_MATCH", "") else 200
        template = self.templates.get((shape, status))
        if template is None:
            await self.app(scope, receive, self._learning(shape, send))
            return
        body = b"" if status == 304 else cached.body
        headers = template.answer(request, cached, body)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        metrics.cache_request_counted(route.view_label, hit=True)
        if settings.METRICS_ENABLED:
            request_observe(route.route, shape[1], status, perf_counter() - started)

    async def _read(self, scope: Scope) -> tuple[Shape, _Route, ASGIRequest, bool, CachedBody | None] | None:
        """What the request is and what the cache holds for it, or None when it is not the layer's to answer."""
        request = ASGIRequest(scope, io.BytesIO())
        if not is_anonymous_json_read(request) or nul_location(request) is not None:
            return None
        route = _route(request)
        if route is None:
            return None
        try:
            host = request.get_host()
        except DisallowedHost:
            return None
        entry = route.view.anonymous_entry(request, route.kwargs, raw=True)
        if entry is None:
            return None
        meta = request.META
        shape: Shape = (route.view_label, str(request.method), str(request.scheme), host, meta.get("HTTP_ORIGIN"))
        return shape, route, request, entry.with_etag, await cached_peek(scope=entry.scope, key=entry.key)

    def _learning(self, shape: Shape, send: Send) -> Send:
        """``send``, keeping the headers of Django's answer when it is a cache hit (the template of this shape)."""

        async def learning_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(bytes(name), bytes(value)) for name, value in message.get("headers", [])]
                status = int(message["status"])
                if (
                    status in (200, 304)
                    and (b"X-Cache", b"HIT") in headers
                    and not any(name.lower() == b"set-cookie" for name, _ in headers)
                ):
                    if len(self.templates) >= _TEMPLATES_MAX:
                        self.templates.clear()
                    self.templates[shape, status] = _Template(headers)
            await send(message)

        return learning_send


class _Template:
    """The headers Django answered for one shape and status, and where this answer's own values go."""

    __slots__ = ("headers", "per_answer")

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        self.headers = headers
        lowered = [name.lower() for name, _ in headers]
        self.per_answer = [(index, name) for index, name in enumerate(lowered) if name in _PER_ANSWER]

    def answer(self, request: ASGIRequest, cached: CachedBody, body: bytes) -> list[tuple[bytes, bytes]]:
        headers = list(self.headers)
        for index, name in self.per_answer:
            if name == b"etag":
                value = cached.etag.encode()
            elif name == b"content-length":
                value = str(len(body)).encode()
            else:
                value = request_id_for(request).encode()
            headers[index] = (headers[index][0], value)
        return headers
