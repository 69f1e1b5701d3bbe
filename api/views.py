"""Shared views: the base for endpoints that serve anonymous callers on the event loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def has_credentials(request: HttpRequest) -> bool:
    """Whether the request carries anything an authenticator reads (a JWT or a session cookie).

    Without either, every configured authenticator yields the anonymous user, so the caller is anonymous
    without running them. DRF's test clients can also force a user onto the request (``force_authenticate``),
    which DRF's ``Request`` honours before any authenticator; so does this.
    """
    return (
        "HTTP_AUTHORIZATION" in request.META
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or getattr(request, "_force_auth_user", None) is not None
        or getattr(request, "_force_auth_token", None) is not None
    )


def response_detached(response: HttpResponseBase) -> HttpResponseBase:
    """A rendered DRF response as a plain ``HttpResponse``.

    Django's async handler renders any response with a ``render`` method in a sync thread hop; an
    already rendered body needs none. ``data`` stays available, as on DRF's responses (tests read it).
    """
    if not isinstance(response, Response):
        return response
    response.render()
    plain = HttpResponse(response.content, status=response.status_code)
    for header, value in response.items():
        plain[header] = value
    plain.cookies = response.cookies
    setattr(plain, "data", response.data)  # noqa: B010 - HttpResponse declares no such attribute
    return plain


class AnonymousAsyncAPIView(APIView):
    """A DRF view whose anonymous JSON calls run on the event loop, without a thread per request.

    A subclass pairs each sync handler (``get``, ``post``...) with a coroutine ``anonymous_get``,
    ``anonymous_post``... for callers without credentials. Those go through DRF's own steps (content
    negotiation, versioning, permissions, throttles, the exception handler and renderer) with the
    throttles checked on the event loop. Everything else (signed-in callers, the browsable API, methods
    without a coroutine) runs DRF's regular sync dispatch in one hop to the request's thread.
    """

    view_is_async = True

    async def dispatch(  # type: ignore[override]
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        method = (request.method or "").lower()
        handler: Callable[..., Awaitable[Response]] | None = getattr(self, f"anonymous_{method}", None)
        if handler is None or method not in self.http_method_names or has_credentials(request):
            return await sync_to_async(self._dispatch_sync)(request, *args, **kwargs)

        self.args, self.kwargs = args, kwargs
        drf_request = self.initialize_request(request, *args, **kwargs)
        self.request = drf_request
        self.headers = self.default_response_headers
        try:
            self.format_kwarg = self.get_format_suffix(**kwargs)
            renderer, media_type = self.perform_content_negotiation(drf_request)
            if renderer.format != "json":
                # The browsable API renders forms and may query: keep it off the event loop.
                return await sync_to_async(self._dispatch_sync)(request, *args, **kwargs)
            drf_request.accepted_renderer, drf_request.accepted_media_type = renderer, media_type
            drf_request.version, drf_request.versioning_scheme = self.determine_version(drf_request, *args, **kwargs)
            drf_request._not_authenticated()  # what the authenticators conclude without credentials
            self.check_permissions(drf_request)
            await self._check_throttles_async(drf_request)
            response = await handler(drf_request, *args, **kwargs)
        except Exception as exc:  # DRF's handle_exception decides, as in APIView.dispatch
            response = self.handle_exception(exc)
        self.response = self.finalize_response(drf_request, response, *args, **kwargs)
        return response_detached(self.response)

    def _dispatch_sync(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return response_detached(super().dispatch(request, *args, **kwargs))

    async def _check_throttles_async(self, request: Request) -> None:
        """``APIView.check_throttles`` with each throttle's ``aallow_request`` awaited when it has one."""
        waits: list[float | None] = []
        for throttle in self.get_throttles():
            check = getattr(throttle, "aallow_request", None)
            allowed = (
                await check(request, self) if check else await sync_to_async(throttle.allow_request)(request, self)
            )
            if not allowed:
                waits.append(throttle.wait())
        if waits:
            # DRF's own type hint says float; it accepts None (no Retry-After), as check_throttles passes.
            self.throttled(request, max((wait for wait in waits if wait is not None), default=None))  # type: ignore[arg-type]
