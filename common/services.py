from django.db import transaction

from common.tasks import send_email


def email_enqueue(*, to: list[str], subject: str, body: str, html: str | None = None) -> None:
    """Queue an e-mail to be sent by a worker once the current transaction commits.

    Every e-mail of the project goes through here, so delivery policy lives in one place.
    """
    transaction.on_commit(lambda: send_email.delay(to=to, subject=subject, body=body, html=html))
