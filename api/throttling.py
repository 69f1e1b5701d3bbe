"""Rate limits kept in their own Redis database (the ``throttle`` alias), one round trip per check.

DRF's stock throttles read the request history from the cache and write it back (two round trips and a
pickled list per request). Here a sliding-window log lives in a Redis sorted set and one Lua script trims,
counts and records atomically, so concurrent requests cannot both take the last slot either. Rates, scopes
and keys are DRF's (``THROTTLE_RATES``, ``scope``, ``get_cache_key``).

When Redis is unreachable the throttles fail open and let requests through: serving customers during a
cache outage beats refusing everyone, and Postgres connection limits still bound the load.
"""

import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django_redis import get_redis_connection
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.request import Request

from api.client_ip import client_ip
from api.metrics import THROTTLED
from core.redis_clients import LuaScript, async_client

logger = logging.getLogger(__name__)

# Returns -1 when the request is allowed (and recorded), else the seconds until the oldest entry expires.
_SLIDING_WINDOW = LuaScript("""
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
  return '-1'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
""")


class RedisRateThrottle(throttling.SimpleRateThrottle):
    """DRF's SimpleRateThrottle with the check done by one atomic Redis script."""

    retry_after: float | None = None
    num_requests: int  # set by SimpleRateThrottle.__init__ from the rate
    duration: int

    def allow_request(self, request: Request, view: Any) -> bool:
        call = self._script_call(request, view)
        if call is None:
            return True
        try:
            result = _SLIDING_WINDOW(get_redis_connection(settings.THROTTLE_CACHE_ALIAS), *call)
        except (RedisError, OSError) as exc:
            return self._store_unavailable(exc)
        return self._decide(result)

    async def aallow_request(self, request: Request, view: Any) -> bool:
        """``allow_request`` on the event loop (async views), same script, same key, same answer."""
        call = self._script_call(request, view)
        if call is None:
            return True
        try:
            result = await _SLIDING_WINDOW.acall(async_client(settings.THROTTLE_CACHE_ALIAS), *call)
        except (RedisError, OSError) as exc:
            return self._store_unavailable(exc)
        return self._decide(result)

    def _script_call(self, request: Request, view: Any) -> tuple[list[str], list[Any]] | None:
        """The script's (keys, args) for this request, or None when it is not throttled by this class."""
        if self.rate is None:
            return None
        key = self.get_cache_key(request, view)
        if key is None:
            return None
        return [f"rl:{key}"], [time.time(), self.duration, self.num_requests, uuid.uuid4().hex]

    @staticmethod
    def _store_unavailable(exc: BaseException) -> bool:
        logger.warning("Throttle store unavailable (%s); request allowed.", exc)
        return True

    def _decide(self, result: Any) -> bool:
        wait = float(result)
        if wait < 0:
            return True
        self.retry_after = wait
        THROTTLED.labels(str(self.scope)).inc()
        return False

    def wait(self) -> float | None:
        return self.retry_after

    def get_ident(self, request: Request) -> str:
        # DRF's own get_ident believes X-Forwarded-For from anyone (NUM_PROXIES unset); every limit keys on the
        # one client address computed from TRUSTED_PROXIES instead.
        return client_ip(request)


class AnonRateThrottle(RedisRateThrottle, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(RedisRateThrottle, throttling.UserRateThrottle):
    """Signed-in users only: anonymous callers are held to the stricter anonymous rate, so counting them
    here too (DRF falls back to their IP) would cost a Redis round trip and never bind."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class LoginRateThrottle(RedisRateThrottle):
    """5/min per client IP + submitted e-mail: brute force on one account is slowed without locking it."""

    scope = "login"

    def get_cache_key(self, request: Request, view: Any) -> str:
        data = getattr(request, "data", None)
        # The body may be any JSON value (a list, a number): only an object can name an e-mail.
        email = str(data.get("email", "")).strip().lower() if isinstance(data, Mapping) else ""
        return self.cache_format % {"scope": self.scope, "ident": f"{self.get_ident(request)}:{email}"}


class PaymentRateThrottle(RedisRateThrottle, throttling.UserRateThrottle):
    scope = "payments"


def _body_field(request: Request, name: str) -> str:
    data = getattr(request, "data", None)
    return str(data.get(name, "")).strip().lower() if isinstance(data, Mapping) else ""


class PasswordResetRateThrottle(RedisRateThrottle):
    """Password reset request and confirmation, per client address (both endpoints share the budget)."""

    scope = "password_reset"

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PasswordResetAccountRateThrottle(RedisRateThrottle):
    """Per target account, from any address: the e-mail of a reset request, the uid of a confirmation.

    Bounds the mail sent to one inbox and the guesses at one account's reset token however many addresses
    an attacker uses.
    """

    scope = "password_reset_account"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        email, uid = _body_field(request, "email"), _body_field(request, "uid")
        if not (email or uid):
            return None  # the serializer refuses the body
        target = f"email:{email}" if email else f"uid:{uid}"
        return self.cache_format % {"scope": self.scope, "ident": target}
