from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from emails.models import OutboxMessage
from emails.outbox import outbox_deliver, outbox_email_add, outbox_email_build


def _rendered(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    subject = " ".join(render_to_string(f"email/{template}.subject.txt", context).split())
    body = render_to_string(f"email/{template}.txt", context).strip() + "\n"
    html = render_to_string(f"email/{template}.html", context)
    return subject[:200], body, html


def email_enqueue(*, to: list[str], template: str, context: dict[str, Any], idempotency_key: str | None = None) -> None:
    """Render ``templates/email/<template>.{subject.txt,txt,html}`` and record it in the transactional outbox.

    Every e-mail of the project goes through here (or through ``email_build`` + ``email_written``), so delivery
    policy lives in one place. Rendering happens now, inside the caller's transaction, so the worker needs no
    database state. Nothing is published to the broker here: a broker outage can neither fail nor slow the
    request; a worker sends the mail once the transaction has committed.
    """
    subject, body, html = _rendered(template, context)
    message = outbox_email_add(to=to, subject=subject, body=body, html=html, idempotency_key=idempotency_key)
    email_written(message)


def email_build(*, to: list[str], template: str, context: dict[str, Any], idempotency_key: str) -> OutboxMessage:
    """``email_enqueue``'s rendered outbox row, unsaved: for a caller that inserts it with its own rows in one
    statement (order placement). The key must be new (it is not looked up); call ``email_written`` once the row
    is inserted, inside the same transaction."""
    subject, body, html = _rendered(template, context)
    return outbox_email_build(to=to, subject=subject, body=body, html=html, idempotency_key=idempotency_key)


def email_written(message: OutboxMessage) -> None:
    """An outbox row was written in the current transaction."""
    if settings.OUTBOX_DELIVER_ON_COMMIT:
        # Test settings only: deliver right after commit in-process, so tests need neither broker nor relay.
        transaction.on_commit(lambda: outbox_deliver(message_id=str(message.pk)))
