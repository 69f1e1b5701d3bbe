"""Structured logs: one JSON object per line in production, readable console lines in development.

Every log line, from ``structlog`` or from the standard ``logging`` module (Django, Celery, our own modules), goes
through the same processors: the context bound for the current request or task (``request_id``, ``user_id``,
``order_id``, ``task``…, held in context variables, so concurrent requests on one event loop never mix), the level,
the logger, a UTC timestamp, and :func:`redact`, which drops what must never be written down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import structlog
from django.utils.functional import LazyObject, empty
from structlog.typing import EventDict, Processor

# Keys never written to a log line, whatever logs them (matched case-insensitively, also inside nested mappings):
# these names, and any key containing one of the fragments (``new_password``, ``payment_token``, ``email_body``).
SECRET_KEYS = frozenset(
    {
        "password",
        "new_password",
        "old_password",
        "token",
        "access",
        "refresh",
        "authorization",
        "cookie",
        "card_token",
        "payment_token",
        "cart_token",
        "secret",
        "body",
        "html",
    }
)
SECRET_FRAGMENTS = ("password", "token", "secret", "body", "html")
REDACTED = "[redacted]"


def is_secret(key: object) -> bool:
    name = str(key).lower()
    return name in SECRET_KEYS or any(fragment in name for fragment in SECRET_FRAGMENTS)


def redact(logger: Any, method: str, event: EventDict) -> EventDict:
    """Replaces the values of secret keys (:func:`is_secret`: passwords, tokens, card tokens, e-mail bodies)."""
    for key in list(event):
        if is_secret(key):
            event[key] = REDACTED
        elif isinstance(event[key], Mapping):
            event[key] = _redacted_mapping(event[key])
    return event


def _redacted_mapping(value: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: REDACTED if is_secret(key) else _redacted_mapping(item) if isinstance(item, Mapping) else item
        for key, item in value.items()
    }


# The request being answered in this context (bound by the request-id middleware): its user is read from it once
# authentication has run, whatever authenticated it (JWT, session).
_current_request: ContextVar[Any] = ContextVar("current_request", default=None)


def authenticated_user_id(request: Any) -> str | None:
    """The id of the user ``request`` was authenticated as, or None: anonymous, or not authenticated yet.

    Never authenticates by itself (no query, no token check): it reads only a user already set on the request,
    by DRF after authentication or by Django's session middleware once something asked for it.
    """
    user = request.__dict__.get("user")
    if isinstance(user, LazyObject):
        user = user._wrapped  # type: ignore[attr-defined]  # django.utils.functional.empty until evaluated
        if user is empty:
            return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return str(user.pk)


@contextmanager
def request_bound(request: Any) -> Iterator[None]:
    """Every log line written while the block runs gets ``request``'s user (``user_id``) once it is authenticated."""
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def request_fields(logger: Any, method: str, event: EventDict) -> EventDict:
    """``user_id`` of the authenticated request being answered; and the fields of a finished request's line.

    Django logs a finished request (``django.request``: 4xx and 5xx) after the middleware returned, with the
    request object as ``request``: its id and user are read from the request, and the object itself is not written.
    """
    request = event.get("request")
    if request is not None and hasattr(request, "META"):
        del event["request"]
        request_id = getattr(request, "request_id", None)
        if request_id and "request_id" not in event:
            event["request_id"] = request_id
    else:
        request = _current_request.get()
    if request is not None and "user_id" not in event:
        user_id = authenticated_user_id(request)
        if user_id is not None:
            event["user_id"] = user_id
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


P = ParamSpec("P")
R = TypeVar("R")


def bound_from_kwargs(*names: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Binds the keyword arguments ``names`` (e.g. ``order_id``) to every log line written while the function runs.

    For keyword-only services: ``@bound_from_kwargs("order_id")`` puts the order's id on the lines of the
    transition, the refund, the stock release and the e-mail it causes, and on nothing after it returns.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @wraps(function)
        def bound_call(*args: P.args, **kwargs: P.kwargs) -> R:
            values = {name: str(kwargs[name]) for name in names if kwargs.get(name) is not None}
            with structlog.contextvars.bound_contextvars(**values):
                return function(*args, **kwargs)

        return bound_call

    return decorate


def current_request_id() -> str:
    """The id of the request (or of the request that caused the task) being handled now, or ``""``."""
    return str(structlog.contextvars.get_contextvars().get("request_id") or "")


def clear() -> None:
    structlog.contextvars.clear_contextvars()


__all__ = [
    "authenticated_user_id",
    "bind",
    "bound",
    "bound_from_kwargs",
    "clear",
    "current_request_id",
    "get_logger",
    "logging",
    "logging_config",
    "redact",
    "request_bound",
]
