"""Read-your-writes across replicas: a client that has just written reads from the primary for a while.

The middleware names the request's client for :mod:`core.replicas` (``user:<id>`` once authenticated, and
``cart:<token>`` from ``X-Cart-Token``, sent or answered), so an opted-in read of a recent writer stays on the
primary. After a successful unsafe request (POST, PUT, PATCH, DELETE answered below 400) it marks that client in
Redis for ``READ_YOUR_WRITES_SECONDS``: a customer never misses the order they have just placed, on any node.
Without replicas it does nothing.
"""

from __future__ import annotations

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from api.hybrid_middleware import HybridMiddleware
from core.redis_clients import async_client
from core.replicas import client_context, mark_recent_writer, replica_aliases, writer_key

CART_TOKEN_HEADER = "X-Cart-Token"  # noqa: S105 (a header name, not a secret)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def client_identities(request: HttpRequest, response: HttpResponseBase | None = None) -> tuple[str, ...]:
    """The request's client: its user (once authenticated; DRF sets it on the request) and its cart token."""
    identities = []
    # Only a user already resolved: reading a lazy request.user here would query sessions from any thread.
    # (An unevaluated SimpleLazyObject's ``_wrapped`` is a sentinel that is not authenticated.)
    user = request.__dict__.get("user")
    resolved = getattr(user, "_wrapped", user)
    if resolved is not None and getattr(resolved, "is_authenticated", False):
        identities.append(f"user:{resolved.pk}")
    for token in (request.headers.get(CART_TOKEN_HEADER), response.get(CART_TOKEN_HEADER) if response else None):
        if token and f"cart:{token}" not in identities:
            identities.append(f"cart:{token}")
    return tuple(identities)


def _wrote(request: HttpRequest, response: HttpResponseBase) -> bool:
    return request.method not in SAFE_METHODS and response.status_code < 400


class ReadYourWritesMiddleware(HybridMiddleware):
    """Names the client for the replica router; marks it as a recent writer after a successful write."""

    def sync_call(self, request: HttpRequest) -> HttpResponseBase:
        if not replica_aliases():
            return self.get_response(request)
        with client_context(lambda: client_identities(request)):
            response: HttpResponseBase = self.get_response(request)
        if _wrote(request, response):
            mark_recent_writer(client_identities(request, response))
        return response

    async def async_call(self, request: HttpRequest) -> HttpResponseBase:
        if not replica_aliases():
            return await self.get_response_async(request)
        with client_context(lambda: client_identities(request)):
            response = await self.get_response_async(request)
        if _wrote(request, response):
            await _amark(client_identities(request, response))
        return response


async def _amark(identities: tuple[str, ...]) -> None:
    if not identities:
        return
    try:
        pipe = async_client("default").pipeline(transaction=False)
        for identity in identities:
            pipe.set(writer_key(identity), b"1", ex=settings.READ_YOUR_WRITES_SECONDS)
        await pipe.execute()
    except (redis.RedisError, OSError):
        # The next reads may then come from a replica that is a few milliseconds behind; never fail the write.
        return
