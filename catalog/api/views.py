"""Catalog endpoints: async cached reads (adrf), sync writes.

Public reads (anonymous visitors and customers) share one cache. Managers and admins also see inactive
products, so their reads always come from the database and never populate the shared entries.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

from adrf.viewsets import GenericViewSet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_serializers import ValidationErrorResponseSerializer
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsManagerOrAdmin
from api.schema import DomainErrorResponseSerializer
from api.views import has_credentials
from catalog import selectors, services
from catalog.api.pagination import AsyncPagination
from catalog.api.serializers import (
    CategorySerializer,
    CategoryWriteSerializer,
    ProductImageSerializer,
    ProductSerializer,
    ProductUpdateSerializer,
    ProductWriteSerializer,
)
from catalog.cache import (
    LIST_NAMESPACE,
    CachedBody,
    cached_alias_store,
    cached_body,
    cached_peek,
    detail_key,
    etag_for,
    list_key,
    product_scope,
    raw_list_key,
)
from catalog.filters import ORDERING_CHOICES, product_query_clean
from catalog.models import Category, Product

_renderer = JSONRenderer()

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


def _is_staff_reader(request: Request) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and getattr(user, "is_manager_or_admin", False))


def _canonical(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


class CatalogViewSet(GenericViewSet):
    """Reads for anyone, writes for managers and admins; shared response plumbing for the cached reads."""

    pagination_class = AsyncPagination
    filter_backends: list[type] = []
    lookup_value_converter = "uuid"
    # adrf recomputes this classproperty on every request by scanning every attribute of the class
    # (about 0.5 ms); these viewsets always have async reads, so the answer is fixed.
    view_is_async = True

    def get_permissions(self) -> list[BasePermission]:
        method = self.request.method if self.request is not None else None
        # Reads are public; so is a method no route answers, which then gets its 405 rather than a 401/403.
        if method in ("GET", "HEAD", "OPTIONS") or (method or "").lower() not in self.action_map:
            return [AllowAny()]
        return [IsManagerOrAdmin()]

    async def _read(
        self, request: Request, *, scope: str, key: str, compute: Callable[[], Awaitable[bytes]]
    ) -> CachedBody:
        if _is_staff_reader(request):
            body = await compute()
            return CachedBody(body, etag_for(body), hit=False)
        return await cached_body(scope=scope, key=key, compute=compute)

    async def async_dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        hit = await self._anonymous_hit(request, kwargs)
        if hit is not None:
            return hit
        return await super().async_dispatch(request, *args, **kwargs)

    async def _anonymous_hit(self, request: HttpRequest, kwargs: dict[str, Any]) -> HttpResponseBase | None:
        """Serve a cached public response before authentication, permissions and throttling.

        Only for anonymous JSON GETs that hit: a hit costs one Redis round trip, less than the throttle's own
        bookkeeping. Misses, signed-in users and the browsable API take the normal DRF path (which throttles).
        """
        if (
            request.method not in ("GET", "HEAD")
            or has_credentials(request)
            or "text/html" in request.headers.get("Accept", "")
        ):
            return None
        action = self.action_map.get("get")
        # Only list pages carry absolute next/previous links; a detail hit needs no origin.
        origin = request.build_absolute_uri("/") if action == "alist" else ""
        alias = self._raw_alias(action, request.GET, origin)
        if alias is not None and (cached := await cached_peek(scope=LIST_NAMESPACE, key=alias)) is not None:
            return self._hit_response(request, cached, with_etag=False)
        try:
            location = self._cache_location(action, request.GET, origin, kwargs)
        except ValidationError:
            # An invalid page or page_size: the DRF path below answers the 400 in the envelope.
            return None
        if location is None:
            return None
        scope, key, with_etag = location
        cached = await cached_peek(scope=scope, key=key)
        if cached is None:
            return None
        return self._hit_response(request, cached, with_etag=with_etag)

    def _hit_response(self, request: HttpRequest, cached: CachedBody, *, with_etag: bool) -> HttpResponseBase:
        response = self._respond(request, cached, with_etag=with_etag)
        response["Allow"] = ", ".join(self.allowed_methods)
        response["Vary"] = "Accept, Authorization"
        return response

    def _raw_alias(self, action: str | None, params: QueryDict, origin: str) -> str | None:
        """Key of a list page by its query string as sent: a hit skips validating the filters."""
        return None

    def _cache_location(
        self, action: str | None, params: QueryDict, origin: str, kwargs: dict[str, Any]
    ) -> tuple[str, str, bool] | None:
        """(scope, key, with_etag) of the public cache entry answering this read, or None if it has none."""
        return None

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

    def _list_key(self, params: QueryDict, origin: str, cleaned: dict[str, Any], *, resource: str) -> str:
        paginator = self.paginator
        assert isinstance(paginator, AsyncPagination)
        parts = [(name, _canonical(value)) for name, value in cleaned.items()]
        parts += [
            ("page", paginator.page_number(params)),
            ("page_size", str(paginator.page_size_for(params))),
            # next/previous links are absolute URLs.
            ("origin", origin),
        ]
        return list_key(parts, resource=resource)


# Limits as ProductFilter enforces them (empty values are ignored, so each also admits "").
_PRICE_BOUND = {"type": "string", "pattern": r"^(\d{1,10}(\.\d{1,4})?)?$", "example": "49.90"}
_FILTER_VALUES = {"type": "array", "maxItems": 20, "items": {"type": "string", "maxLength": 200}}
_PRODUCT_LIST_PARAMETERS = [
    OpenApiParameter(
        "search",
        {"type": "string", "maxLength": 200},
        description="Full-text search (websearch syntax: quotes, OR, -word).",
    ),
    OpenApiParameter(
        "category",
        {"oneOf": [{"type": "string", "format": "uuid"}, {"type": "string", "maxLength": 0}]},
        description="Category id; includes all its descendants.",
    ),
    OpenApiParameter("min_price", _PRICE_BOUND, description="Decimal, ≥ 0."),
    OpenApiParameter("max_price", _PRICE_BOUND, description="Decimal, ≥ 0."),
    OpenApiParameter("color", _FILTER_VALUES, explode=True, description="Any of (repeat or comma; at most 20 values)."),
    OpenApiParameter("size", _FILTER_VALUES, explode=True, description="Any of (repeat or comma; at most 20 values)."),
    OpenApiParameter(
        "attr",
        {
            "type": "array",
            "maxItems": 20,
            "items": {"type": "string", "pattern": r"^[A-Za-z0-9_\-]{1,64}:.{1,200}$"},
        },
        explode=True,
        description="`name:value`, repeatable: values of one name are OR-ed, different names AND-ed.",
    ),
    OpenApiParameter("in_stock", OpenApiTypes.BOOL),
    OpenApiParameter(
        "ordering",
        str,
        enum=[choice for choice, _ in ORDERING_CHOICES],
        description="Default: `relevance` with `search`, else `-created_at`.",
    ),
]


class ProductViewSet(CatalogViewSet):
    queryset = Product.objects.all()
    serializer_class = ProductSerializer

    def _raw_alias(self, action: str | None, params: QueryDict, origin: str) -> str | None:
        return raw_list_key(params.lists(), origin=origin, resource="products") if action == "alist" else None

    def _cache_location(
        self, action: str | None, params: QueryDict, origin: str, kwargs: dict[str, Any]
    ) -> tuple[str, str, bool] | None:
        if action == "aretrieve":
            pk = kwargs["pk"]
            return product_scope(pk), detail_key(resource="products", pk=pk), True
        if action == "alist":
            cleaned = product_query_clean(params)
            if cleaned is None:
                return None
            return LIST_NAMESPACE, self._list_key(params, origin, cleaned, resource="products"), False
        return None

    async def _product_page(self, search: selectors.ProductSearch, request: Request) -> bytes:
        paginator = self.paginator
        assert isinstance(paginator, AsyncPagination)
        queryset = search.queryset
        count = await queryset.acount()
        if count == 0 and search.fallback is not None:
            queryset = search.fallback
            count = await queryset.acount()
        rows = await paginator.apaginate(queryset, request, count=count)
        return _renderer.render(paginator.page_data(ProductSerializer(rows, many=True).data))

    @extend_schema(
        summary="List products",
        parameters=[*_PRODUCT_LIST_PARAMETERS, X_CACHE],
        responses={200: ProductSerializer(many=True), 400: ValidationErrorResponseSerializer},
    )
    async def alist(self, request: Request) -> HttpResponseBase:
        staff = _is_staff_reader(request)
        search = selectors.product_search(params=request.query_params, include_inactive=staff)
        origin = request.build_absolute_uri("/")
        cached = await self._read(
            request,
            scope=LIST_NAMESPACE,
            key=self._list_key(request.query_params, origin, search.cleaned, resource="products"),
            compute=lambda: self._product_page(search, request),
        )
        alias = self._raw_alias("alist", request.query_params, origin)
        if not staff and alias is not None:
            await cached_alias_store(key=alias, cached=cached)
        return self._respond(request, cached, with_etag=False)

    @extend_schema(
        summary="Get a product",
        parameters=[X_CACHE, ETAG, IF_NONE_MATCH],
        responses={200: ProductSerializer, 304: OpenApiResponse(description="Not modified (If-None-Match)")},
    )
    async def aretrieve(self, request: Request, pk: UUID) -> HttpResponseBase:
        staff = _is_staff_reader(request)

        async def compute() -> bytes:
            product = await selectors.product_get(product_id=pk, include_inactive=staff)
            if product is None:
                raise NotFound()
            return _renderer.render(ProductSerializer(product).data)

        scope, key, _ = self._cache_location("aretrieve", request.query_params, "", {"pk": pk}) or ("", "", True)
        cached = await self._read(request, scope=scope, key=key, compute=compute)
        return self._respond(request, cached, with_etag=True)

    @extend_schema(summary="Create a product", request=ProductWriteSerializer, responses={201: ProductSerializer})
    def create(self, request: Request) -> Response:
        serializer = ProductWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        stock = data.pop("stock_quantity", 0)
        product = services.product_create(data=data, stock_quantity=stock, actor=request.user)  # type: ignore[arg-type]
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update a product",
        description="`stock_quantity` is refused (400, code `read_only`): use `POST inventory/{id}/adjust/`.",
        request=ProductUpdateSerializer,
        responses={200: ProductSerializer},
    )
    def partial_update(self, request: Request, pk: UUID) -> Response:
        serializer = ProductUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        product = services.product_update(product_id=pk, data=serializer.validated_data)
        return Response(ProductSerializer(product).data)

    @extend_schema(
        summary="Delete a product",
        description="A product that orders reference is deactivated (hidden from the public) instead of deleted.",
        responses={204: None},
    )
    def destroy(self, request: Request, pk: UUID) -> Response:
        services.product_delete(product_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Upload a product image",
        description="Stores the original (≤ 5 MB, a real image); thumbnails are made in the background.",
        request={"multipart/form-data": ProductImageSerializer},
        responses={202: ProductSerializer},
    )
    def upload_image(self, request: Request, pk: UUID) -> Response:
        serializer = ProductImageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.product_image_set(product_id=pk, image=serializer.validated_data["image"])
        return Response(ProductSerializer(product).data, status=status.HTTP_202_ACCEPTED)


class CategoryViewSet(CatalogViewSet):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer

    def _cache_location(
        self, action: str | None, params: QueryDict, origin: str, kwargs: dict[str, Any]
    ) -> tuple[str, str, bool] | None:
        if action == "aretrieve":
            return LIST_NAMESPACE, detail_key(resource="categories", pk=kwargs["pk"]), True
        if action == "alist":
            return LIST_NAMESPACE, self._list_key(params, origin, {}, resource="categories"), False
        return None

    @extend_schema(summary="List categories", parameters=[X_CACHE], responses={200: CategorySerializer(many=True)})
    async def alist(self, request: Request) -> HttpResponseBase:
        paginator = self.paginator
        assert isinstance(paginator, AsyncPagination)

        async def compute() -> bytes:
            queryset = selectors.category_queryset()
            rows = await paginator.apaginate(queryset, request, count=await queryset.acount())
            return _renderer.render(paginator.page_data(CategorySerializer(rows, many=True).data))

        key = self._list_key(request.query_params, request.build_absolute_uri("/"), {}, resource="categories")
        cached = await self._read(request, scope=LIST_NAMESPACE, key=key, compute=compute)
        return self._respond(request, cached, with_etag=False)

    @extend_schema(
        summary="Get a category",
        parameters=[X_CACHE, ETAG, IF_NONE_MATCH],
        responses={200: CategorySerializer, 304: OpenApiResponse(description="Not modified (If-None-Match)")},
    )
    async def aretrieve(self, request: Request, pk: UUID) -> HttpResponseBase:
        async def compute() -> bytes:
            category = await selectors.category_get(category_id=pk)
            if category is None:
                raise NotFound()
            return _renderer.render(CategorySerializer(category).data)

        cached = await self._read(
            request, scope=LIST_NAMESPACE, key=detail_key(resource="categories", pk=pk), compute=compute
        )
        return self._respond(request, cached, with_etag=True)

    @extend_schema(summary="Create a category", request=CategoryWriteSerializer, responses={201: CategorySerializer})
    def create(self, request: Request) -> Response:
        serializer = CategoryWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = services.category_create(**serializer.validated_data)
        return Response(CategorySerializer(category).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Update or move a category",
        description="Moving a category under itself or a descendant is a 400 `category_cycle`.",
        request=CategoryWriteSerializer,
        responses={200: CategorySerializer},
    )
    def partial_update(self, request: Request, pk: UUID) -> Response:
        serializer = CategoryWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        category = services.category_update(category_id=pk, data=serializer.validated_data)
        return Response(CategorySerializer(category).data)

    @extend_schema(
        summary="Delete a category",
        responses={204: None, 409: OpenApiResponse(DomainErrorResponseSerializer, description="`category_in_use`")},
    )
    def destroy(self, request: Request, pk: UUID) -> Response:
        services.category_delete(category_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
