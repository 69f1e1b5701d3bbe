import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("config.redis")


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"

    def ready(self) -> None:
        # One line at startup saying which Redis database each role uses (REDIS_URL may name the first one).
        roles = ", ".join(f"{role} {settings.REDIS_BASE_DB + index}" for index, role in enumerate(settings.REDIS_ROLES))
        logger.info("Redis databases from REDIS_URL: %s (a role's own *_URL setting overrides it).", roles)

        from core.metrics import register_scrape_collector
        from core.task_metrics import QueueDepth

        register_scrape_collector(QueueDepth(ttl=settings.METRICS_QUERY_TTL))
