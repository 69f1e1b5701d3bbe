"""The cache protocol of the public catalog reads, in one place: views declare what they serve, this base caches it.

A view built on :class:`CachedReadViewSet` declares
- ``cache_resource``: the name its keys live under (``products``, ``categories``);
- ``list_query(params, staff=...)``: the validated query of a list page (400 on a bad value) as a
  :class:`PageQuery`: where its rows come from (a :class:`PageSource`: the ordered rows, what to count, an
  optional fallback for an empty result) and the filters that key the page;
- ``detail_get(pk, staff=...)``: the object of a detail page, or None (404);
- ``detail_scope(pk)``: the generation a detail belongs to (default: the lists' namespace);
- ``cache_raw_query = True`` to also key list pages by the query string as sent, so a hit skips validating it;

and routes ``list``/``retrieve`` to :meth:`CachedReadViewSet.cached_list` / :meth:`CachedReadViewSet.cached_detail`.

What this base does with that, for every such view:
- Bodies are rendered once to JSON bytes and kept by ``catalog.cache`` (generations, single flight, fail-open).
- Public reads (anonymous visitors and customers) share one cache. Managers and admins also see inactive
  products, so their reads always come from the database and never populate the shared entries.
- Responses say ``X-Cache: HIT|MISS`` and ``Vary: Authorization``; details carry an ``ETag`` and answer a
  matching ``If-None-Match`` with 304 and no body; the browsable API renders the stored JSON.
- Anonymous JSON GETs that hit are answered before authentication, permissions and throttling (one Redis round
  trip, less than the throttle's own bookkeeping); misses, signed-in users and the browsable API take the normal
  DRF path, which throttles.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from adrf.viewsets import GenericViewSet
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.views import has_credentials
from catalog import metrics
from catalog.api.pagination import AsyncPagination, PageSource
from catalog.cache import (
    LIST_NAMESPACE,
    CachedBody,
    cached_alias_store,
    cached_body,
    cached_peek,
    detail_key,
    etag_for,
    list_key,
    raw_list_key,
)

_renderer = JSONRenderer()

# The response headers and the request header of the protocol, as the views' schemas document them.
X_CACHE = OpenApiParameter(
    "X-Cache",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    enum=["HIT", "MISS"],
    description="Whether the body came from the cache.",
)
ETAG = OpenApiParameter(
    "ETag", str, OpenApiParameter.HEADER, response=[200, 304], description="Send back as If-None-Match."
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="The `ETag` of a copy you hold: 304 with no body while it is current.",
)


@dataclass(frozen=True)
class PageQuery:
    """A validated list query: ``source`` says what its pages are read from (nothing is evaluated yet)."""

    source: PageSource
    # The validated, normalised filters: with the page, page size and origin they key the cached page.
    filters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Entry:
    """Where the public cache keeps one response."""

    scope: str
    key: str
    with_etag: bool


def is_anonymous_json_read(request: HttpRequest) -> bool:
    """An anonymous GET or HEAD not asking for the browsable API: what a cached public response may answer."""
    return (
        request.method in ("GET", "HEAD")
        and not has_credentials(request)
        and "text/html" not in request.META.get("HTTP_ACCEPT", "")
    )


def _is_staff_reader(request: Request) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and getattr(user, "is_manager_or_admin", False))


def _canonical(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


class CachedReadViewSet(GenericViewSet):
    """Cached async reads (``cached_list``, ``cached_detail``) of what a subclass declares (see the module)."""

    pagination_class = AsyncPagination
    # adrf recomputes this classproperty on every request by scanning every attribute of the class
    # (about 0.5 ms); these viewsets always have async reads, so the answer is fixed.
    view_is_async = True

    cache_resource: ClassVar[str]
    cache_raw_query: ClassVar[bool] = False
    # The singular of the resource in metric labels: ``product`` -> ``product_detail``, ``product_list``.
    cache_metric_name: ClassVar[str]
    # The anonymous list query validated while looking for a hit, reused by the miss that follows.
    _anonymous_query: PageQuery | None = None

    # What a view declares.

    def list_query(self, params: QueryDict, *, staff: bool) -> PageQuery:
        raise NotImplementedError

    async def detail_get(self, pk: UUID, *, staff: bool) -> Model | None:
        raise NotImplementedError

    def detail_scope(self, pk: UUID) -> str:
        return LIST_NAMESPACE

    def cache_view_label(self) -> str | None:
        """This route's ``view`` label in the cache metrics (``product_detail``...), None for other actions."""
        action = self.action_map.get("get")
        kind = {"retrieve": "detail", "list": "list"}.get(action or "")
        return f"{self.cache_metric_name}_{kind}" if kind else None

    def _count(self, cached: CachedBody) -> None:
        view = self.cache_view_label()
        if view is not None:
            metrics.cache_request_counted(view, hit=cached.hit)

    # The reads.

    async def cached_list(self, request: Request) -> HttpResponseBase:
        staff = _is_staff_reader(request)
        query = self._anonymous_query if self._anonymous_query is not None and not staff else None
        query = query or self.list_query(request.query_params, staff=staff)
        origin = request.build_absolute_uri("/")
        entry = self._list_entry(request.query_params, origin, query)
        cached = await self._read(request, entry, staff=staff, compute=lambda: self._page_body(query, request))
        if self.cache_raw_query and not staff:
            await cached_alias_store(key=self._raw_key(request.query_params, origin), cached=cached)
        return self._respond(request, cached, with_etag=False)

    async def cached_detail(self, request: Request, pk: UUID) -> HttpResponseBase:
        staff = _is_staff_reader(request)

        async def compute() -> bytes:
            instance = await self.detail_get(pk, staff=staff)
            if instance is None:
                raise NotFound()
            return _renderer.render(self._serializer_class()(instance).data)

        cached = await self._read(request, self._detail_entry(pk), staff=staff, compute=compute)
        return self._respond(request, cached, with_etag=True)

    async def async_dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if is_anonymous_json_read(request):
            hit = await self._anonymous_hit(request, kwargs)
            if hit is not None:
                return hit
        return await super().async_dispatch(request, *args, **kwargs)

    # The protocol.

    def anonymous_entry(
        self, request: HttpRequest, kwargs: Mapping[str, Any], *, raw: bool, remember: bool = False
    ) -> _Entry | None:
        """Where the public response to an anonymous read of this route is kept, or None when it has none.

        ``raw``: for a list whose view keys pages by their query string as sent (``cache_raw_query``), that key,
        checked before validating; otherwise the key of the validated query (None when it does not validate:
        the DRF path answers the 400). The pure-ASGI fast path (:mod:`catalog.api.fastpath`) asks the same.
        ``remember``: keep the validated query on this view for the miss that may follow (only for a view
        instance that serves this one request).
        """
        action = self.action_map.get("get")
        if action == "retrieve":
            return self._detail_entry(kwargs["pk"])
        if action != "list":
            return None
        # Only list pages carry absolute next/previous links; a detail needs no origin.
        origin = request.build_absolute_uri("/")
        if raw and self.cache_raw_query:
            return _Entry(LIST_NAMESPACE, self._raw_key(request.GET, origin), with_etag=False)
        try:
            query = self.list_query(request.GET, staff=False)
            entry = self._list_entry(request.GET, origin, query)
        except ValidationError:
            return None
        if remember:
            self._anonymous_query = query
        return entry

    async def _anonymous_hit(self, request: HttpRequest, kwargs: dict[str, Any]) -> HttpResponseBase | None:
        """The cached public response to an anonymous JSON GET, or None to take the normal path."""
        raw = None
        if self.cache_raw_query and self.action_map.get("get") == "list":
            raw = self.anonymous_entry(request, kwargs, raw=True)
            assert raw is not None
            cached = await cached_peek(scope=raw.scope, key=raw.key)
            if cached is not None:
                return self._hit_response(request, cached, with_etag=False)
        entry = self.anonymous_entry(request, kwargs, raw=False, remember=True)
        if entry is None:
            return None
        cached = await cached_peek(scope=entry.scope, key=entry.key)
        if cached is None:
            return None
        if raw is not None:
            # Keep the page under the query as sent too, so the next identical request hits without validating
            # (which is also the only list key the pure-ASGI fast path reads).
            await cached_alias_store(key=raw.key, cached=cached)
        return self._hit_response(request, cached, with_etag=entry.with_etag)

    def _list_entry(self, params: QueryDict, origin: str, query: PageQuery) -> _Entry:
        pagination = self._pagination()
        parts = [(name, _canonical(value)) for name, value in query.filters.items()]
        parts += [
            ("page", pagination.page_number(params)),
            ("page_size", str(pagination.page_size_for(params))),
            # next/previous links are absolute URLs.
            ("origin", origin),
        ]
        return _Entry(LIST_NAMESPACE, list_key(parts, resource=self.cache_resource), with_etag=False)

    def _detail_entry(self, pk: UUID) -> _Entry:
        return _Entry(self.detail_scope(pk), detail_key(resource=self.cache_resource, pk=pk), with_etag=True)

    def _raw_key(self, params: QueryDict, origin: str) -> str:
        """The key of a list page by its query string as sent, checked before validating it."""
        return raw_list_key(params.lists(), origin=origin, resource=self.cache_resource)

    async def _read(
        self, request: Request, entry: _Entry, *, staff: bool, compute: Callable[[], Awaitable[bytes]]
    ) -> CachedBody:
        if staff:
            body = await compute()
            return CachedBody(body, etag_for(body), hit=False)
        cached = await cached_body(scope=entry.scope, key=entry.key, compute=compute)
        self._count(cached)
        return cached

    async def _page_body(self, query: PageQuery, request: Request) -> bytes:
        pagination = self._pagination()
        rows = await pagination.apaginate(query.source, request)
        return _renderer.render(pagination.page_data(self._serializer_class()(rows, many=True).data))

    def _hit_response(self, request: HttpRequest, cached: CachedBody, *, with_etag: bool) -> HttpResponseBase:
        self._count(cached)
        response = self._respond(request, cached, with_etag=with_etag)
        response["Allow"] = ", ".join(self.allowed_methods)
        # As DRF's finalize_response leaves it on the normal path: a hit reads the same whichever path served it.
        response["Vary"] = "Authorization, Accept"
        return response

    def _respond(self, request: HttpRequest, cached: CachedBody, *, with_etag: bool) -> HttpResponseBase:
        headers = {"X-Cache": "HIT" if cached.hit else "MISS", "Vary": "Authorization"}
        if with_etag:
            headers["ETag"] = cached.etag
            if cached.etag in request.headers.get("If-None-Match", ""):
                response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
                for name, value in headers.items():
                    response[name] = value
                return response
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is not None and renderer.format != "json":
            # Browsable API: render the stored JSON through the negotiated renderer.
            return Response(json.loads(cached.body), headers=headers)
        response = HttpResponse(cached.body, content_type="application/json")
        for name, value in headers.items():
            response[name] = value
        return response

    def _pagination(self) -> AsyncPagination:
        paginator = self.paginator
        assert isinstance(paginator, AsyncPagination)
        return paginator

    def _serializer_class(self) -> Any:
        # Rendered without a request: cached bodies must not depend on who asked (media URLs stay paths).
        return self.serializer_class
