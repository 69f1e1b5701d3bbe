"""The error codes of the Idempotency-Key handling and its domain errors."""

from __future__ import annotations

from core.errors import ConflictError, ErrorCode


class IdempotencyErrorCode(ErrorCode):
    KEY_REQUIRED = "idempotency_key_required"
    KEY_INVALID = "idempotency_key_invalid"
    KEY_MISMATCH = "idempotency_key_mismatch"
    IN_PROGRESS = "idempotency_in_progress"


class IdempotencyInProgressError(ConflictError):
    code = IdempotencyErrorCode.IN_PROGRESS
