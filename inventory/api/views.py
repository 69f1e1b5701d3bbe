from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsManagerOrAdmin
from api.schema import DomainErrorResponseSerializer
from catalog.models import Product
from inventory import selectors, services
from inventory.api.serializers import (
    LowStockProductSerializer,
    LowStockQuerySerializer,
    StockAdjustInputSerializer,
    StockAdjustOutputSerializer,
    StockMovementSerializer,
)
from inventory.models import StockMovement


class StockAdjustView(GenericAPIView[StockMovement]):
    permission_classes = [IsManagerOrAdmin]
    serializer_class = StockAdjustInputSerializer

    @extend_schema(
        summary="Adjust or restock one product",
        request=StockAdjustInputSerializer,
        responses={200: StockAdjustOutputSerializer, 409: DomainErrorResponseSerializer},
        description="409 `stock_conflict` when `expected_quantity` differs from the current stock; "
        "409 `insufficient_stock` when the result would be negative.",
    )
    def post(self, request: Request, product_id: UUID) -> Response:
        serializer = StockAdjustInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        movement = services.stock_adjust(product_id=product_id, actor=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return Response(
            StockAdjustOutputSerializer(
                {"product_id": product_id, "stock_quantity": movement.product.stock_quantity, "movement": movement}
            ).data
        )


class StockMovementListView(GenericAPIView[StockMovement]):
    permission_classes = [IsManagerOrAdmin]
    serializer_class = StockMovementSerializer
    queryset = StockMovement.objects.none()  # schema generation only; rows come from the selector

    @extend_schema(summary="Stock ledger of one product", responses={200: StockMovementSerializer(many=True)})
    def get(self, request: Request, product_id: UUID) -> Response:
        page = self.paginate_queryset(selectors.stock_movement_list(product_id=product_id))
        return self.get_paginated_response(StockMovementSerializer(page, many=True).data)


class LowStockListView(GenericAPIView[Product]):
    permission_classes = [IsManagerOrAdmin]
    serializer_class = LowStockProductSerializer
    queryset = Product.objects.none()  # schema generation only; rows come from the selector

    @extend_schema(
        summary="Products at or below a stock threshold",
        parameters=[
            OpenApiParameter(
                "threshold",
                {"type": "integer", "minimum": 0},
                description="Defaults to each product's own low-stock threshold.",
                required=False,
            )
        ],
        responses={200: LowStockProductSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        query = LowStockQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        products = selectors.low_stock_product_list(threshold=query.validated_data.get("threshold"))
        page = self.paginate_queryset(products)
        return self.get_paginated_response(LowStockProductSerializer(page, many=True).data)
