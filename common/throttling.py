"""Rate limits kept in their own Redis alias (``throttle``).

When Redis is unreachable the alias fails open (``IGNORE_EXCEPTIONS``): throttles then see an empty
history and let requests through. We prefer serving customers during a cache outage to refusing
everyone; Postgres connection limits still bound the load.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework import throttling
from rest_framework.request import Request


class _RedisCacheMixin:
    def __init__(self) -> None:
        self.cache = caches[settings.THROTTLE_CACHE_ALIAS]
        super().__init__()


class AnonRateThrottle(_RedisCacheMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_RedisCacheMixin, throttling.UserRateThrottle):
    pass


class LoginRateThrottle(_RedisCacheMixin, throttling.SimpleRateThrottle):
    """5/min per client IP + submitted e-mail: brute force on one account is slowed without locking it."""

    scope = "login"

    def get_cache_key(self, request: Request, view: Any) -> str:
        data = getattr(request, "data", None)
        # The body may be any JSON value (a list, a number): only an object can name an e-mail.
        email = str(data.get("email", "")).strip().lower() if isinstance(data, Mapping) else ""
        return self.cache_format % {"scope": self.scope, "ident": f"{self.get_ident(request)}:{email}"}


class PaymentRateThrottle(_RedisCacheMixin, throttling.UserRateThrottle):
    scope = "payments"
