"""Broker unreachable: requests never touch it, and the e-mails go out exactly once when it is back."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from kombu.exceptions import OperationalError
from rest_framework.test import APIClient

from config.celery import app as celery_app
from emails.models import OutboxMessage, OutboxState
from emails.outbox import outbox_deliver, outbox_relay
from tests.support import celery_worker, mails_to, wait_for_mail


class BlackHole:
    """A TCP port that accepts connections and never answers; counts who knocked."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.connections = 0
        self._open: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            self._open.append(conn)

    @contextmanager
    def running(self) -> Iterator["BlackHole"]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()
            for conn in self._open:
                conn.close()
            self.sock.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_register_during_broker_outage_then_mail_once(tmp_path, monkeypatch, settings):
    monkeypatch.setattr(celery_app.conf, "task_always_eager", False)
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    real_broker = settings.CELERY_BROKER_URL
    emails = [f"outage-{i}-{time.time_ns()}@example.com" for i in range(3)]

    with BlackHole().running() as hole:
        settings.CELERY_BROKER_URL = hole.url
        for email in emails:
            response = APIClient().post("/api/v1/auth/register/", {"email": email, "password": "S3cure-pass-word"})
            assert response.status_code == 202
        assert hole.connections == 0  # no request published anything
        with pytest.raises(OperationalError):
            outbox_relay()  # the relay is where the outage shows, and its claim rolls back
    pending = OutboxMessage.objects.filter(state=OutboxState.PENDING)
    assert pending.count() == len(emails)
    assert all(message.attempts == 0 for message in pending)

    settings.CELERY_BROKER_URL = real_broker
    mail_dir = tmp_path / "mail"
    with celery_worker(mail_dir):
        assert outbox_relay() == len(emails)
        assert outbox_relay() == 0  # published rows are not due again until their backoff passes
        for email in emails:
            wait_for_mail(mail_dir, email)
    for message in OutboxMessage.objects.all():
        assert message.state == OutboxState.SENT
        assert outbox_deliver(message_id=str(message.pk)) is False  # a redelivered task sends nothing
    for email in emails:
        assert len(mails_to(mail_dir, email)) == 1
