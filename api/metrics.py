"""HTTP metrics and the ``/metrics`` endpoint.

``http_requests_total`` and ``http_request_duration_seconds`` are labelled by route *template*
(``/api/v1/products/{pk}/``, never the raw path: one series per route, whatever the ids), method and status class;
``http_requests_in_flight`` is the number of requests being answered now, summed over the live workers.

``/metrics`` is not public: it answers a client on ``METRICS_ALLOWED_NETWORKS`` (CIDRs; the client as
:mod:`api.client_ip` sees it) or one sending ``Authorization: Bearer <METRICS_TOKEN>``; everyone else gets a 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache
from time import perf_counter
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from prometheus_client import Counter, Gauge, Histogram

from api.client_ip import client_ip
from api.error_codes import ApiErrorCode
from api.hybrid_middleware import HybridMiddleware
from core.metrics import CONTENT_TYPE_LATEST, exposition

REQUESTS = Counter(
    "http_requests",
    "HTTP requests answered, by route template, method and status class.",
    ["route", "method", "status"],
)
DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
IN_FLIGHT = Gauge(
    "http_requests_in_flight",
    "HTTP requests being answered now.",
    multiprocess_mode="livesum",
)
# Counted by the throttles themselves (api.throttling), once per refusal by each scope that refused.
THROTTLED = Counter("http_throttled", "Requests refused by a rate limit, by throttle scope.", ["scope"])

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_PARAMETER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
UNMATCHED = "unmatched"


@lru_cache(maxsize=2048)
def route_template(route: str) -> str:
    """``api/v1/products/<int:pk>/`` -> ``/api/v1/products/{pk}/``."""
    return "/" + _PARAMETER.sub(r"{\1}", route)


def route_label(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        # No URL pattern answered (a 404, a static file, a refusal before routing): one series for all of them.
        if request.path_info.startswith(f"/{settings.STATIC_URL.strip('/')}/"):
            return f"/{settings.STATIC_URL.strip('/')}/{{path}}"
        return UNMATCHED
    return route_template(match.route)


class MetricsMiddleware(HybridMiddleware):
    """First in MIDDLEWARE, so every answer is counted (refusals and static files too); sync and async, with no
    thread hop under ASGI. Off (not in the stack at all) when ``METRICS_ENABLED`` is false."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        if not settings.METRICS_ENABLED:
            raise MiddlewareNotUsed
        super().__init__(get_response)

    def sync_call(self, request: HttpRequest) -> HttpResponseBase:
        started = perf_counter()
        IN_FLIGHT.inc()
        try:
            response: HttpResponseBase = self.get_response(request)
        finally:
            IN_FLIGHT.dec()
        self._observe(request, response.status_code, perf_counter() - started)
        return response

    async def async_call(self, request: HttpRequest) -> HttpResponseBase:
        started = perf_counter()
        IN_FLIGHT.inc()
        try:
            response = await self.get_response_async(request)
        finally:
            IN_FLIGHT.dec()
        self._observe(request, response.status_code, perf_counter() - started)
        return response

    def _observe(self, request: HttpRequest, status: int, seconds: float) -> None:
        request_observe(route_label(request), str(request.method), status, seconds)


# (route, method, status class) -> the labelled children: labels() validates and locks on every call.
_children: dict[tuple[str, str, str], tuple[Any, Any]] = {}


def request_observe(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request (``route``: a template from :func:`route_template`, or a label of this module).

    The middleware counts what Django answers; an ASGI layer answering before Django counts its own answers here.
    """
    key = (route, method if method in _METHODS else "other", f"{status // 100}xx")
    children = _children.get(key)
    if children is None:
        children = (REQUESTS.labels(*key), DURATION.labels(key[0], key[1]))
        _children[key] = children
    children[0].inc()
    children[1].observe(seconds)


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def scrape_allowed(request: HttpRequest) -> bool:
    token = str(settings.METRICS_TOKEN)
    if token:
        scheme, _, credentials = str(request.META.get("HTTP_AUTHORIZATION", "")).partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), token.encode()):
            return True
    networks = _networks(tuple(settings.METRICS_ALLOWED_NETWORKS))
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in networks)


def metrics_view(request: HttpRequest) -> HttpResponseBase:
    if not scrape_allowed(request):
        return JsonResponse(
            {
                "type": "client_error",
                "errors": [
                    {
                        "code": ApiErrorCode.PERMISSION_DENIED,
                        "detail": "Metrics are answered to the configured networks or with the metrics token.",
                        "attr": None,
                    }
                ],
            },
            status=403,
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
