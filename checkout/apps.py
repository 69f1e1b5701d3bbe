from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    """The use cases that span apps (cart -> order, cart merge at login); it sits above all of them."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "checkout"
