"""The error codes of payments (API errors and the failure codes stored on a payment) and its domain errors."""

from __future__ import annotations

from rest_framework import status

from core.errors import ConflictError, DomainError, ErrorCode


class PaymentErrorCode(ErrorCode):
    ORDER_NOT_PAYABLE = "order_not_payable"
    PAYMENT_NOT_REFUNDABLE = "payment_not_refundable"
    PROVIDER_ERROR = "provider_error"
    UNKNOWN_PROVIDER = "unknown_provider"
    WEBHOOK_SIGNATURE_INVALID = "webhook_signature_invalid"
    WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE = "webhook_timestamp_out_of_tolerance"
    WEBHOOK_PAYLOAD_INVALID = "webhook_payload_invalid"
    # Failure codes stored on a payment (``Payment.failure_code``) besides the provider's own and provider_error.
    CHARGE_ABANDONED = "abandoned"
    CHARGE_DECLINED = "declined"


class OrderNotPayableError(ConflictError):
    code = PaymentErrorCode.ORDER_NOT_PAYABLE
    default_detail = "This order cannot be paid."
    error_fields = {
        "order_status": {"type": "string", "description": "The order's status, when that is the reason."},
    }


class PaymentNotRefundableError(ConflictError):
    code = PaymentErrorCode.PAYMENT_NOT_REFUNDABLE
    default_detail = "This payment has no charge to refund."


class ProviderUnavailableError(DomainError):
    status_code = status.HTTP_502_BAD_GATEWAY
    code = PaymentErrorCode.PROVIDER_ERROR
    default_detail = "The payment provider did not answer; nothing was charged. Please try again."
