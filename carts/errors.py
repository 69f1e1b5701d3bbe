"""The error codes of carts and their domain errors (a short line is inventory's ``insufficient_stock``)."""

from __future__ import annotations

from core.errors import ConflictError, ErrorCode


class CartErrorCode(ErrorCode):
    NOT_IN_CART = "not_in_cart"
    CART_FULL = "cart_full"
    CART_EMPTY = "cart_empty"
    # The anonymous cart store (Redis) does not answer: 503, fail closed.
    CART_UNAVAILABLE = "cart_unavailable"


class CartFullError(ConflictError):
    code = CartErrorCode.CART_FULL
