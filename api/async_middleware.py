"""Django's middleware without thread hops under ASGI, each one run only on the requests that need it.

Written here (thin subclasses, not copies) because Django 5.2's own middleware is ``MiddlewareMixin``, which under
ASGI runs ``process_request`` and ``process_response`` in a thread hop each (``sync_to_async``), and wraps a sync
``process_view`` in another: about two hops per middleware on every request, whatever the view. Their hooks do no
blocking I/O except where noted below, so these subclasses run them on the event loop and hop only for the I/O
of the request at hand: saving a modified session, storing messages, checking the CSRF token of an unsafe request
to a view that is not CSRF-exempt (it parses the form body). Under WSGI (or Django's sync test client) they are
Django's middleware, with the same scoping.

Scoping (what an API call does not need, without weakening the admin or the browsable API):

- a bearer-token API call (``Authorization: Bearer`` under ``/api/``) gets no session and no CSRF cookie: the JWT
  authenticator names the user and nothing reads a cookie (``request.user`` is anonymous until DRF sets it), so
  a cookie cannot lend its authority to a request that carries its own credentials. A cookie-authenticated call
  (the browsable API) keeps both, and DRF's ``SessionAuthentication`` enforces CSRF on its unsafe requests;
- messages live outside ``/api/`` only (the admin shows them; no API response carries them);
- ``X-Frame-Options`` goes on every response except JSON under ``/api/`` (a JSON body is no page to frame); HTML
  under ``/api/`` (the browsable API, the API docs) and everything else (admin, ``/healthz``) keep it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import middleware as messages_middleware
from django.contrib.messages.storage import default_storage
from django.contrib.sessions import middleware as sessions_middleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware import clickjacking, common, csrf, security
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import SimpleLazyObject, empty

API_PREFIX = "/api/"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def is_bearer_api_request(request: HttpRequest) -> bool:
    """An API call carrying a JWT: its own credentials, no cookie read (the header type is ``SIMPLE_JWT``'s)."""
    return is_api_request(request) and request.META.get("HTTP_AUTHORIZATION", "").startswith("Bearer ")


class InlineHooks(MiddlewareMixin):
    """Under ASGI, runs the hooks on the event loop; a hop only where ``response_needs_thread`` says so."""

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase | None = None
        process_request: Callable[[HttpRequest], HttpResponseBase | None] | None = getattr(
            self, "process_request", None
        )
        if process_request is not None:
            response = process_request(request)
        if response is None:
            response = await self.get_response(request)  # type: ignore[misc]
        process_response: Callable[[HttpRequest, HttpResponseBase], HttpResponseBase] | None = getattr(
            self, "process_response", None
        )
        if process_response is None:
            return response
        if self.response_needs_thread(request, response):
            return await sync_to_async(process_response, thread_sensitive=True)(request, response)
        return process_response(request, response)

    def response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        """Whether ``process_response`` does blocking I/O for this request (then it runs on the request's thread)."""
        return False


class SecurityMiddleware(InlineHooks, security.SecurityMiddleware):
    """HTTPS redirect and security headers: header work only."""


class CommonMiddleware(InlineHooks, common.CommonMiddleware):
    """Disallowed user agents, ``APPEND_SLASH`` (a URL resolution), ``Content-Length``: no I/O."""


def _untouched(value: object) -> bool:
    """Whether a lazy object was never used (so never built)."""
    return isinstance(value, SimpleLazyObject) and value._wrapped is empty  # type: ignore[attr-defined]


class SessionMiddleware(InlineHooks, sessions_middleware.SessionMiddleware):
    """The session store is built on first use (building one costs a cache client per request under ASGI), so a
    request that never touches its session pays nothing for it; only saving a modified session hops."""

    def process_request(self, request: HttpRequest) -> None:
        if not is_bearer_api_request(request):
            session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
            request.session = SimpleLazyObject(partial(self.SessionStore, session_key))  # type: ignore[assignment]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is None:
            return response
        cookie_sent = settings.SESSION_COOKIE_NAME in request.COOKIES  # Django deletes an invalid one
        if _untouched(session) and not cookie_sent and not settings.SESSION_SAVE_EVERY_REQUEST:
            return response
        return super().process_response(request, response)

    def response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        session = getattr(request, "session", None)
        if session is None:
            return False
        if settings.SESSION_SAVE_EVERY_REQUEST:
            return True
        return not _untouched(session) and bool(session.modified)


async def _anonymous_user() -> AnonymousUser:
    return AnonymousUser()


class AuthenticationMiddleware(InlineHooks, auth_middleware.AuthenticationMiddleware):
    """``request.user`` is lazy (read from the session on first use, in the view's thread)."""

    def process_request(self, request: HttpRequest) -> None:
        if is_bearer_api_request(request):
            request.user = AnonymousUser()
            request.auser = _anonymous_user
            return
        super().process_request(request)


class CsrfViewMiddleware(InlineHooks, csrf.CsrfViewMiddleware):
    """Reads and sets the CSRF cookie on the event loop; checks a token (form parsing) on the request's thread."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)
        if iscoroutinefunction(get_response):
            # Django wraps a sync process_view in a thread hop under ASGI; a coroutine one it awaits.
            self.process_view = self._process_view_async  # type: ignore[method-assign,assignment]

    def process_request(self, request: HttpRequest) -> None:
        if not is_bearer_api_request(request):
            super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if is_bearer_api_request(request):
            return response
        return super().process_response(request, response)

    async def _process_view_async(
        self,
        request: HttpRequest,
        callback: Callable[..., Any],
        callback_args: tuple[Any, ...],
        callback_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        check = super().process_view
        if (
            getattr(request, "csrf_processing_done", False)
            or getattr(callback, "csrf_exempt", False)  # every DRF view: SessionAuthentication checks itself
            or request.method in _SAFE_METHODS
        ):
            return check(request, callback, callback_args, callback_kwargs)  # no token to check: no I/O
        return await sync_to_async(check, thread_sensitive=True)(request, callback, callback_args, callback_kwargs)


class MessageMiddleware(InlineHooks, messages_middleware.MessageMiddleware):
    """Messages outside the API only, their storage built on first use; storing them (the session, a cookie) hops
    only when there were any."""

    def process_request(self, request: HttpRequest) -> None:
        if not is_api_request(request):
            request._messages = SimpleLazyObject(partial(default_storage, request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if _untouched(getattr(request, "_messages", None)):
            return response
        return super().process_response(request, response)

    def response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        storage = getattr(request, "_messages", None)
        return storage is not None and not _untouched(storage) and bool(storage.used or storage.added_new)


class XFrameOptionsMiddleware(InlineHooks, clickjacking.XFrameOptionsMiddleware):
    """``X-Frame-Options`` on every response but the API's JSON."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if is_api_request(request) and response.get("Content-Type", "").startswith("application/json"):
            return response
        return super().process_response(request, response)
