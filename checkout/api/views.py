"""The API of the use cases that span apps, at the URLs the apps had: sign-in with the guest cart's merge, and
order placement (explicit items or the whole cart)."""

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.views import TokenObtainPairView

from accounts.models import User
from api.schema import DomainErrorResponseSerializer
from api.throttling import LoginRateThrottle
from carts.api.serializers import CartMergeSerializer
from carts.api.views import CART_TOKEN_HEADER, CART_TOKEN_PARAMETER
from checkout.services import checkout_cart_merge_at_login, checkout_cart_place
from idempotency.services import idempotent_response
from orders.api.serializers import OrderCreateInputSerializer, OrderSerializer, order_data
from orders.api.views import IDEMPOTENCY_PARAMETER, OrderListView
from orders.services import order_place


class LoginView(TokenObtainPairView):
    """E-mail + password → access and refresh tokens. Throttled per client IP and e-mail.

    With an ``X-Cart-Token`` header the anonymous cart is merged into the user's cart and the
    merge result is returned under ``cart``.
    """

    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        description="E-mail + password → access and refresh tokens. With an `X-Cart-Token` header the anonymous "
        "cart is merged into the user's cart and the merge result is returned under `cart`.",
        parameters=[CART_TOKEN_PARAMETER],
        responses={
            200: inline_serializer(
                "LoginResponse",
                fields={
                    "access": drf_serializers.CharField(),
                    "refresh": drf_serializers.CharField(),
                    "cart": CartMergeSerializer(
                        required=False,
                        allow_null=True,
                        help_text="Only with `X-Cart-Token`: the merged cart; null if the cart store is "
                        "unavailable (the login still succeeds and the guest cart is kept).",
                    ),
                },
            )
        },
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        data = dict(serializer.validated_data)
        cart_token = request.headers.get(CART_TOKEN_HEADER)
        if cart_token:
            # TokenObtainSerializer.validate() sets ``user``; the stubs do not declare it.
            user: User = serializer.user  # type: ignore[attr-defined]
            data["cart"] = checkout_cart_merge_at_login(user=user, cart_token=cart_token)
        return Response(data)


class OrderListCreateView(OrderListView):
    @extend_schema(
        summary="Place an order",
        request=OrderCreateInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: OrderSerializer,
            409: OpenApiResponse(
                DomainErrorResponseSerializer,
                description="`insufficient_stock` (one error per short product) or `idempotency_in_progress`.",
            ),
            422: OpenApiResponse(DomainErrorResponseSerializer, description="`idempotency_key_mismatch`."),
        },
        description="Either explicit `items` or `from_cart: true`. Unknown or inactive products are a 400 "
        "`product_unavailable`. The order is PENDING until paid and expires after the payment timeout.",
    )
    def post(self, request: Request) -> Response:
        return idempotent_response(request, required=False, run=lambda: self._place(request))

    def _place(self, request: Request) -> Response:
        serializer = OrderCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        if serializer.validated_data["from_cart"]:
            order = checkout_cart_place(user=user)
        else:
            order = order_place(user=user, items=serializer.validated_data["items"])
        # Rendered from the objects ``order_place`` wrote (items attached): no re-read.
        return Response(order_data(order), status=status.HTTP_201_CREATED)
