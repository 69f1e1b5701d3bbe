import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class BaseModel(models.Model):
    """UUID primary key plus creation/update timestamps, shared by every domain table."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IdempotencyKeyState(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class IdempotencyKey(BaseModel):
    """A client's ``Idempotency-Key`` for one unsafe request, scoped to the user (see ``common.idempotency``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2048)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(
        max_length=16, choices=IdempotencyKeyState.choices, default=IdempotencyKeyState.IN_PROGRESS
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        db_table = "idempotency_keys"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_keys_user_key_unique"),
            models.CheckConstraint(
                condition=models.Q(state__in=IdempotencyKeyState.values), name="idempotency_keys_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}] ({self.state})"


class OutboxState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    DEAD = "dead", "Dead"


class OutboxMessage(BaseModel):
    """An e-mail written in the same transaction as the change that causes it (transactional outbox).

    The relay (``common.outbox.outbox_relay``) hands due rows to Celery; the worker delivers each row at
    most once (``common.outbox.outbox_deliver`` locks the row and skips it once sent).
    """

    kind = models.CharField(max_length=32, default="email")
    idempotency_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    state = models.CharField(max_length=16, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

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
