"""The verification e-mail end to end through a real Celery worker process and the real Redis broker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User
from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent.parent


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_for_mail(directory: Path, recipient: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in directory.glob("*.log"):
            text = path.read_text()
            if f"To: {recipient}" in text:
                return text
        time.sleep(0.2)
    raise AssertionError(f"no e-mail to {recipient} within {timeout}s")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_verification_mail_sent_by_real_worker(tmp_path, monkeypatch):
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "solo",
            "-Q",
            "celery",
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    monkeypatch.setattr(celery_app.conf, "task_always_eager", False)
    try:
        email = f"worker-{time.time_ns()}@example.com"
        response = APIClient().post("/api/v1/auth/register/", {"email": email, "password": "S3cure-pass-word"})
        assert response.status_code == 201
        message = _wait_for_mail(mail_dir, email)
        token = message.split("token to the API: ")[1].split()[0]
        verify = APIClient().post("/api/v1/auth/verify-email/", {"token": token})
        assert verify.status_code == 200
        assert User.objects.get(email=email).is_verified
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
    assert b"ready" in output
