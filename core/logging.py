"""Structured logs: one JSON object per line in production, readable console lines in development.

Every log line, from ``structlog`` or from the standard ``logging`` module (Django, Celery, our own modules), goes
through the same processors: the context bound for the current request or task (``request_id``, ``user_id``,
``order_id``, ``task``…, held in context variables, so concurrent requests on one event loop never mix), the level,
the logger, a UTC timestamp, and :func:`redact`, which drops what must never be written down.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
from structlog.typing import EventDict, Processor

# Keys never written to a log line, whatever logs them (matched case-insensitively, also inside nested mappings).
SECRET_KEYS = frozenset(
    {
        "password",
        "new_password",
        "old_password",
        "token",
        "access",
        "refresh",
        "authorization",
        "card_token",
        "secret",
        "body",
        "html",
    }
)
REDACTED = "[redacted]"


def redact(logger: Any, method: str, event: EventDict) -> EventDict:
    """Replaces the values of :data:`SECRET_KEYS` (passwords, tokens, card tokens, e-mail bodies)."""
    for key in list(event):
        if key.lower() in SECRET_KEYS:
            event[key] = REDACTED
        elif isinstance(event[key], Mapping):
            event[key] = _redacted_mapping(event[key])
    return event


def _redacted_mapping(value: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: REDACTED
        if str(key).lower() in SECRET_KEYS
        else _redacted_mapping(item)
        if isinstance(item, Mapping)
        else item
        for key, item in value.items()
    }


def request_fields(logger: Any, method: str, event: EventDict) -> EventDict:
    """Django logs a finished request (``django.request``: 4xx and 5xx) after the middleware returned, with the
    request object as ``request``: its id is read from the request, and the object itself is not written."""
    request = event.get("request")
    if request is not None and hasattr(request, "META"):
        del event["request"]
        request_id = getattr(request, "request_id", None)
        if request_id and "request_id" not in event:
            event["request_id"] = request_id
    return event


SHARED_PROCESSORS: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.ExtraAdder(),
    request_fields,
    redact,
]


def structured_formatter(fmt: str) -> logging.Formatter:
    """The formatter of every log line: JSON (``fmt="json"``) or for a terminal (``"console"``)."""
    if fmt not in ("json", "console"):
        raise ValueError(f"LOG_FORMAT must be 'json' or 'console', not {fmt!r}")
    last: list[Processor] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if fmt == "json"
        else [structlog.dev.ConsoleRenderer(colors=False)]
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *last],
    )


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """The ``LOGGING`` setting (every record through :func:`structured_formatter`); configures structlog too."""
    structured_formatter(fmt)  # refuses an unknown format when the settings load
    structlog.configure(
        processors=[
            *SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": "core.logging.structured_formatter", "fmt": fmt}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django_redis": {"level": "WARNING"}},
    }


def get_logger(name: str) -> Any:
    """A structlog logger writing through the ``logging`` module (so LOGGING's handlers and levels apply)."""
    return structlog.stdlib.get_logger(name)


def bind(**values: Any) -> None:
    """Adds ``values`` to every further log line of the current request or task."""
    structlog.contextvars.bind_contextvars(**values)


def bound() -> MutableMapping[str, Any]:
    return structlog.contextvars.get_contextvars()


def current_request_id() -> str:
    """The id of the request (or of the request that caused the task) being handled now, or ``""``."""
    return str(structlog.contextvars.get_contextvars().get("request_id") or "")


def clear() -> None:
    structlog.contextvars.clear_contextvars()


__all__ = ["bind", "bound", "clear", "current_request_id", "get_logger", "logging", "logging_config", "redact"]
