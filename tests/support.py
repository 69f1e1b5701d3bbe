"""Helpers for tests that run real processes (Celery workers) against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def current_database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(mail_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": current_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "OUTBOX_DELIVER_ON_COMMIT": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        **extra,
    }


@contextmanager
def celery_worker(mail_dir: Path, **extra_env: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real worker process on the `celery` and `email` queues; stopped (or killed) on exit."""
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
            "celery,email",
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=worker_env(mail_dir, **extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def mails_to(mail_dir: Path, recipient: str) -> list[str]:
    if not mail_dir.exists():
        return []
    return [text for path in sorted(mail_dir.glob("*.log")) if f"To: {recipient}" in (text := path.read_text())]


def wait_for_mail(mail_dir: Path, recipient: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := mails_to(mail_dir, recipient):
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no e-mail to {recipient} within {timeout}s")
