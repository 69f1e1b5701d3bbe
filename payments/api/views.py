from typing import Any
from uuid import UUID

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from api.schema import DomainErrorResponseSerializer
from api.throttling import PaymentRateThrottle, UserRateThrottle
from idempotency.services import IDEMPOTENCY_HEADER, REPLAYED_HEADER, idempotent_response
from payments import services
from payments.api.serializers import (
    PayInputSerializer,
    PaymentSerializer,
    WebhookAckSerializer,
    WebhookEventInputSerializer,
)
from payments.providers import provider_names
from payments.providers.webhooks import SIGNATURE_HEADER


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(DomainErrorResponseSerializer, description=description)


class OrderPayView(APIView):
    """Charge an order's total. Idempotent: retries with the same key replay the first answer."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [UserRateThrottle, PaymentRateThrottle]

    @extend_schema(
        operation_id="orders_pay",
        description="Charge an order's total. Idempotent: retries with the same key replay the first answer.",
        tags=["orders"],
        request=PayInputSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="Client-chosen unique key (max 255 chars), scoped to the user. Reuse it to retry safely.",
            ),
        ],
        responses={
            201: OpenApiResponse(
                PaymentSerializer,
                description=(
                    f"Payment created: status `succeeded` (order now PAYMENT_CONFIRMED) or `failed` (declined; the "
                    f"order stays PENDING, retry with a new key). A replay carries `{REPLAYED_HEADER}: true`."
                ),
            ),
            400: _error("`idempotency_key_required`, `idempotency_key_invalid` or a validation error."),
            401: _error("Not authenticated."),
            404: _error("`order_not_found`: no such order for this user."),
            409: _error(
                "`order_not_payable` (not PENDING, expired, already paid or being paid) or "
                "`idempotency_in_progress` (same key still running)."
            ),
            422: _error("`idempotency_key_mismatch`: key already used with another request."),
            429: _error("Payment rate limit exceeded (see `Retry-After`)."),
            502: _error("`provider_error`: nothing was kept, the order stays payable; retry (same key allowed)."),
        },
    )
    def post(self, request: Request, order_id: UUID) -> Response:
        user: User = request.user  # type: ignore[assignment]

        def run() -> Response:
            serializer = PayInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            payment = services.payment_pay_order(
                order_id=order_id,
                user=user,
                provider=serializer.validated_data["provider"],
                token=serializer.validated_data["payment_token"],
                idempotency_key=request.headers[IDEMPOTENCY_HEADER].strip(),
            )
            return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

        return idempotent_response(request, required=True, run=run)


class PaymentWebhookView(APIView):
    """Provider → shop events. Authenticated by an HMAC signature, not by a user: no JWT, no CSRF."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    # Signed requests from the provider's servers; a per-IP limit would drop legitimate bursts.
    throttle_classes: list[type] = []

    @extend_schema(
        operation_id="payments_webhook",
        description="Provider → shop events, authenticated by the `X-Signature` HMAC, not by a user.",
        tags=["payments"],
        auth=[],
        request=WebhookEventInputSerializer,
        parameters=[
            OpenApiParameter("provider", OpenApiTypes.STR, OpenApiParameter.PATH, enum=provider_names()),
            OpenApiParameter(
                SIGNATURE_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description=(
                    "`t=<unix timestamp>,v1=<hex HMAC-SHA256(PAYMENT_WEBHOOK_SECRET, f'{t}.{raw body}')>`; "
                    "timestamps more than 5 minutes away are refused."
                ),
            ),
        ],
        responses={
            200: OpenApiResponse(WebhookAckSerializer, description="Processed, or a duplicate event id (no-op)."),
            400: _error(
                "`webhook_signature_invalid`, `webhook_timestamp_out_of_tolerance`, `webhook_payload_invalid`."
            ),
            404: _error("`unknown_provider`."),
        },
        examples=[
            OpenApiExample(
                "payment.succeeded",
                request_only=True,
                value={
                    "id": "evt_123",
                    "type": "payment.succeeded",
                    "data": {
                        "transaction_id": "fake_ch_0123",
                        "amount": "49.00",
                        "currency": "USD",
                        "metadata": {"payment_id": "00000000-0000-0000-0000-000000000000"},
                    },
                },
            )
        ],
    )
    def post(self, request: Request, provider: str, *args: Any, **kwargs: Any) -> Response:
        # The signature covers the exact bytes received: never re-serialise request.data.
        result = services.payment_webhook_handle(provider=provider, body=request.body, headers=request.headers)
        return Response(
            WebhookAckSerializer(
                {
                    "received": True,
                    "event_id": result.event_id,
                    "duplicate": result.duplicate,
                    "outcome": result.outcome.value,
                }
            ).data
        )
