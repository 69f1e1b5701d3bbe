"""Refresh-token rotation with families (RFC 9700 §4.14) and revocation of a user's tokens.

A family is every refresh token descended from one log-in: each rotation copies the ``family`` claim (the first
token's ``jti``) into its successor. Presenting a token that was already rotated (or logged out) means two parties
hold the same family, so the whole family is revoked: the successor held by either party stops working too.
Access tokens already issued from the family live on until they expire (``ACCESS_TOKEN_LIFETIME``), unless the
password changes (then the ``hash_password`` claim ends them at once).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import InvalidToken, TokenBackendError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import User

FAMILY_CLAIM = "family"


def _family(payload: dict[str, Any]) -> str:
    # Tokens issued at log-in have no family claim yet: the family is named after the first token.
    return str(payload.get(FAMILY_CLAIM) or payload[api_settings.JTI_CLAIM])


def _blacklist(outstanding: list[OutstandingToken]) -> int:
    created = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(created)


def _live_outstanding(user_id: Any) -> list[OutstandingToken]:
    return list(
        OutstandingToken.objects.filter(user_id=user_id, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True)
    )


def refresh_family_revoke(*, user_id: Any, family: str) -> int:
    """Blacklist every live refresh token of ``family``; returns how many were revoked."""
    members = []
    for outstanding in _live_outstanding(user_id):
        try:
            payload = token_backend.decode(outstanding.token, verify=False)  # type: ignore[arg-type]
        except TokenBackendError:
            continue
        if _family(payload) == family:
            members.append(outstanding)
    return _blacklist(members)


def refresh_tokens_revoke_all(*, user: User) -> int:
    """Blacklist every live refresh token of ``user`` (password reset or change)."""
    return _blacklist(_live_outstanding(user.pk))


def refresh_rotate(*, raw: str) -> dict[str, str]:
    """Exchange a refresh token for a new access + refresh pair; the presented token is spent.

    The token's ``OutstandingToken`` row is locked, so two concurrent uses of one token cannot both rotate it: the
    second waits, then finds it spent, which is reuse. Every refusal is a 401 in the error envelope.
    """
    try:
        payload = token_backend.decode(raw, verify=True)  # type: ignore[arg-type]  # signature, expiry
    except TokenBackendError as exc:
        raise InvalidToken("Token is invalid or expired.") from exc
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != RefreshToken.token_type or api_settings.JTI_CLAIM not in payload:
        raise InvalidToken("Token has wrong type.")
    family = _family(payload)
    user_id = payload.get(api_settings.USER_ID_CLAIM)
    with transaction.atomic():
        # order_by(): the model orders by user, an outer join FOR UPDATE cannot lock.
        rows = OutstandingToken.objects.select_for_update().filter(jti=payload[api_settings.JTI_CLAIM]).order_by()
        outstanding = next(iter(rows), None)
        if outstanding is None:  # signed by us but never issued: refuse rather than start a family from it
            raise InvalidToken("Token is invalid or expired.")
        if BlacklistedToken.objects.filter(token=outstanding).exists():
            refresh_family_revoke(user_id=user_id, family=family)
        else:
            # A deleted user's id matches no row; a deactivated user is refused like at log-in.
            user = User.objects.filter(pk=user_id).first() if user_id else None
            if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
                raise InvalidToken("No active account found for the given token.")
            if payload.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
                raise InvalidToken("The user's password has been changed.")
            _blacklist([outstanding])
            token = RefreshToken(raw, verify=False)  # type: ignore[arg-type]
            token.set_jti()
            token.set_exp()
            token.set_iat()
            token[FAMILY_CLAIM] = family
            token.outstand()
            return {"access": str(token.access_token), "refresh": str(token)}
    # Only reuse gets here, outside the transaction: the family's revocation is committed before the 401.
    raise InvalidToken("Token is invalid or expired.")
