from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from core.models import BaseModel


class IdempotencyKeyState(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class IdempotencyKey(BaseModel):
    """A client's ``Idempotency-Key`` for one unsafe request, scoped to the user (see ``idempotency.services``)."""

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
