"""Catalog endpoints: cached async reads (adrf), sync writes.

The views declare what they serve (``list_query``, ``detail_get``); ``catalog.api.caching`` caches it.
"""

from __future__ import annotations

from uuid import UUID

from django.http import HttpResponseBase, QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_serializers import ValidationErrorResponseSerializer
from rest_framework import status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsManagerOrAdmin
from api.schema import DomainErrorResponseSerializer
from catalog import selectors, services
from catalog.api.caching import ETAG, IF_NONE_MATCH, X_CACHE, CachedReadViewSet, PageQuery
from catalog.api.pagination import PageSource
from catalog.api.serializers import (
    CategorySerializer,
    CategoryWriteSerializer,
    ProductImageSerializer,
    ProductSerializer,
    ProductUpdateSerializer,
    ProductWriteSerializer,
)
from catalog.cache import product_scope
from catalog.filters import ORDERING_CHOICES
from catalog.models import Category, Product


class CatalogViewSet(CachedReadViewSet):
    """Reads for anyone (cached), writes for managers and admins."""

    filter_backends: list[type] = []
    lookup_value_converter = "uuid"

    def get_permissions(self) -> list[BasePermission]:
        method = self.request.method if self.request is not None else None
        # Reads are public; so is a method no route answers, which then gets its 405 rather than a 401/403.
        if method in ("GET", "HEAD", "OPTIONS") or (method or "").lower() not in self.action_map:
            return [AllowAny()]
        return [IsManagerOrAdmin()]


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

    cache_resource = "products"
    cache_metric_name = "product"
    cache_raw_query = True

    def list_query(self, params: QueryDict, *, staff: bool) -> PageQuery:
        search = selectors.product_search(params=params, include_inactive=staff)
        fallback = PageSource(search.fallback) if search.fallback is not None else None
        source = PageSource(
            search.queryset,
            counted=search.counted,
            window=search.window,
            fallback=fallback,
            ids_first=search.ids_first,
            counted_attr=search.counted_attr,
        )
        return PageQuery(source, search.cleaned)

    async def detail_get(self, pk: UUID, *, staff: bool) -> Product | None:
        return await selectors.product_get(product_id=pk, include_inactive=staff)

    def detail_scope(self, pk: UUID) -> str:
        return product_scope(pk)

    @extend_schema(
        summary="List products",
        parameters=[*_PRODUCT_LIST_PARAMETERS, X_CACHE],
        responses={200: ProductSerializer(many=True), 400: ValidationErrorResponseSerializer},
    )
    async def list(self, request: Request) -> HttpResponseBase:
        return await self.cached_list(request)

    @extend_schema(
        summary="Get a product",
        parameters=[X_CACHE, ETAG, IF_NONE_MATCH],
        responses={200: ProductSerializer, 304: OpenApiResponse(description="Not modified (If-None-Match)")},
    )
    async def retrieve(self, request: Request, pk: UUID) -> HttpResponseBase:
        return await self.cached_detail(request, pk)

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

    cache_resource = "categories"
    cache_metric_name = "category"

    def list_query(self, params: QueryDict, *, staff: bool) -> PageQuery:
        return PageQuery(PageSource(selectors.category_queryset()))

    async def detail_get(self, pk: UUID, *, staff: bool) -> Category | None:
        return await selectors.category_get(category_id=pk)

    @extend_schema(summary="List categories", parameters=[X_CACHE], responses={200: CategorySerializer(many=True)})
    async def list(self, request: Request) -> HttpResponseBase:
        return await self.cached_list(request)

    @extend_schema(
        summary="Get a category",
        parameters=[X_CACHE, ETAG, IF_NONE_MATCH],
        responses={200: CategorySerializer, 304: OpenApiResponse(description="Not modified (If-None-Match)")},
    )
    async def retrieve(self, request: Request, pk: UUID) -> HttpResponseBase:
        return await self.cached_detail(request, pk)

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
