"""Request ids: taken from a trusted proxy or generated, answered in X-Request-ID, on every log line of the request,
on the outbox rows it writes and on the log lines of the e-mail task it causes."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from rest_framework.test import APIClient

from config.celery import app as celery_app
from core.logging import get_logger, logging_config, structured_formatter
from emails.models import OutboxMessage
from emails.outbox import outbox_relay
from tests.support import celery_worker, wait_for_mail

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Every log line written while the test runs, rendered as production renders it (one JSON object a line)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structured_formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.django_db
def test_a_request_gets_a_new_id_answered_in_the_response(api_client: APIClient) -> None:
    first = api_client.get("/api/v1/products/")["X-Request-ID"]
    second = api_client.get("/api/v1/products/")["X-Request-ID"]
    assert GENERATED.fullmatch(first)
    assert GENERATED.fullmatch(second)
    assert first != second


@pytest.mark.django_db
def test_the_id_of_a_trusted_proxy_is_kept_and_anyone_elses_replaced(api_client: APIClient, settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    from_proxy = api_client.get("/healthz", REMOTE_ADDR="10.0.0.2", HTTP_X_REQUEST_ID="edge-42.a:b")
    assert from_proxy["X-Request-ID"] == "edge-42.a:b"
    from_client = api_client.get("/healthz", REMOTE_ADDR="192.0.2.7", HTTP_X_REQUEST_ID="edge-42")
    assert GENERATED.fullmatch(from_client["X-Request-ID"])
    not_an_id = api_client.get("/healthz", REMOTE_ADDR="10.0.0.2", HTTP_X_REQUEST_ID="a b<script>")
    assert GENERATED.fullmatch(not_an_id["X-Request-ID"])
    too_long = api_client.get("/healthz", REMOTE_ADDR="10.0.0.2", HTTP_X_REQUEST_ID="x" * 129)
    assert GENERATED.fullmatch(too_long["X-Request-ID"])


@pytest.mark.django_db
def test_every_log_line_of_a_request_carries_its_id(api_client: APIClient, json_lines: io.StringIO) -> None:
    response = api_client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    logged = [line for line in lines(json_lines) if line["logger"] == "django.request"]
    assert logged
    assert all(line["request_id"] == response["X-Request-ID"] for line in logged)
    assert logged[0]["level"] == "warning"
    assert "timestamp" in logged[0]
    # Nothing stays bound once the request has been answered.
    get_logger("tests").info("after the request")
    assert "request_id" not in lines(json_lines)[-1]


@pytest.mark.django_db(transaction=True)
def test_the_async_path_binds_the_id_too(json_lines: io.StringIO) -> None:
    response = async_to_sync(AsyncClient().get)("/api/v1/no-such-endpoint/")
    logged = [line for line in lines(json_lines) if line["logger"] == "django.request"]
    assert logged
    assert logged[0]["request_id"] == response["X-Request-ID"]


def test_secrets_never_reach_a_log_line(json_lines: io.StringIO) -> None:
    get_logger("tests").info(
        "sign-in", password="hunter2", token="eyJ.abc", card_token="tok_visa", body="Dear customer", user_id=7
    )
    logging.getLogger("tests").info("stdlib", extra={"Authorization": "Bearer eyJ", "data": {"refresh": "eyJ"}})
    structured, stdlib = lines(json_lines)[-2:]
    assert structured["user_id"] == 7
    assert {structured[key] for key in ("password", "token", "card_token", "body")} == {"[redacted]"}
    assert stdlib["Authorization"] == "[redacted]"
    assert stdlib["data"] == {"refresh": "[redacted]"}
    assert "hunter2" not in json_lines.getvalue()
    assert "eyJ" not in json_lines.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_outbox_row_and_the_in_process_delivery_carry_the_request_id(json_lines: io.StringIO) -> None:
    email = f"rid-{time.time_ns()}@example.com"
    response = APIClient().post("/api/v1/auth/register/", {"email": email, "password": "S3cure-pass-word"})
    assert response.status_code == 202
    request_id = response["X-Request-ID"]
    assert OutboxMessage.objects.get(payload__to=[email]).request_id == request_id
    sent = [line for line in lines(json_lines) if line["event"] == "outbox message sent"]
    assert len(sent) == 1
    assert sent[0]["request_id"] == request_id


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_one_request_id_from_the_response_to_the_email_tasks_log_line(
    tmp_path: Any, monkeypatch: Any, settings: Any
) -> None:
    """Request -> outbox row -> relay -> broker (task header) -> a real worker process, logging JSON."""
    monkeypatch.setattr(celery_app.conf, "task_always_eager", False)
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    mail_dir = tmp_path / "mail"
    email = f"rid-worker-{time.time_ns()}@example.com"
    with celery_worker(mail_dir, LOG_FORMAT="json") as worker:
        response = APIClient().post("/api/v1/auth/register/", {"email": email, "password": "S3cure-pass-word"})
        assert response.status_code == 202
        assert outbox_relay() == 1
        wait_for_mail(mail_dir, email)
    assert worker.stdout is not None
    output = worker.stdout.read().decode()
    logged = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    sent = [line for line in logged if line.get("event") == "outbox message sent"]
    assert len(sent) == 1, output[-5000:]
    assert sent[0]["request_id"] == response["X-Request-ID"]
    assert sent[0]["task"] == "emails.outbox_deliver"
    assert email not in json.dumps(sent[0])


def test_a_task_published_during_a_request_carries_its_id_in_the_headers() -> None:
    from core.task_context import _bind_task_context, _request_id_to_headers, _unbind_task_context

    headers: dict[str, Any] = {}
    with structlog.contextvars.bound_contextvars(request_id="abc123"):
        _request_id_to_headers(headers=headers)
    assert headers == {"request_id": "abc123"}

    class Task:
        name = "emails.outbox_deliver"
        request = type("Request", (), {"request_id": "abc123"})()

    _bind_task_context(task_id="t-1", task=Task())
    assert structlog.contextvars.get_contextvars() == {
        "task": "emails.outbox_deliver",
        "task_id": "t-1",
        "request_id": "abc123",
    }
    _unbind_task_context(task_id="t-1")
    assert structlog.contextvars.get_contextvars() == {}


def test_log_format_json_or_console_and_nothing_else() -> None:
    record = logging.LogRecord("shop", logging.INFO, __file__, 1, "placed %s", ("order",), None)
    assert json.loads(structured_formatter("json").format(record))["event"] == "placed order"
    assert "placed order" in structured_formatter("console").format(record)
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logging_config(fmt="xml", level="INFO")
