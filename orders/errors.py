"""The error codes of orders and their domain errors."""

from __future__ import annotations

from core.errors import ConflictError, ErrorCode


class OrderErrorCode(ErrorCode):
    ORDER_NOT_FOUND = "order_not_found"
    EMPTY_ORDER = "empty_order"
    TOO_MANY_ITEMS = "too_many_items"
    INVALID_ORDER_SOURCE = "invalid_order_source"
    INVALID_STATUS = "invalid_status"
    INVALID_TRANSITION = "invalid_transition"


class InvalidTransitionError(ConflictError):
    code = OrderErrorCode.INVALID_TRANSITION
    error_fields = {"current_status": {"type": "string"}, "requested_status": {"type": "string"}}
    required_error_fields = ("current_status", "requested_status")

    def __init__(self, *, current: str, requested: str) -> None:
        super().__init__(
            f"An order in status {current} cannot move to {requested}.",
            errors=[{"current_status": current, "requested_status": requested}],
        )
