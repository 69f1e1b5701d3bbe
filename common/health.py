"""Health checks built on django-health-check's backends, reported as ``{database, cache, broker}``."""

from __future__ import annotations

from django.conf import settings
from health_check.backends import BaseHealthCheckBackend
from health_check.cache.backends import CacheBackend
from health_check.contrib.db_heartbeat.backends import DatabaseHeartBeatCheck
from health_check.exceptions import ServiceUnavailable


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
