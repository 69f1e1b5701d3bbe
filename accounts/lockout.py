"""Log-in lock-out per (account, client) pair with exponential back-off, kept in the throttle Redis database.

Written here rather than with django-axes: the policy is one Lua script on the Redis the rate limits already use,
with back-off that grows per pair, and no extra tables, middleware ordering or admin views to carry.

Locking per pair, not per account, keeps the lock-out from being a denial-of-service lever: an attacker who
hammers an account locks only themselves out; its owner, from any other address, still logs in. Like the rate
limits, the lock-out fails open when Redis is unreachable (the log-in rate limit and password hashing still bound
the guessing rate).
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from django.conf import settings
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from accounts.errors import LoginLockedOut
from api.client_ip import client_ip
from core.redis_clients import LuaScript

logger = logging.getLogger(__name__)

# HASH fields: failures (since the last lock-out), level (lock-outs so far), until (epoch seconds).
# Returns the lock duration in seconds, or -1 when this failure does not lock the pair.
_RECORD_FAILURE = LuaScript("""
local now, threshold, base, max_wait, memory = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
  tonumber(ARGV[4]), tonumber(ARGV[5])
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local level = tonumber(redis.call('HGET', KEYS[1], 'level') or '0')
local wait = -1
if level > 0 or failures >= threshold then
  level = level + 1
  wait = math.min(base * 2 ^ (level - 1), max_wait)
  redis.call('HSET', KEYS[1], 'failures', 0, 'level', level, 'until', now + wait)
end
redis.call('EXPIRE', KEYS[1], memory)
return tostring(wait)
""")


def _key(username: str, request: Any) -> str:
    # Hashed: Redis never holds e-mail addresses, and the key length is bounded whatever is submitted.
    pair = f"{username.strip().lower()}\x00{client_ip(request)}"
    return "lockout:" + hashlib.sha256(pair.encode()).hexdigest()


def _redis() -> Any:
    return get_redis_connection(settings.THROTTLE_CACHE_ALIAS)


def lockout_check(*, username: str, request: Any) -> None:
    """Raise :class:`LoginLockedOut` while the pair is locked; its password is then not even checked."""
    try:
        until = _redis().hget(_key(username, request), "until")
    except (RedisError, OSError) as exc:
        logger.warning("Lock-out store unavailable (%s); log-in attempt allowed.", exc)
        return
    if until is not None and float(until) > time.time():
        raise LoginLockedOut(float(until) - time.time())


def lockout_failure(*, username: str, request: Any) -> None:
    try:
        _RECORD_FAILURE(
            _redis(),
            [_key(username, request)],
            [
                time.time(),
                settings.LOCKOUT_FAILURES,
                settings.LOCKOUT_BASE_SECONDS,
                settings.LOCKOUT_MAX_SECONDS,
                settings.LOCKOUT_MEMORY_SECONDS,
            ],
        )
    except (RedisError, OSError) as exc:
        logger.warning("Lock-out store unavailable (%s); failure not recorded.", exc)


def lockout_success(*, username: str, request: Any) -> None:
    try:
        _redis().delete(_key(username, request))
    except (RedisError, OSError) as exc:
        logger.warning("Lock-out store unavailable (%s).", exc)
