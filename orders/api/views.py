from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.permissions import IsManagerOrAdmin
from api.schema import DomainErrorResponseSerializer
from idempotency.services import IDEMPOTENCY_HEADER, REPLAYED_HEADER
from orders import selectors, services
from orders.api.serializers import (
    OrderCancelInputSerializer,
    OrderSerializer,
    OrderStatusInputSerializer,
)
from orders.models import Order

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Retry-safe key (max 255 chars, scoped to you): a retry with the same key and body replays the "
    f"first response with `{REPLAYED_HEADER}: true`; another body → 422; while the first runs → 409.",
)


def order_response(*, user: User, order: Order, status_code: int = status.HTTP_200_OK) -> Response:
    # Re-read through the selector so the response carries the committed state with its items.
    return Response(OrderSerializer(selectors.order_get(user=user, order_id=order.pk)).data, status=status_code)


class OrderListView(GenericAPIView[Order]):
    """``GET orders/``; placing an order (``POST``, which may take the cart) is ``checkout.api.views``."""

    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer
    queryset = Order.objects.none()  # schema generation only; rows come from the selector

    @extend_schema(summary="Your orders (managers and admins: all orders)", responses={200: OrderSerializer(many=True)})
    def get(self, request: Request) -> Response:
        page = selectors.order_history_page(user=request.user, paginate=self.paginate_queryset)  # type: ignore[arg-type]
        return self.get_paginated_response(OrderSerializer(page, many=True).data)


class OrderDetailView(GenericAPIView[Order]):
    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer

    @extend_schema(summary="One order (404 for another customer's order)", responses={200: OrderSerializer})
    def get(self, request: Request, order_id: UUID) -> Response:
        order = selectors.order_detail(user=request.user, order_id=order_id)  # type: ignore[arg-type]
        return Response(OrderSerializer(order).data)


class OrderCancelView(GenericAPIView[Order]):
    permission_classes = [IsAuthenticated]
    serializer_class = OrderCancelInputSerializer

    @extend_schema(
        summary="Cancel an order",
        request=OrderCancelInputSerializer,
        responses={
            200: OrderSerializer,
            409: OpenApiResponse(
                DomainErrorResponseSerializer,
                description="`invalid_transition` (customers may cancel only PENDING orders); "
                "the error carries `current_status`.",
            ),
        },
        description="The stock of a cancelled order is returned through the ledger.",
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        serializer = OrderCancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        order = selectors.order_get(user=user, order_id=order_id)
        order = services.order_cancel(order_id=order.pk, actor=user, reason=serializer.validated_data["reason"])
        return order_response(user=user, order=order)


class OrderStatusView(GenericAPIView[Order]):
    permission_classes = [IsManagerOrAdmin]
    serializer_class = OrderStatusInputSerializer

    @extend_schema(
        summary="Move an order along its lifecycle (staff)",
        request=OrderStatusInputSerializer,
        responses={
            200: OrderSerializer,
            409: OpenApiResponse(
                DomainErrorResponseSerializer,
                description="`invalid_transition`; the error carries `current_status`.",
            ),
        },
        description="PAYMENT_CONFIRMED → PROCESSING → SHIPPED (the customer is e-mailed), or CANCELLED.",
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        serializer = OrderStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        order = selectors.order_get(user=user, order_id=order_id)
        to_status = serializer.validated_data["status"]
        reason = serializer.validated_data["reason"]
        order = services.order_staff_set_status(order_id=order.pk, to_status=to_status, actor=user, reason=reason)
        return order_response(user=user, order=order)
