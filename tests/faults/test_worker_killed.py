"""A worker killed in the middle of sending: the e-mail still goes out, once, after a restart."""

import os
import signal
import time

import pytest
from rest_framework.test import APIClient

from config.celery import app as celery_app
from emails.models import OutboxMessage, OutboxState
from emails.outbox import outbox_deliver, outbox_relay
from tests.support import celery_worker, mails_to, wait_for_mail


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_send_mail_sent_once_after_restart(tmp_path, monkeypatch, settings):
    monkeypatch.setattr(celery_app.conf, "task_always_eager", False)
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    settings.OUTBOX_RETRY_BASE_SECONDS = 1
    mail_dir = tmp_path / "mail"
    email = f"killed-{time.time_ns()}@example.com"
    assert APIClient().post("/api/v1/auth/register/", {"email": email, "password": "S3cure-pass-word"}).status_code
    message = OutboxMessage.objects.get()

    with celery_worker(mail_dir, EMAIL_BACKEND="tests.slow_mail.SlowEmailBackend", SLOW_MAIL_SECONDS="60") as worker:
        assert outbox_relay() == 1
        deadline = time.monotonic() + 60
        log = b""
        while b"outbox_deliver[" not in log and time.monotonic() < deadline:
            assert worker.stdout is not None
            log += os.read(worker.stdout.fileno(), 4096)
        assert b"outbox_deliver[" in log, log  # the task was received and is running (stalled inside the send)
        time.sleep(0.5)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    message.refresh_from_db()
    assert message.state == OutboxState.PENDING  # the half-done send rolled back with the dead connection
    assert mails_to(mail_dir, email) == []

    time.sleep(1.6)  # past the backoff (1 s base, ±25 % jitter)
    with celery_worker(mail_dir):
        assert outbox_relay() == 1
        wait_for_mail(mail_dir, email)
    message.refresh_from_db()
    assert message.state == OutboxState.SENT
    assert message.attempts == 2
    assert outbox_deliver(message_id=str(message.pk)) is False
    assert len(mails_to(mail_dir, email)) == 1
