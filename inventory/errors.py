"""The error codes of inventory (stock and its ledger) and its domain errors."""

from __future__ import annotations

from core.errors import ConflictError, ErrorCode


class InventoryErrorCode(ErrorCode):
    INSUFFICIENT_STOCK = "insufficient_stock"
    STOCK_CONFLICT = "stock_conflict"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_DELTA = "invalid_delta"
    INVALID_REASON = "invalid_reason"
    NOTE_TOO_LONG = "note_too_long"


class InsufficientStockError(ConflictError):
    code = InventoryErrorCode.INSUFFICIENT_STOCK
    default_detail = "Not enough stock for one or more products."
    error_fields = {
        "product_id": {"type": "string", "format": "uuid"},
        "requested": {"type": "integer", "description": "Units asked for."},
        "available": {"type": "integer", "description": "Units in stock now."},
    }
    required_error_fields = ("product_id", "requested", "available")


class StockConflictError(ConflictError):
    """The compare-and-set guard of a stock adjustment: the stock is not what the client expected."""

    code = InventoryErrorCode.STOCK_CONFLICT
    error_fields = {
        "product_id": {"type": "string", "format": "uuid"},
        "expected": {"type": "integer"},
        "current": {"type": "integer"},
    }
    required_error_fields = ("product_id", "expected", "current")
