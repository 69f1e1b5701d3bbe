"""Anonymous carts: one Redis hash per cart token (``product_id -> quantity``) with a TTL.

Stored in the ``carts`` alias's Redis through the raw client (hash commands, pipelines and a Lua
script are not part of Django's cache API). The alias fails closed: any connection problem becomes
``ServiceUnavailableError(code=CartErrorCode.CART_UNAVAILABLE)``, quickly, thanks to the short socket timeouts
configured on the alias.

Reading, writing and removing lines come in pairs: a coroutine on redis.asyncio (the cart API serves
anonymous callers on the event loop) and a sync twin on the same commands, for sync callers, so neither
hops between threads and loops. Each pair shares its arguments and its decoding. Taking a cart for a
merge is sync only, as it runs inside a database transaction.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from django.conf import settings
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from carts.errors import CartErrorCode
from core.errors import ServiceUnavailableError
from core.redis_clients import LuaScript, async_client

REDIS_ALIAS = "carts"
KEY_PREFIX = "cart:anon:"
# secrets.token_urlsafe(32): 32 random bytes (256 bits) in 43 URL-safe characters.
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")

# Result codes of the write script (quantities are always >= 1, so negatives are free to use).
OVER_MAX_QUANTITY = -1
CART_FULL = -2
NOT_IN_CART = -3

# Atomic "write one line": the stock cap and the line limit are checked against the hash as it is
# at write time, so two concurrent adds to one cart cannot together exceed either. The TTL is
# refreshed on every write.
# KEYS[1] cart hash; ARGV: field, quantity, mode ("add" | "set"), max_quantity, max_lines, ttl,
# then the fields of stale lines to drop first. Returns {new_quantity_or_error_code, quantity_before}.
_WRITE_LINE = LuaScript("""
for i = 7, #ARGV do
    redis.call('HDEL', KEYS[1], ARGV[i])
end
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local quantity = tonumber(ARGV[2])
if ARGV[3] == 'add' then
    quantity = current + quantity
elseif current == 0 then
    return {-3, 0}
end
if quantity > tonumber(ARGV[4]) then
    return {-1, current}
end
if current == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then
    return {-2, current}
end
redis.call('HSET', KEYS[1], ARGV[1], quantity)
redis.call('EXPIRE', KEYS[1], ARGV[6])
return {quantity, current}
""")


def token_new() -> str:
    return secrets.token_urlsafe(32)


def token_is_valid(token: str | None) -> bool:
    return bool(token) and _TOKEN_RE.match(token or "") is not None


def cart_key(token: str) -> str:
    return f"{KEY_PREFIX}{token}"


def _client() -> Any:
    return get_redis_connection(REDIS_ALIAS)


def _aclient() -> Any:
    return async_client(REDIS_ALIAS)


@contextmanager
def redis_errors() -> Iterator[None]:
    """Turn an unreachable, stalled or misbehaving cart store into a clean 503 ``cart_unavailable``.

    Any Redis error, not only connection errors: a read-only replica, an out-of-memory refusal or something
    else answering on the port is just as unavailable to the customer (the cause stays in the exception chain).
    """
    try:
        yield
    except (RedisError, TimeoutError) as exc:
        raise ServiceUnavailableError(
            "Anonymous carts are temporarily unavailable; try again shortly or sign in.",
            code=CartErrorCode.CART_UNAVAILABLE,
            headers={"Retry-After": "5"},
        ) from exc


def _decode(raw: Mapping[bytes, bytes]) -> dict[UUID, int]:
    lines: dict[UUID, int] = {}
    for field, value in raw.items():
        try:
            lines[UUID(field.decode())] = int(value)
        except ValueError:
            # Not written by this module; ignoring it beats failing every read of the cart.
            continue
    return {pid: qty for pid, qty in lines.items() if qty > 0}


async def alines_read(*, token: str) -> dict[UUID, int]:
    """The cart's lines; an unknown or expired token reads as an empty cart."""
    with redis_errors():
        return _decode(await _aclient().hgetall(cart_key(token)))


