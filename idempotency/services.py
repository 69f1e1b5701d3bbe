"""``Idempotency-Key`` handling for unsafe endpoints (Stripe / IETF draft semantics).

A request carrying a key first *claims* it with a committed insert (state ``in_progress``; one
``INSERT ... ON CONFLICT DO NOTHING`` statement), so a
concurrent duplicate sees the row at once and gets 409 ``idempotency_in_progress``. When the
wrapped call finishes, every response below 500 — including rendered domain errors such as
``insufficient_stock`` — is stored and later replayed verbatim with ``Idempotent-Replayed: true``.
A 5xx or an unexpected exception releases the claim so the client can safely retry.

The claim and the stored result live in their own short autocommit statements, outside the
transaction of the wrapped service, so the key is visible to other requests while the work runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import ExceptionHandler
from core.db import insert_unless_conflict
from core.errors import DomainError
from idempotency.errors import IdempotencyErrorCode, IdempotencyInProgressError
from idempotency.metrics import CONFLICT, REPLAYED
from idempotency.models import IdempotencyKey, IdempotencyKeyState

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

# Exceptions that the API renders as a regular response; anything else is a crash.
_RENDERED_EXCEPTIONS = (DomainError, APIException, Http404, PermissionDenied)


def request_fingerprint(*, method: str, path: str, body: Any) -> str:
    """SHA-256 of method, path and the body as canonical JSON (sorted keys, no whitespace)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(f"{method.upper()}\n{path}\n{canonical}".encode()).hexdigest()


def _request_body(request: Request) -> Any:
    data = request.data
    # QueryDict (form posts) is not JSON-serialisable as such; lists keep repeated fields.
    if hasattr(data, "lists"):
        return dict(data.lists())
    return data


def _expiry_cutoff() -> Any:
    return timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def _claim(*, user: Any, key: str, method: str, path: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    """Insert the key (one autocommit statement, ``ON CONFLICT DO NOTHING``) or return the existing row.
    ``(row, claimed_by_us)``."""
    for _ in range(2):
        row = IdempotencyKey(user_id=user.pk, key=key, method=method, path=path, fingerprint=fingerprint)
        if insert_unless_conflict(row, conflict_fields=("user", "key")):
            return row, True
        existing = IdempotencyKey.objects.filter(user_id=user.pk, key=key).first()
        if existing is None:
            # The other holder released its claim between our insert and our read: try again.
            continue
        if existing.created_at < _expiry_cutoff():
            # An expired key the purge task has not reached yet counts as unused.
            IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        return existing, False
    CONFLICT.inc()
    raise IdempotencyInProgressError("This idempotency key is being used by another request.")


def _replay(row: IdempotencyKey, *, fingerprint: str) -> Response:
    if row.fingerprint != fingerprint:
        CONFLICT.inc()
        raise DomainError(
            "This idempotency key was already used with a different request.",
            code=IdempotencyErrorCode.KEY_MISMATCH,
            attr=None,
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if row.state != IdempotencyKeyState.COMPLETED or row.response_status is None:
        CONFLICT.inc()
        raise IdempotencyInProgressError("A request with this idempotency key is still being processed.")
    REPLAYED.inc()
    return Response(_stored_body(row.response_body), status=row.response_status, headers={REPLAYED_HEADER: "true"})


def _stored_body(stored: Any) -> Any:
    """The first response's data in its own key order (kept as JSON text: JSONB would reorder the keys, and a
    replay must answer the very bytes of the first response). Rows stored as JSON values are read as they are."""
    return json.loads(stored) if isinstance(stored, str) else stored


def _render(exc: Exception, request: Request) -> Response | None:
    return ExceptionHandler(exc, {"request": request, "view": None}).run()  # type: ignore[typeddict-item]


def idempotent_response(request: Request, *, required: bool, run: Callable[[], Response]) -> Response:
    """Run ``run`` at most once per ``(request.user, Idempotency-Key)``; replay its stored response after.

    Without the header: 400 ``idempotency_key_required`` when ``required``, else ``run()`` as is.
    Same key, different method/path/body: 422 ``idempotency_key_mismatch``. Same key while the
    first request is still running: 409 ``idempotency_in_progress``.
    """
    raw_key = request.headers.get(IDEMPOTENCY_HEADER)
    key = (raw_key or "").strip()
    if raw_key is not None and not key:
        # A blank key is a client bug (an unset variable), not a request to skip idempotency.
        raise DomainError(f"The {IDEMPOTENCY_HEADER} header must not be blank.", code=IdempotencyErrorCode.KEY_INVALID)
    if not key:
        if required:
            raise DomainError(
                f"The {IDEMPOTENCY_HEADER} header is required for this request.", code=IdempotencyErrorCode.KEY_REQUIRED
            )
        return run()
    if len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            f"The {IDEMPOTENCY_HEADER} header must be at most {MAX_KEY_LENGTH} characters.",
            code=IdempotencyErrorCode.KEY_INVALID,
        )

    method = request.method or "POST"
    path = request.path
    fingerprint = request_fingerprint(method=method, path=path, body=_request_body(request))
    row, claimed = _claim(user=request.user, key=key, method=method, path=path, fingerprint=fingerprint)
    if not claimed:
        return _replay(row, fingerprint=fingerprint)

    try:
        response = run()
    except _RENDERED_EXCEPTIONS as exc:
        rendered = _render(exc, request)
        if rendered is None:
            _release(row)
            raise
        response = rendered
    except BaseException:
        _release(row)
        raise

    if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        _release(row)
        return response
    IdempotencyKey.objects.filter(pk=row.pk).update(
        state=IdempotencyKeyState.COMPLETED,
        response_status=response.status_code,
        response_body=json.dumps(response.data, cls=DjangoJSONEncoder),
        updated_at=timezone.now(),
    )
    return response


def _release(row: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=row.pk, state=IdempotencyKeyState.IN_PROGRESS).delete()


def idempotency_keys_purge(*, older_than_hours: int | None = None) -> int:
    """Delete keys older than ``older_than_hours`` (default ``IDEMPOTENCY_KEY_TTL_HOURS``); returns the count."""
    hours = settings.IDEMPOTENCY_KEY_TTL_HOURS if older_than_hours is None else older_than_hours
    cutoff = timezone.now() - timedelta(hours=hours)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
