from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import BaseModel


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    REFUNDED = "refunded", "Refunded"


class Payment(BaseModel):
    """One charge attempt for an order.

    A ``pending`` row is committed *before* the provider is called, so a concurrent attempt with
    another idempotency key sees the charge in flight (under the order lock) and is refused.
    ``amount`` is copied from ``Order.total_amount`` by the service at charge time; clients never send it.
    """

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=32)
    # Null until the provider answers: a charge that never reached the provider has no id.
    transaction_id = models.CharField(max_length=255, null=True, blank=True)
    status = models.CharField(max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    # The client's Idempotency-Key; the provider receives it scoped to the order (see services).
    idempotency_key = models.CharField(max_length=255)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    # Set (and committed) before a refund is sent, so the provider's `payment.refunded` webhook
    # can tell our own refund from one made in the provider's dashboard.
    refund_requested_at = models.DateTimeField(null=True, blank=True)
    refund_id = models.CharField(max_length=255, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "payments"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["order", "status"], name="payments_order_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["provider", "transaction_id"], name="payments_provider_transaction_unique"),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status=PaymentStatus.SUCCEEDED),
                name="payments_one_succeeded_per_order",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payments_amount_non_negative"),
            models.CheckConstraint(condition=Q(status__in=PaymentStatus.values), name="payments_status_valid"),
            # A succeeded or refunded payment always carries the provider's transaction id.
            models.CheckConstraint(
                condition=~Q(status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED])
                | Q(transaction_id__isnull=False),
                name="payments_settled_has_transaction",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} {self.amount} {self.currency} ({self.status})"


class WebhookEvent(BaseModel):
    """Every verified provider event, stored once: the unique key makes redelivery a no-op."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    # What processing did: applied, already_applied, ignored, unknown_payment, amount_mismatch...
    outcome = models.CharField(max_length=32, blank=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )

    class Meta:
        db_table = "payment_webhook_events"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="payment_webhook_events_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id} {self.event_type} ({self.outcome})"


class FakeChargeOutcome(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    DECLINED = "declined", "Declined"


class FakeCharge(BaseModel):
    """The built-in ``fake`` provider's own ledger (what a real provider keeps on its side).

    Kept in Postgres so every thread and process sees the same charges: the provider's idempotency
    (one charge per key) holds across workers, and tests count real charges here.
    """

    idempotency_key = models.CharField(max_length=255, unique=True)
    transaction_id = models.CharField(max_length=64, unique=True)
    token = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    outcome = models.CharField(max_length=16, choices=FakeChargeOutcome.choices)
    metadata = models.JSONField(default=dict, blank=True)
    refund_id = models.CharField(max_length=64, blank=True)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        db_table = "payment_fake_charges"
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="payment_fake_charges_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.amount} {self.currency} ({self.outcome})"
