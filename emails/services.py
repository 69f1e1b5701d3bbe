from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from emails.outbox import outbox_deliver, outbox_email_add


def email_enqueue(*, to: list[str], template: str, context: dict[str, Any], idempotency_key: str | None = None) -> None:
    """Render ``templates/email/<template>.{subject.txt,txt,html}`` and record it in the transactional outbox.

    Every e-mail of the project goes through here, so delivery policy lives in one place. Rendering happens now,
    inside the caller's transaction, so the worker needs no database state. Nothing is published to the broker
    here: a broker outage can neither fail nor slow the request; a worker sends the mail once the transaction
    has committed.
    """
    subject = " ".join(render_to_string(f"email/{template}.subject.txt", context).split())
    body = render_to_string(f"email/{template}.txt", context).strip() + "\n"
    html = render_to_string(f"email/{template}.html", context)
    message = outbox_email_add(to=to, subject=subject[:200], body=body, html=html, idempotency_key=idempotency_key)
    if settings.OUTBOX_DELIVER_ON_COMMIT:
        # Test settings only: deliver right after commit in-process, so tests need neither broker nor relay.
        transaction.on_commit(lambda: outbox_deliver(message_id=str(message.pk)))
