"""The health endpoint and its checks (django-health-check backends), reported as ``{database, cache, broker}``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from health_check.backends import BaseHealthCheckBackend
from health_check.cache.backends import CacheBackend
from health_check.contrib.db_heartbeat.backends import DatabaseHeartBeatCheck
from health_check.exceptions import ServiceUnavailable
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class BrokerHealthCheck(BaseHealthCheckBackend):
    """Connects to the Celery broker through kombu (whatever transport the URL names), with one try."""

    critical_service = False

    def check_status(self) -> None:
        from config.celery import app

        try:
            with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
                conn.ensure_connection(max_retries=1, timeout=1)
        except Exception as exc:  # kombu raises transport-specific errors
            raise ServiceUnavailable(f"Broker unreachable: {exc.__class__.__name__}") from exc


class CatalogCacheHealthCheck(CacheBackend):
    # The catalog cache fails open: the site keeps working without it, so it is not critical.
    critical_service = False

    def __init__(self) -> None:
        super().__init__(backend="default")


class DatabaseHealthCheck(DatabaseHeartBeatCheck):
    critical_service = True


CHECKS: dict[str, type[BaseHealthCheckBackend]] = {
    "database": DatabaseHealthCheck,
    "cache": CatalogCacheHealthCheck,
    "broker": BrokerHealthCheck,
}


def health_report() -> tuple[str, dict[str, str]]:
    """Run every check: ``ok``; ``degraded`` when a non-critical one (cache, broker) failed; ``unavailable``
    when a critical one (the database) failed. Each component reports ``ok`` or its failure."""
    report: dict[str, str] = {}
    overall = "ok"
    for name, check_class in CHECKS.items():
        check = check_class()
        check.run_check()
        report[name] = "ok" if not check.errors else str(check.pretty_status())
        if check.errors:
            if check.critical_service:
                overall = "unavailable"
            elif overall == "ok":
                overall = "degraded"
    return overall, report


class HealthView(APIView):
    """Liveness and dependencies: 200 while the database answers (``status: degraded`` and ``failing`` naming the
    cache or broker when one is down), 503 when the database does not answer."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []

    @extend_schema(
        description="Liveness and dependencies: 200 while the database answers, 503 when it does not.",
        responses={
            200: inline_serializer(
                "Health",
                {
                    "status": serializers.CharField(help_text="`ok`, or `degraded` when the cache or broker is down."),
                    "failing": serializers.ListField(
                        child=serializers.CharField(), required=False, help_text="The components that are down."
                    ),
                    "database": serializers.CharField(),
                    "cache": serializers.CharField(),
                    "broker": serializers.CharField(),
                },
            ),
            503: inline_serializer("HealthDown", {"status": serializers.CharField()}),
        },
        auth=[],
    )
    def get(self, request: Request) -> Response:
        overall, report = health_report()
        degraded = [name for name, state in report.items() if state != "ok"]
        body: dict[str, Any] = {"status": overall, **report}
        if degraded:
            body["failing"] = degraded
        return Response(body, status=503 if overall == "unavailable" else 200)
