"""JWT authentication without a database read per request: the user's auth state cached in Redis.

Every access token is checked as simplejwt checks it (signature, expiry, type), then against the user's *auth
state*: the row's fields but the password, plus the digest of the password hash that tokens carry
(``CHECK_REVOKE_TOKEN``). The state lives in the ``sessions`` Redis database, filled from PostgreSQL on a miss:

* ``auth:user:<id>`` holds the state and the generation it was read under (TTL ``AUTH_STATE_CACHE_SECONDS``);
  ``auth:gen:<id>`` is the user's generation. Both are read with one ``MGET``; a state is used only under the
  current generation.
* Every save or delete of a user (password change or reset, deactivation, role change, profile edit, the admin)
  bumps the generation at once and again after the commit (``auth_state_invalidate``). A request that read the
  row before the commit stored it under an older generation, so it is never used: the next request reads the row.
* Redis unreachable: the row is read from PostgreSQL on every request (fail safe, never open). A bump that could
  not reach Redis is bounded by the state's TTL.

A token the state refuses (unknown or inactive user, changed password) is decided again by simplejwt on the row,
so refusals answer simplejwt's own errors and codes.

``request.user`` is a real ``User`` built from the state with ``password`` and ``last_login`` deferred: a view that
reads them loads them (one query); ``save()`` writes only the loaded fields.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_redis import get_redis_connection
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from redis.exceptions import RedisError
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import User

logger = logging.getLogger(__name__)

AUTH_STATE_ALIAS = "sessions"
# What the state keeps of the row: everything but the password hash (its digest is kept instead) and last_login.
_STATE_FIELDS = [field for field in User._meta.concrete_fields if field.attname not in ("password", "last_login")]
_DIGEST = "password_digest"
_GENERATION = "generation"


def _state_key(user_id: Any) -> str:
    return f"auth:user:{user_id}"


def _generation_key(user_id: Any) -> str:
    return f"auth:gen:{user_id}"


def _redis() -> Any:
    return get_redis_connection(AUTH_STATE_ALIAS)


def _state_of(user: User, generation: int) -> dict[str, Any]:
    state = {field.attname: getattr(user, field.attname) for field in _STATE_FIELDS}
    state[_DIGEST] = get_md5_hash_password(user.password)
    state[_GENERATION] = generation
    return state


def _json_value(value: Any) -> str:
    # Full precision (DjangoJSONEncoder would cut datetimes to milliseconds); read back by each field's to_python.
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def _user_from(state: dict[str, Any]) -> User:
    """A ``User`` as the ORM would load it with ``password`` and ``last_login`` deferred."""
    return User.from_db(
        "default",
        [field.attname for field in _STATE_FIELDS],
        [field.to_python(state[field.attname]) for field in _STATE_FIELDS],
    )


def auth_state_get(user_id: Any) -> tuple[User, str] | None:
    """``(user, password digest)`` of ``user_id``, from Redis or (miss, Redis down) from PostgreSQL; ``None`` if
    there is no such user."""
    generation = 0
    client = None
    try:
        client = _redis()
        cached, raw_generation = client.mget([_state_key(user_id), _generation_key(user_id)])
        generation = int(raw_generation or 0)
        if cached is not None:
            state = json.loads(cached)
            if state.get(_GENERATION) == generation:
                return _user_from(state), state[_DIGEST]
    except (RedisError, ValueError, KeyError):
        logger.warning("auth state cache unavailable; reading user %s from the database", user_id, exc_info=True)
        client = None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    state = _state_of(user, generation)
    if client is not None:
        try:
            client.set(
                _state_key(user_id),
                json.dumps(state, default=_json_value),
                ex=settings.AUTH_STATE_CACHE_SECONDS,
            )
        except RedisError:
            logger.warning("auth state of user %s not cached", user_id, exc_info=True)
    return user, state[_DIGEST]


def _bump(user_id: Any) -> None:
    try:
        pipe = _redis().pipeline(transaction=True)
        pipe.incr(_generation_key(user_id))
        # Outlives every state stored under an older generation.
        pipe.expire(_generation_key(user_id), 2 * settings.AUTH_STATE_CACHE_SECONDS + 60)
        pipe.delete(_state_key(user_id))
        pipe.execute()
    except RedisError:
        logger.error(
            "auth state of user %s not invalidated (Redis unreachable): stale for at most %s s",
            user_id,
            settings.AUTH_STATE_CACHE_SECONDS,
            exc_info=True,
        )


def auth_state_invalidate(user_id: Any) -> None:
    """The user's row changed (or is about to commit a change): drop the cached state now and after the commit.

    The bump after the commit is what makes it safe: a request that read the row between the first bump and the
    commit stored it under the first bump's generation, which the second makes stale."""
    _bump(user_id)
    transaction.on_commit(lambda: _bump(user_id))


class CachedJWTAuthentication(JWTAuthentication):
    """simplejwt's ``JWTAuthentication`` with the user and the revocation check taken from the auth state."""

    def get_user(self, validated_token: Token) -> User:  # type: ignore[override]
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        found = auth_state_get(user_id)
        if found is not None:
            user, digest = found
            active = user.is_active or not api_settings.CHECK_USER_IS_ACTIVE
            current = (
                not api_settings.CHECK_REVOKE_TOKEN or validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) == digest
            )
            if active and current:
                return user
        # A refusal (rare) is decided on the row, by simplejwt itself: its errors and codes, exactly.
        return super().get_user(validated_token)  # type: ignore[return-value]


class CachedJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of simplejwt's ``JWTAuthentication`` (``jwtAuth``), for its subclass above."""

    target_class = "accounts.authentication.CachedJWTAuthentication"
