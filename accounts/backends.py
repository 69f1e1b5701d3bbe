"""The one authentication backend: Django's ModelBackend behind the (account, client) lock-out.

Every password check that knows its request goes through ``django.contrib.auth.authenticate(request, ...)``: the
API log-in (simplejwt's serializer), the admin log-in form of any ``AdminSite`` and the API password change. So the
lock-out applies to all of them from here, whatever view or admin site sits in front.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts.lockout import lockout_check, lockout_failure, lockout_success
from accounts.models import User


class LockoutModelBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        if username is None:
            username = kwargs.get("email")
        if request is None or username is None or password is None:
            # No client to key on (management commands, scripts): plain checks.
            return super().authenticate(request, username=username, password=password, **kwargs)
        lockout_check(username=username, request=request)
        # ModelBackend hashes the password even for an unknown account, so a miss takes as long as a wrong password.
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            lockout_failure(username=username, request=request)
        else:
            lockout_success(username=username, request=request)
        return user
