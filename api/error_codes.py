"""The error codes of the HTTP layer itself (DRF's own codes, such as ``required``, come from DRF).

Apart from the envelope in ``api.errors`` because that module imports DRF's views, which load the parsers that
refuse input with these codes (``api.input_limits``).
"""

from __future__ import annotations

from core.errors import ErrorCode


class ApiErrorCode(ErrorCode):
    DATABASE_UNAVAILABLE = "database_unavailable"
    REQUEST_TOO_LARGE = "request_too_large"
    TOKEN_NOT_VALID = "token_not_valid"  # noqa: S105 - an error code, not a password
    AUTHENTICATION_FAILED = "authentication_failed"
    THROTTLED = "throttled"
    JSON_TOO_DEEP = "json_too_deep"
    NULL_CHARACTER = "null_character"
    UNKNOWN_FIELD = "unknown_field"
    PERMISSION_DENIED = "permission_denied"  # /metrics to a client neither on its networks nor with its token
