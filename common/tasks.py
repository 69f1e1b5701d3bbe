from typing import Any

from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(
    name="common.send_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def send_email(*, to: list[str], subject: str, body: str, html: str | None = None, **_: Any) -> None:
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
