from django.apps import AppConfig


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"

    def ready(self) -> None:
        from django.conf import settings

        from catalog.metrics import LowStockGauge
        from core.metrics import register_scrape_collector

        register_scrape_collector(LowStockGauge(ttl=settings.METRICS_QUERY_TTL))
