from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from core.models import BaseModel


class OutboxState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    DEAD = "dead", "Dead"


class OutboxMessage(BaseModel):
    """An e-mail written in the same transaction as the change that causes it (transactional outbox).

    The relay (``emails.outbox.outbox_relay``) hands due rows to Celery; the worker delivers each row at
    most once (``emails.outbox.outbox_deliver`` locks the row and skips it once sent).
    """

    kind = models.CharField(max_length=32, default="email")
    idempotency_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    state = models.CharField(max_length=16, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The request that wrote the row (X-Request-ID): sent along with the delivery task, on its log lines.
    request_id = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        db_table = "outbox_messages"
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="outbox_pending_due_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=OutboxState.values), name="outbox_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key} ({self.state})"
