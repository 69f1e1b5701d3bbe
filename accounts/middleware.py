"""Turns a log-in lock-out raised outside DRF (the admin log-in form of any AdminSite) into a 429 answer.

DRF views render :class:`LoginLockedOut` through the exception handler (the error envelope); this catches the same
exception from plain Django views, so no admin site needs to know about the lock-out.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin

from accounts.errors import LoginLockedOut


class LoginLockoutMiddleware(MiddlewareMixin):
    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, LoginLockedOut):
            return None
        headers = {"Retry-After": str(exception.retry_after)}
        if request.path.startswith("/api/"):
            body = {"type": "client_error", "errors": exception.as_errors()}
            return JsonResponse(body, status=exception.status_code, headers=headers)
        html = render_to_string("login_locked.html", {"detail": exception.detail}, request=request)
        return HttpResponse(html, status=exception.status_code, headers=headers)
