from django.conf import settings
from django.db import transaction

from common.outbox import outbox_deliver, outbox_email_add


def email_enqueue(
    *, to: list[str], subject: str, body: str, html: str | None = None, idempotency_key: str | None = None
) -> None:
    """Record an e-mail in the transactional outbox; a worker sends it once the transaction has committed.

    Every e-mail of the project goes through here, so delivery policy lives in one place. Nothing is published
    to the broker here: a broker outage can neither fail nor slow the request.
    """
    message = outbox_email_add(to=to, subject=subject, body=body, html=html, idempotency_key=idempotency_key)
    if settings.OUTBOX_DELIVER_ON_COMMIT:
        # Test settings only: deliver right after commit in-process, so tests need neither broker nor relay.
        transaction.on_commit(lambda: outbox_deliver(message_id=str(message.pk)))
