from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from emails.models import OutboxMessage, OutboxState
from emails.outbox import outbox_backoff, outbox_deliver, outbox_relay, outbox_retry
from emails.services import email_enqueue

pytestmark = pytest.mark.django_db


def test_email_enqueue_renders_text_and_html(settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email_enqueue(
            to=["a@example.com"],
            template="password_reset",
            context={"uid": "u1", "token": "t<1>", "link": "https://shop.example/reset?x=1&y=2"},
        )
    message = mail.outbox[-1]
    assert message.subject == "Reset your password"
    assert "token: t<1>" in message.body  # the text part is not HTML-escaped
    assert "https://shop.example/reset?x=1&y=2" in message.body
    html, mimetype = message.alternatives[0]  # type: ignore[attr-defined]  # EmailMultiAlternatives
    assert mimetype == "text/html"
    assert "t&lt;1&gt;" in html  # the HTML part is
    assert message.extra_headers["X-Idempotency-Key"].startswith("email:")


def test_rolled_back_change_sends_no_mail(settings):
    from django.db import transaction

    settings.OUTBOX_DELIVER_ON_COMMIT = False

    def change_that_fails() -> None:
        with transaction.atomic():
            email_enqueue(to=["a@example.com"], template="low_stock", context={"products": []})
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not OutboxMessage.objects.exists()


def test_same_idempotency_key_is_one_message(settings):
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    for _ in range(3):
        email_enqueue(to=["a@example.com"], template="low_stock", context={"products": []}, idempotency_key="k1")
    assert OutboxMessage.objects.count() == 1


def test_deliver_sends_once():
    message = OutboxMessage.objects.create(
        idempotency_key="k",
        payload={"to": ["b@example.com"], "subject": "s", "body": "b", "html": None},
        next_attempt_at=timezone.now(),
    )
    assert outbox_deliver(message_id=str(message.pk)) is True
    assert outbox_deliver(message_id=str(message.pk)) is False
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.state == OutboxState.SENT
    assert message.sent_at is not None


def test_failed_send_stays_pending_with_error(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1
    message = OutboxMessage.objects.create(
        idempotency_key="k",
        payload={"to": ["b@example.com"], "subject": "s", "body": "b", "html": None},
        next_attempt_at=timezone.now(),
    )
    assert outbox_deliver(message_id=str(message.pk)) is False
    message.refresh_from_db()
    assert message.state == OutboxState.PENDING
    assert "ConnectionRefusedError" in message.last_error


def test_relay_backoff_grows_and_dead_letters(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # every send fails
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1
    message = OutboxMessage.objects.create(
        idempotency_key="k",
        payload={"to": ["b@example.com"], "subject": "s", "body": "b", "html": None},
        next_attempt_at=timezone.now(),
    )
    delays = []
    for _ in range(3):
        before = timezone.now()
        assert outbox_relay() == 1  # eager in tests: the task runs and fails
        message.refresh_from_db()
        delays.append(message.next_attempt_at - before)
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert delays[0] < delays[1] < delays[2]
    assert outbox_relay() == 0
    message.refresh_from_db()
    assert message.state == OutboxState.DEAD
    assert message.attempts == 3

    assert outbox_retry(message_ids=[message.pk]) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxState.PENDING, 0)


def test_backoff_is_capped_and_jittered(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS = 30, 600
    assert timedelta(seconds=22.5) <= outbox_backoff(1) <= timedelta(seconds=37.5)
    assert outbox_backoff(20) <= timedelta(seconds=750)
    assert len({outbox_backoff(3) for _ in range(20)}) > 1


def test_admin_retry_action(admin_user):
    message = OutboxMessage.objects.create(
        idempotency_key="dead",
        payload={"to": ["b@example.com"], "subject": "s", "body": "b", "html": None},
        next_attempt_at=timezone.now(),
        state=OutboxState.DEAD,
        attempts=8,
    )
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        "/admin/emails/outboxmessage/", {"action": "retry", "_selected_action": [str(message.pk)]}, follow=True
    )
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.state == OutboxState.PENDING
