"""Django's security checks recognise its middleware as installed by subclass, like the admin's checks do.

Written here because Django's deployment checks look for the exact dotted paths of ``SecurityMiddleware``,
``XFrameOptionsMiddleware``, ``CsrfViewMiddleware`` and ``SessionMiddleware`` in ``MIDDLEWARE``: with the project's
async-native subclasses (:mod:`api.async_middleware`) they would warn that each is missing and, worse, skip every
check they gate (HSTS, SSL redirect, nosniff, X-Frame-Options value, secure session and CSRF cookies...). The four
predicates those checks consult are replaced, at start-up, by the test the admin's checks use: the class or a
subclass of it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks.security import base, csrf, sessions
from django.utils.module_loading import import_string


def _installed(class_path: str) -> bool:
    wanted = import_string(class_path)
    for path in settings.MIDDLEWARE:
        try:
            candidate = import_string(path)
        except ImportError:  # reported by Django's own start-up
            continue
        if isinstance(candidate, type) and issubclass(candidate, wanted):
            return True
    return False


def recognise_middleware_subclasses() -> None:
    base._security_middleware = lambda: _installed("django.middleware.security.SecurityMiddleware")  # type: ignore[attr-defined]
    base._xframe_middleware = lambda: _installed("django.middleware.clickjacking.XFrameOptionsMiddleware")  # type: ignore[attr-defined]
    csrf._csrf_middleware = lambda: _installed("django.middleware.csrf.CsrfViewMiddleware")  # type: ignore[attr-defined]
    sessions._session_middleware = lambda: _installed("django.contrib.sessions.middleware.SessionMiddleware")  # type: ignore[attr-defined]
