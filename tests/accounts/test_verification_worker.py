"""The verification e-mail end to end: outbox row, relay, real Redis broker, real Celery worker process."""

import time

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from config.celery import app as celery_app
from emails.outbox import outbox_relay
from tests.support import celery_worker, wait_for_mail


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_verification_mail_sent_by_real_worker(tmp_path, monkeypatch, settings):
    monkeypatch.setattr(celery_app.conf, "task_always_eager", False)
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    mail_dir = tmp_path / "mail"
    with celery_worker(mail_dir):
        email = f"worker-{time.time_ns()}@example.com"
        response = APIClient().post("/api/v1/auth/register/", {"email": email, "password": "S3cure-pass-word"})
        assert response.status_code == 202
        assert outbox_relay() == 1  # what the beat schedule runs every few seconds
        message = wait_for_mail(mail_dir, email)
    token = message.split("token to the API: ")[1].split()[0]
    verify = APIClient().post("/api/v1/auth/verify-email/", {"token": token})
    assert verify.status_code == 200
    assert User.objects.get(email=email).is_verified
