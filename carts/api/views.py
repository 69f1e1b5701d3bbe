from typing import Any
from uuid import UUID

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from accounts.models import User
from api.schema import DomainErrorResponseSerializer
from api.views import AnonymousAsyncAPIView
from carts import selectors, services
from carts.api.serializers import (
    CartItemAddSerializer,
    CartItemUpdateSerializer,
    CartMergeInputSerializer,
    CartMergeSerializer,
    CartSerializer,
    cart_data,
    cart_merge_data,
)
from carts.types import CartView
from idempotency.services import idempotent_response

CART_TOKEN_HEADER = "X-Cart-Token"  # noqa: S105 (a header name, not a secret)

CART_TOKEN_PARAMETER = OpenApiParameter(
    CART_TOKEN_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Anonymous cart token from a previous response; ignored for signed-in users.",
)
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Optional; a retry with the same key and body replays the first response.",
)
CART_TOKEN_RESPONSE_HEADER = OpenApiParameter(
    CART_TOKEN_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="Anonymous carts: the cart token (new on the first write).",
)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=DomainErrorResponseSerializer, description=description)


UNAVAILABLE = _error("`cart_unavailable`: the anonymous cart store (Redis) is unreachable.")
NOT_FOUND = _error("`product_not_found`: unknown or inactive product; `not_in_cart` (PATCH of a missing line).")
CONFLICT = _error(
    "`insufficient_stock` (errors list `product_id`, `requested`, `available`) or `cart_full` "
    "(more than CART_MAX_LINES products)."
)


def _cart_token(request: Request) -> str | None:
    return request.headers.get(CART_TOKEN_HEADER)


def _owner(request: Request) -> tuple[User | None, str | None]:
    user = request.user if request.user.is_authenticated else None
    return user, _cart_token(request)


def _cart_response(cart: CartView, *, status_code: int = status.HTTP_200_OK) -> Response:
    headers = {CART_TOKEN_HEADER: cart.cart_token} if cart.cart_token else None
    return Response(cart_data(cart), status=status_code, headers=headers)


def _validated(serializer_class: type[Serializer[Any]], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class CartAPIView(AnonymousAsyncAPIView):
    """Signed-in users' carts are database rows (sync handlers); anonymous carts live in Redis and are
    served on the event loop (the ``anonymous_*`` coroutines), the hot path of a shop's front page."""

    permission_classes = [AllowAny]


class CartDetailView(CartAPIView):
    """The caller's cart: the database cart when signed in, else the anonymous cart of `X-Cart-Token`."""

    @extend_schema(
        operation_id="cart_retrieve",
        description="The caller's cart: the database cart when signed in, else the anonymous cart of `X-Cart-Token`.",
        parameters=[CART_TOKEN_PARAMETER],
        responses={200: CartSerializer, 503: UNAVAILABLE},
    )
    def get(self, request: Request) -> Response:
        user, token = _owner(request)
        return _cart_response(selectors.cart_get(user=user, cart_token=token))

    async def anonymous_get(self, request: Request) -> Response:
        return _cart_response(await selectors.anonymous_cart_get(cart_token=_cart_token(request)))


class CartItemListView(CartAPIView):
    @extend_schema(
        operation_id="cart_items_create",
        request=CartItemAddSerializer,
        parameters=[CART_TOKEN_PARAMETER, CART_TOKEN_RESPONSE_HEADER],
        responses={
            201: CartSerializer,
            404: NOT_FOUND,
            409: CONFLICT,
            503: UNAVAILABLE,
        },
        description="Add units of a product (summed with the line already in the cart). Anonymous callers "
        "without a valid token get a new cart; its token is in the body and the `X-Cart-Token` header.",
    )
    def post(self, request: Request) -> Response:
        data = _validated(CartItemAddSerializer, request)
        user, token = _owner(request)
        cart = services.cart_item_add(user=user, cart_token=token, **data)
        return _cart_response(cart, status_code=status.HTTP_201_CREATED)

    async def anonymous_post(self, request: Request) -> Response:
        data = _validated(CartItemAddSerializer, request)
        cart = await services.anonymous_cart_item_add(cart_token=_cart_token(request), **data)
        return _cart_response(cart, status_code=status.HTTP_201_CREATED)


class CartItemDetailView(CartAPIView):
    patch_is_partial = False  # PATCH sets the quantity: the body is validated whole

    @extend_schema(
        operation_id="cart_items_update",
        request=CartItemUpdateSerializer,
        parameters=[CART_TOKEN_PARAMETER, CART_TOKEN_RESPONSE_HEADER],
        responses={
            200: CartSerializer,
            404: NOT_FOUND,
            409: CONFLICT,
            503: UNAVAILABLE,
        },
        description="Set the quantity of a line already in the cart.",
    )
    def patch(self, request: Request, product_id: UUID) -> Response:
        data = _validated(CartItemUpdateSerializer, request)
        user, token = _owner(request)
        cart = services.cart_item_update(user=user, cart_token=token, product_id=product_id, **data)
        return _cart_response(cart)

    async def anonymous_patch(self, request: Request, product_id: UUID) -> Response:
        data = _validated(CartItemUpdateSerializer, request)
        cart = await services.anonymous_cart_item_update(cart_token=_cart_token(request), product_id=product_id, **data)
        return _cart_response(cart)

    @extend_schema(
        operation_id="cart_items_destroy",
        parameters=[CART_TOKEN_PARAMETER],
        responses={204: None, 503: UNAVAILABLE},
        description="Remove a line; removing a line that is not in the cart is a no-op.",
    )
    def delete(self, request: Request, product_id: UUID) -> Response:
        user, token = _owner(request)
        services.cart_item_remove(user=user, cart_token=token, product_id=product_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    async def anonymous_delete(self, request: Request, product_id: UUID) -> Response:
        await services.anonymous_cart_item_remove(cart_token=_cart_token(request), product_id=product_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartMergeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="cart_merge",
        request=CartMergeInputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            200: CartMergeSerializer,
            409: _error("`idempotency_in_progress`: the same Idempotency-Key is still being processed."),
            422: _error("`idempotency_key_mismatch`: the Idempotency-Key was used with another body."),
            503: UNAVAILABLE,
        },
        description="Merge an anonymous cart into the signed-in user's cart: quantities summed per product "
        "and capped at the available stock (capped lines listed), then the anonymous cart is deleted. "
        "Merging a token again changes nothing.",
    )
    def post(self, request: Request) -> Response:
        serializer = CartMergeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]

        def run() -> Response:
            result = services.cart_merge(user=user, cart_token=serializer.validated_data["cart_token"])
            return Response(cart_merge_data(result))

        return idempotent_response(request, required=False, run=run)