def _write_args(*, product_id: UUID, quantity: int, mode: str, max_quantity: int, drop: Iterable[UUID]) -> list[Any]:
    return [
        str(product_id),
        quantity,
        mode,
        max_quantity,
        settings.CART_MAX_LINES,
        settings.CART_TTL_SECONDS,
        *(str(pid) for pid in drop),
    ]


def lines_read(*, token: str) -> dict[UUID, int]:
    """:func:`alines_read` for sync callers."""
    with redis_errors():
        return _decode(_client().hgetall(cart_key(token)))


async def aline_write(
    *,
    token: str,
    product_id: UUID,
    quantity: int,
    mode: str,
    max_quantity: int,
    drop: Iterable[UUID] = (),
) -> tuple[int, int]:
    """Add to (``mode="add"``) or set (``mode="set"``) one line; drop the ``drop`` lines in the same call.

    Returns ``(result, quantity_before)`` where ``result`` is the new quantity or one of
    ``OVER_MAX_QUANTITY``, ``CART_FULL``, ``NOT_IN_CART``. One round trip (EVALSHA).
    """
    args = _write_args(product_id=product_id, quantity=quantity, mode=mode, max_quantity=max_quantity, drop=drop)
    with redis_errors():
        result, before = await _WRITE_LINE.acall(_aclient(), keys=[cart_key(token)], args=args)
    return int(result), int(before)


def line_write(
    *,
    token: str,
    product_id: UUID,
    quantity: int,
    mode: str,
    max_quantity: int,
    drop: Iterable[UUID] = (),
) -> tuple[int, int]:
    """:func:`aline_write` for sync callers."""
    args = _write_args(product_id=product_id, quantity=quantity, mode=mode, max_quantity=max_quantity, drop=drop)
    with redis_errors():
        result, before = _WRITE_LINE(_client(), keys=[cart_key(token)], args=args)
    return int(result), int(before)


async def alines_remove(*, token: str, product_ids: Iterable[UUID], refresh_ttl: bool = True) -> None:
    fields = [str(pid) for pid in product_ids]
    if not fields:
        return
    key = cart_key(token)
    with redis_errors():
        pipe = _aclient().pipeline(transaction=False)
        pipe.hdel(key, *fields)
        if refresh_ttl:
            pipe.expire(key, settings.CART_TTL_SECONDS)
        await pipe.execute()


def lines_remove(*, token: str, product_ids: Iterable[UUID], refresh_ttl: bool = True) -> None:
    """:func:`alines_remove` for sync callers."""
    fields = [str(pid) for pid in product_ids]
    if not fields:
        return
    key = cart_key(token)
    with redis_errors():
        pipe = _client().pipeline(transaction=False)
        pipe.hdel(key, *fields)
        if refresh_ttl:
            pipe.expire(key, settings.CART_TTL_SECONDS)
        pipe.execute()


def lines_take(*, token: str) -> dict[UUID, int]:
    """Read and delete the cart in one MULTI/EXEC: of two concurrent takers only one gets the lines."""
    key = cart_key(token)
    with redis_errors():
        pipe = _client().pipeline(transaction=True)
        pipe.hgetall(key)
        pipe.delete(key)
        raw, _ = pipe.execute()
    return _decode(raw)


def lines_restore(*, token: str, lines: Mapping[UUID, int]) -> None:
    """Give taken lines back (after a failed merge), adding to anything written meanwhile."""
    if not lines:
        return
    key = cart_key(token)
    with redis_errors():
        pipe = _client().pipeline(transaction=True)
        for product_id, quantity in lines.items():
            pipe.hincrby(key, str(product_id), quantity)
        pipe.expire(key, settings.CART_TTL_SECONDS)
        pipe.execute()
