from django.apps import AppConfig


class EmailsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "emails"

    def ready(self) -> None:
        from django.conf import settings

        from core.metrics import register_scrape_collector
        from emails.metrics import OutboxGauges

        register_scrape_collector(OutboxGauges(ttl=settings.METRICS_QUERY_TTL))
