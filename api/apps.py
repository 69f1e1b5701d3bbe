from django.apps import AppConfig


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"

    def ready(self) -> None:
        from api.checks import recognise_middleware_subclasses

        recognise_middleware_subclasses()
