"""Transactional outbox for e-mail: nothing is published to the broker inside a request.

* ``outbox_email_add`` writes a row in the caller's transaction: if the change rolls back, so does the e-mail.
* ``outbox_relay`` (a beat task every few seconds) claims due rows with ``FOR UPDATE SKIP LOCKED`` so several
  relays never publish the same row at once, publishes one Celery task per row, and pushes the row's next attempt
  out with exponential backoff and jitter. A row whose attempts run out is marked dead (admin action: retry).
* ``outbox_deliver`` (the task) locks its row, skips it if already sent, sends, marks it sent: a redelivered or
  republished task sends nothing twice. Each message carries its key as the ``Message-ID`` seed too.
"""

from __future__ import annotations

import logging
import random
import uuid
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from core.logging import current_request_id, get_logger
from emails.metrics import DELIVERIES
from emails.models import OutboxMessage, OutboxState

logger = logging.getLogger(__name__)
log = get_logger(__name__)


def outbox_backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` publishes: base·2^(n-1), capped, with ±25 % jitter."""
    base = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    capped = min(base, settings.OUTBOX_RETRY_MAX_SECONDS)
    return timedelta(seconds=capped * random.uniform(0.75, 1.25))  # noqa: S311  # jitter, not crypto


def outbox_email_build(
    *, to: list[str], subject: str, body: str, html: str | None = None, idempotency_key: str | None = None
) -> OutboxMessage:
    """An unsaved outbox row for an e-mail, for a caller that writes it together with its own rows (in the same
    transaction, e.g. ``core.db.insert_together``); ``outbox_email_add`` saves one by itself."""
    return OutboxMessage(
        idempotency_key=idempotency_key or f"email:{uuid.uuid4()}",
        kind="email",
        payload={"to": to, "subject": subject, "body": body, "html": html},
        next_attempt_at=timezone.now(),
        request_id=current_request_id(),
    )


def outbox_email_add(
    *, to: list[str], subject: str, body: str, html: str | None = None, idempotency_key: str | None = None
) -> OutboxMessage:
    """Record an e-mail to send; call inside the transaction of the change that causes it."""
    built = outbox_email_build(to=to, subject=subject, body=body, html=html, idempotency_key=idempotency_key)
    message, _ = OutboxMessage.objects.get_or_create(
        idempotency_key=built.idempotency_key,
        defaults={
            "kind": built.kind,
            "payload": built.payload,
            "next_attempt_at": built.next_attempt_at,
            "request_id": built.request_id,
        },
    )
    return message


def outbox_relay(*, batch_size: int = 100) -> int:
    """Publish due messages to the e-mail queue; returns how many were handed to the broker.

    A broker outage raises out of here (the rows stay due and are retried by the next run); it never touches a
    request.
    """
    from config.celery import app
    from emails.tasks import outbox_deliver_task

    published = 0
    with transaction.atomic(), app.connection_for_write(settings.CELERY_BROKER_URL) as connection:
        producer = app.amqp.Producer(connection)
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(state=OutboxState.PENDING, next_attempt_at__lte=timezone.now())
            .order_by("next_attempt_at")[:batch_size]
        )
        for message in due:
            if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                message.state = OutboxState.DEAD
                message.last_error = message.last_error or "no delivery after the maximum number of attempts"
                message.save(update_fields=["state", "last_error", "updated_at"])
                logger.error("outbox message %s is dead after %s attempts", message.pk, message.attempts)
                continue
            message.attempts += 1
            message.next_attempt_at = timezone.now() + outbox_backoff(message.attempts)
            message.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
            # Published before commit: if the broker refuses, the whole claim rolls back and stays due.
            # If the process dies after publishing, the delivered task still finds its row (state check).
            outbox_deliver_task.apply_async(
                args=[str(message.pk)], producer=producer, retry=False, headers={"request_id": message.request_id}
            )
            published += 1
    return published


def outbox_deliver(*, message_id: str) -> bool:
    """Send one message unless it was already sent; returns True when this call sent it."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.state != OutboxState.PENDING:
            return False
        with structlog.contextvars.bound_contextvars(
            **({"request_id": message.request_id} if message.request_id else {}), outbox_message_id=str(message.pk)
        ):
            return _deliver_locked(message)


def _deliver_locked(message: OutboxMessage) -> bool:
    try:
        _send(message.payload, message_key=message.idempotency_key)
    except Exception as exc:  # any mail-server failure: keep the row pending for the relay's next try
        message.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
        message.save(update_fields=["last_error", "updated_at"])
        DELIVERIES.labels("failed").inc()
        log.warning("outbox message failed", error=f"{exc.__class__.__name__}: {exc}", attempts=message.attempts)
        return False
    message.state = OutboxState.SENT
    message.sent_at = timezone.now()
    message.last_error = ""
    message.save(update_fields=["state", "sent_at", "last_error", "updated_at"])
    DELIVERIES.labels("sent").inc()
    log.info("outbox message sent", kind=message.kind, attempts=message.attempts)
    return True


def outbox_dead_count() -> int:
    """Messages that ran out of attempts and wait for someone to retry them."""
    return OutboxMessage.objects.filter(state=OutboxState.DEAD).count()


def outbox_retry(*, message_ids: list[Any]) -> int:
    """Put dead (or stuck) messages back in the queue with a fresh attempt budget."""
    return (
        OutboxMessage.objects.filter(pk__in=message_ids)
        .exclude(state=OutboxState.SENT)
        .update(state=OutboxState.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error="")
    )


def _send(payload: dict[str, Any], *, message_key: str) -> None:
    message = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        to=payload["to"],
        headers={"X-Idempotency-Key": message_key},
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    message.send()
