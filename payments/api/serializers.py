from typing import Any

from rest_framework import serializers

from api.serializers import StrictFieldsMixin
from payments.models import Payment
from payments.providers import provider_names


class PayInputSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    """The charge amount is never sent: it is always the order total at charge time."""

    provider = serializers.ChoiceField(choices=[])
    payment_token = serializers.CharField(max_length=255, trim_whitespace=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read at instantiation so the choices follow settings.PAYMENT_PROVIDERS (and overrides in tests).
        self.fields["provider"].choices = provider_names()  # type: ignore[attr-defined]


class PaymentSerializer(serializers.ModelSerializer[Payment]):
    order_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Payment
        fields = (
            "id",
            "order_id",
            "provider",
            "transaction_id",
            "status",
            "amount",
            "currency",
            "failure_code",
            "failure_message",
            "created_at",
        )
        read_only_fields = fields


class WebhookEventInputSerializer(serializers.Serializer[Any]):
    """Documents the event body; the view reads the raw bytes because the signature covers them."""

    id = serializers.CharField(max_length=255)
    type = serializers.CharField(max_length=64, help_text="payment.succeeded | payment.refunded | other (ignored)")
    # DRF's metaclass removes declared fields from the class, so this does not shadow Serializer.data.
    data = serializers.DictField(  # type: ignore[assignment]
        help_text='{"transaction_id", "amount" (decimal string), "currency", "metadata": {"payment_id"}}'
    )


class WebhookAckSerializer(serializers.Serializer[Any]):
    received = serializers.BooleanField()
    event_id = serializers.CharField()
    duplicate = serializers.BooleanField()
    outcome = serializers.CharField()
