"""The API documentation pages: Swagger UI and ReDoc from our own static files, under a strict CSP.

The policy is set by a small decorator rather than django-csp: only these pages carry one, and a middleware
would run on every API request to add nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

# ReDoc (the pinned sidecar bundle) inserts two <style> elements at run time: styled-components' own, created
# empty and filled through the CSSOM (which CSP does not govern), and the scrollbar's fixed stylesheet. Their
# hashes admit exactly those two and nothing else; a new bundle with other styles fails the browser test.
REDOC_STYLE_HASHES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # an empty <style>
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",  # perfect-scrollbar's stylesheet
)


def _policy(*, style_src: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {style_src}",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# Scripts, styles, fonts and XHR from our own origin only. ReDoc renders its search index in a web worker built
# from a blob: URL, and both UIs draw icons from data: URIs.
SWAGGER_CONTENT_SECURITY_POLICY = _policy(style_src="'self'")
REDOC_CONTENT_SECURITY_POLICY = _policy(style_src=" ".join(["'self'", *REDOC_STYLE_HASHES]))


View = Callable[..., HttpResponseBase]


def content_security_policy(policy: str) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            response = view(request, *args, **kwargs)
            response["Content-Security-Policy"] = policy
            return response

        return wrapped

    return decorate


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served from this same URL (``?script``): no inline script."""

    template_name = "docs/swagger_ui.html"


class RedocView(SpectacularRedocView):
    template_name = "docs/redoc.html"


def swagger_view(url_name: str) -> View:
    return content_security_policy(SWAGGER_CONTENT_SECURITY_POLICY)(SwaggerView.as_view(url_name=url_name))


def redoc_view(url_name: str) -> View:
    return content_security_policy(REDOC_CONTENT_SECURITY_POLICY)(RedocView.as_view(url_name=url_name))
