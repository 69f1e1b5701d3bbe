"""The error codes of accounts and its domain errors."""

from __future__ import annotations

import math

from rest_framework import status

from api.error_codes import ApiErrorCode
from core.errors import DomainError, ErrorCode


class AccountErrorCode(ErrorCode):
    INVALID_TOKEN = "invalid_token"  # noqa: S105 - an error code, not a password
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 - an error code, not a password


class InvalidTokenError(DomainError):
    code = AccountErrorCode.INVALID_TOKEN
    default_detail = "The token is invalid or has expired."


class WrongPasswordError(DomainError):
    code = AccountErrorCode.WRONG_PASSWORD
    default_detail = "The current password is not correct."


class LoginLockedOut(DomainError):
    # The code every 429 of the API carries (the schema's ErrorCode429Enum): to a client it is a rate limit with a
    # Retry-After; the detail says which.
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = ApiErrorCode.THROTTLED

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(
            f"Too many failed log-in attempts for this account from this address. Try again in "
            f"{self.retry_after} seconds.",
            headers={"Retry-After": str(self.retry_after)},
        )
