"""Traces (OpenTelemetry) and error reports (Sentry), config/observability.py.

Off (no endpoint set): the production entry points import neither library, add no middleware and wrap nothing.
On: the production server sends the spans of a request that reads Postgres and Redis to a real OTLP/HTTP receiver
(a small HTTP server of this test), and an unhandled error reaches a Sentry DSN served by this test, without the
token the request carried."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.conf import settings
from django.urls import resolve

from config.observability import scrub_event
from tests.factories import ProductFactory
from tests.quality.live_server import live_server
from tests.support import ROOT, current_database_url, worker_port

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo0Mn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"


class Receiver:
    """An HTTP server on a port of this test worker that keeps every POST (path, headers, body) and answers 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append((self.path, {key.lower(): value for key, value in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", worker_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, condition: Any, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"not received in {timeout} s: {[path for path, *_ in self.requests]}"
            time.sleep(0.1)


@contextmanager
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    thread = threading.Thread(target=running.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.server.shutdown()
        running.server.server_close()


def clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("OTEL_", "SENTRY_"))}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": current_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        **extra,
    }


# redis-py imports the OpenTelemetry API itself when it is installed (its own metrics, dormant until set up):
# what must stay out is ours, the SDK's tracing, the exporters, the instrumentations and Sentry.
PROBE = """
import json, sys
OURS = ("opentelemetry.instrumentation", "opentelemetry.exporter", "opentelemetry.sdk.trace", "sentry_sdk", "wrapt")
import {entry}
from django.conf import settings
from django.urls import resolve
import psycopg, redis
print(json.dumps({{
    "modules": sorted(name for name in sys.modules if name.startswith(OURS)),
    "tracer_provider": repr(getattr(sys.modules.get("opentelemetry.trace"), "_TRACER_PROVIDER", None)),
    "middleware": settings.MIDDLEWARE,
    "wrapped": [
        name for name, value in (
            ("psycopg.connect", psycopg.connect),
            ("redis.Redis.execute_command", redis.Redis.execute_command),
        ) if hasattr(value, "__wrapped__")
    ],
}}))
"""


@pytest.mark.parametrize("entry", ["config.asgi", "config.wsgi", "config.celery"])
def test_off_nothing_is_imported_added_or_wrapped(entry: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(entry=entry)],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["modules"] == []
    assert probe["tracer_provider"] == "None"
    assert probe["middleware"] == settings.MIDDLEWARE
    assert not any("opentelemetry" in name for name in probe["middleware"])
    assert probe["wrapped"] == []


def spans(receiver: Receiver) -> list[dict[str, Any]]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    found = []
    for path, headers, body in list(receiver.requests):
        assert path == "/v1/traces"
        assert headers["content-type"] == "application/x-protobuf"
        if headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource in request.resource_spans:
            service = {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"]
            for scope in resource.scope_spans:
                for span in scope.spans:
                    attributes = {a.key: a.value.string_value or a.value.int_value for a in span.attributes}
                    found.append(
                        {"name": span.name, "trace": span.trace_id.hex(), "service": service, "attributes": attributes}
                    )
    return found


ROUTE = "api/v1/products/<uuid:pk>/"


def db_system(span: dict[str, Any]) -> str:
    return str(span["attributes"].get("db.system.name") or span["attributes"].get("db.system") or "")


@pytest.mark.slow
def test_on_a_request_reading_postgres_and_redis_is_traced_to_the_otlp_receiver(
    transactional_db: None, tmp_path: Any
) -> None:
    product: Any = ProductFactory()
    assert resolve(f"/api/v1/products/{product.pk}/").route == ROUTE
    with receiver() as otlp:
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url,
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        }
        with live_server(workers=1, env=env) as server:
            with urllib.request.urlopen(f"{server.url}/api/v1/products/{product.pk}/", timeout=10) as response:  # noqa: S310
                assert response.status == 200
                assert response.headers["X-Cache"] == "MISS"  # read from Postgres, stored in Redis

            def complete() -> bool:
                found = spans(otlp)
                return any(span["attributes"].get("http.route") == ROUTE for span in found) and {
                    "postgresql",
                    "redis",
                } <= {db_system(span) for span in found}

            otlp.wait_for(complete)
    found = spans(otlp)
    # The server's start-up checks asked /healthz: the product's request is the one span of its route.
    (request,) = [span for span in found if span["attributes"].get("http.route") == ROUTE]
    assert request["service"] == "shop-web"
    assert request["name"] == f"GET {ROUTE}"
    # The queries and the cache commands belong to the request's trace.
    assert {db_system(span) for span in found if span["trace"] == request["trace"]} >= {"postgresql", "redis"}


SENTRY_PROBE = """
import sentry_sdk
import config.wsgi
from django.test import Client, override_settings
with override_settings(ROOT_URLCONF="tests.urls_errors"):
    response = Client(raise_request_exception=False).get(
        "/plain-boom/?token={token}&page=2", HTTP_AUTHORIZATION="Bearer {token}", HTTP_COOKIE="sessionid={token}"
    )
assert response.status_code == 500, response.status_code
sentry_sdk.flush(timeout=10)
"""


def envelope_items(body: bytes, encoding: str | None) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding == "br":
        import brotli

        body = brotli.decompress(body)
    elif encoding == "deflate":
        body = zlib.decompress(body)
    lines = body.decode().splitlines()
    return [(json.loads(lines[i]), json.loads(lines[i + 1])) for i in range(1, len(lines) - 1, 2)]


@pytest.mark.slow
def test_on_an_unhandled_error_reaches_sentry_without_the_token(transactional_db: None) -> None:
    with receiver() as sentry:
        dsn = f"http://publickey@{sentry.url.removeprefix('http://')}/42"
        subprocess.run(
            [sys.executable, "-c", SENTRY_PROBE.format(token=TOKEN)],
            cwd=ROOT,
            env=clean_env(SENTRY_DSN=dsn, SENTRY_ENVIRONMENT="test"),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        sentry.wait_for(lambda: bool(sentry.requests))
    events = []
    for path, headers, body in sentry.requests:
        assert path == "/api/42/envelope/"
        raw = body if headers.get("content-encoding") is None else b""
        items = envelope_items(body, headers.get("content-encoding"))
        events += [payload for item, payload in items if item.get("type") == "event"]
        assert TOKEN.encode() not in raw
        assert TOKEN not in json.dumps(items)
    (event,) = events
    assert event["environment"] == "test"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["exception"]["values"][-1]["value"] == "secret internal detail"
    assert event["exception"]["values"][-1]["mechanism"] == {"type": "django", "handled": False}
    # The token was in the query string the frames' variables show: redacted there too.
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    assert frames[-1]["vars"]["request"] == "<WSGIRequest: GET '/plain-boom/?token=[redacted]&page=2'>"
    assert "user" not in event or "ip_address" not in event["user"]


def test_the_scrubber_redacts_secret_keys_and_credentials_inside_strings() -> None:
    event: Any = {
        "request": {
            "query_string": f"token={TOKEN}&page=2",
            "headers": {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"},
            "data": {"password": "hunter2", "card_token": "tok_visa", "quantity": 2},
        },
        "exception": {"values": [{"value": f"refused {TOKEN}"}]},
        "breadcrumbs": [{"message": "basic dXNlcjpwYXNz seen"}],
    }
    scrubbed: Any = scrub_event(event, {})
    text = json.dumps(scrubbed)
    for secret in (TOKEN, "hunter2", "tok_visa", "dXNlcjpwYXNz"):
        assert secret not in text
    assert scrubbed["request"]["query_string"] == "token=[redacted]&page=2"
    assert scrubbed["request"]["headers"]["Authorization"] == "[redacted]"
    assert scrubbed["request"]["headers"]["Accept"] == "application/json"
    assert scrubbed["request"]["data"]["quantity"] == 2
