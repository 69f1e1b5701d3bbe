"""Traces (OpenTelemetry) and error reports (Sentry), set up once per process by :func:`configure`, which the ASGI
and WSGI entry points and the Celery worker call at start-up.

Each is off unless its endpoint is set: ``OTEL_EXPORTER_OTLP_ENDPOINT`` (OTLP over HTTP; Django, psycopg, Redis and
Celery instrumented, spans batched to ``<endpoint>/v1/traces``) and ``SENTRY_DSN`` (unhandled errors of requests and
tasks, no personal data, tokens scrubbed). Off, neither library is imported, no middleware is added and nothing is
wrapped: a process without them costs exactly what it cost before they existed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings

from core.logging import REDACTED, SECRET_KEYS

if TYPE_CHECKING:
    from sentry_sdk._types import Event

# Strings that carry a credential wherever they end up in an error report (a header, a query string, an exception
# message, a frame's local variable): bearer credentials, JWTs, and `name=value` pairs of a secret-looking name.
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)\s+[\w.~+/=-]+")
_JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*")
_SECRET_PAIR = re.compile(r"(?i)\b(" + "|".join(sorted(SECRET_KEYS)) + r")=[^&\s;,]*")


@dataclass(frozen=True)
class Observability:
    """What this process sends (both False: nothing was imported or installed)."""

    traces: bool
    errors: bool


_configured: Observability | None = None


def configure(component: str) -> Observability:
    """Sets up traces and error reports for this process (``component``: ``web`` or ``worker``, the default
    service name's suffix); later calls return the first answer. Call before the Django application is built,
    so that the tracing middleware is in the stack from the first request."""
    global _configured
    if _configured is None:
        traces = bool(settings.OTEL_EXPORTER_OTLP_ENDPOINT)
        errors = bool(settings.SENTRY_DSN)
        if traces:
            _configure_traces(
                endpoint=str(settings.OTEL_EXPORTER_OTLP_ENDPOINT),
                service=str(settings.OTEL_SERVICE_NAME or f"shop-{component}"),
            )
        if errors:
            _configure_errors(dsn=str(settings.SENTRY_DSN))
        _configured = Observability(traces=traces, errors=errors)
    return _configured


def _configure_traces(*, endpoint: str, service: str) -> None:
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")))
    trace.set_tracer_provider(provider)
    # Django's adds its middleware at the top of MIDDLEWARE (a request span around everything, refusals included).
    DjangoInstrumentor().instrument()
    PsycopgInstrumentor().instrument()
    RedisInstrumentor().instrument()
    # Publishing (web) and running (worker): a task's spans join the trace of the request that published it.
    CeleryInstrumentor().instrument()


def _configure_errors(*, dsn: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.redis import RedisIntegration
    from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

    sentry_sdk.init(
        dsn=dsn,
        environment=str(settings.SENTRY_ENVIRONMENT),
        send_default_pii=False,
        traces_sample_rate=float(settings.SENTRY_TRACES_SAMPLE_RATE),
        integrations=[DjangoIntegration(), CeleryIntegration(), RedisIntegration()],
        event_scrubber=EventScrubber(denylist=sorted({*DEFAULT_DENYLIST, *SECRET_KEYS}), recursive=True),
        before_send=scrub_event,
        before_send_transaction=scrub_event,
    )


def scrub_event(event: Event, hint: dict[str, Any]) -> Event:
    """Sentry's ``before_send``: the values of secret-looking keys and every credential found inside a string
    become ``[redacted]``, anywhere in the event."""
    return cast("Event", _scrub(event))


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: REDACTED if str(key).lower() in SECRET_KEYS else _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(item) for item in value)
    if isinstance(value, str):
        value = _BEARER.sub(lambda match: f"{match.group(1)} {REDACTED}", value)
        value = _JWT.sub(REDACTED, value)
        return _SECRET_PAIR.sub(lambda match: f"{match.group(1)}={REDACTED}", value)
    return value
