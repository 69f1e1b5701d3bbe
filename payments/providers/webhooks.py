"""Webhook signing and the event body format shared by providers that follow the house scheme.

Signature header (one per request)::

    X-Signature: t=<unix timestamp>,v1=<hex HMAC-SHA256>

where the HMAC key is ``PAYMENT_WEBHOOK_SECRET`` and the signed message is the timestamp, a dot and
the *raw* request body: ``f"{t}.{body}"``. Several ``v1=`` entries may be sent while a secret is
rotated; one match is enough. A timestamp further than ``PAYMENT_WEBHOOK_TOLERANCE_SECONDS``
(default 300) from our clock is refused, so a captured request cannot be replayed later.

Event body (JSON)::

    {"id": "evt_…", "type": "payment.succeeded" | "payment.refunded" | …,
     "data": {"transaction_id": "…", "amount": "49.00", "currency": "USD",
              "metadata": {"payment_id": "<our payment uuid>"}}}
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from api.input_limits import JsonTooDeep, NullCharacter, json_loads
from payments.errors import PaymentErrorCode
from payments.providers.base import ProviderEvent, WebhookVerificationError

SIGNATURE_HEADER = "X-Signature"
SIGNATURE_SCHEME = "v1"
_MAX_ID_LENGTH = 255


def _digest(*, secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(*, body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``X-Signature`` value a provider sends for ``body`` (used by the fake provider and tests)."""
    ts = int(time.time()) if timestamp is None else timestamp
    return f"t={ts},{SIGNATURE_SCHEME}={_digest(secret=secret, timestamp=ts, body=body)}"


def _parse_header(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                timestamp = None
        elif name == SIGNATURE_SCHEME:
            signatures.append(value.strip())
    if timestamp is None or not signatures:
        raise WebhookVerificationError(
            f"The {SIGNATURE_HEADER} header must look like 't=<timestamp>,v1=<signature>'.",
            code=PaymentErrorCode.WEBHOOK_SIGNATURE_INVALID,
        )
    return timestamp, signatures


def signature_verify(
    *, body: bytes, headers: Mapping[str, str], secret: str, tolerance_seconds: int, now: float | None = None
) -> int:
    """Check the signature, then the timestamp window; returns the signed timestamp."""
    header = headers.get(SIGNATURE_HEADER)
    if not header:
        raise WebhookVerificationError(
            f"Missing {SIGNATURE_HEADER} header.", code=PaymentErrorCode.WEBHOOK_SIGNATURE_INVALID
        )
    timestamp, signatures = _parse_header(header)
    expected = _digest(secret=secret, timestamp=timestamp, body=body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise WebhookVerificationError(
            "The webhook signature does not match.", code=PaymentErrorCode.WEBHOOK_SIGNATURE_INVALID
        )
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise WebhookVerificationError(
            "The webhook timestamp is outside the accepted window.",
            code=PaymentErrorCode.WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE,
        )
    return timestamp


def _invalid(detail: str) -> WebhookVerificationError:
    return WebhookVerificationError(detail, code=PaymentErrorCode.WEBHOOK_PAYLOAD_INVALID)


def _short_string(value: Any, *, name: str, required: bool, max_length: int = _MAX_ID_LENGTH) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise _invalid(f"'{name}' must be a non-empty string of at most {max_length} characters.")
    return value


def _amount(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _invalid("'data.amount' must be a decimal string.")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise _invalid("'data.amount' must be a decimal string.") from None
    if not amount.is_finite() or amount < 0:
        raise _invalid("'data.amount' must be a non-negative decimal.")
    return amount


def event_parse(body: bytes) -> ProviderEvent:
    """Parse a verified body into a :class:`ProviderEvent`; anything malformed is a 400, never a crash."""
    try:
        payload = json_loads(body)
    except (JsonTooDeep, NullCharacter) as exc:
        # The same limits as every JSON body of the API (depth checked before decoding), same codes.
        raise WebhookVerificationError(str(exc.detail), code=exc.default_code) from None
    except (ValueError, UnicodeDecodeError):
        raise _invalid("The webhook body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise _invalid("The webhook body must be a JSON object.")
    data = payload.get("data", {})
    if not isinstance(data, dict):
        raise _invalid("'data' must be an object.")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise _invalid("'data.metadata' must be an object.")
    reference = metadata.get("payment_id")
    currency = data.get("currency") or ""
    if not isinstance(currency, str) or len(currency) > 3:
        raise _invalid("'data.currency' must be a three-letter code.")
    return ProviderEvent(
        event_id=_short_string(payload.get("id"), name="id", required=True),
        event_type=_short_string(payload.get("type"), name="type", required=True, max_length=64),
        transaction_id=_short_string(data.get("transaction_id"), name="data.transaction_id", required=False),
        amount=_amount(data.get("amount")),
        currency=currency.upper(),
        payment_reference=_short_string(reference, name="data.metadata.payment_id", required=False) or None,
        payload=payload,
    )


def event_body(
    *,
    event_id: str,
    event_type: str,
    transaction_id: str,
    amount: Decimal,
    currency: str,
    payment_reference: str | None = None,
) -> bytes:
    """Serialise an event in the format above (what the fake provider sends)."""
    data: dict[str, Any] = {"transaction_id": transaction_id, "amount": str(amount), "currency": currency}
    if payment_reference:
        data["metadata"] = {"payment_id": payment_reference}
    return json.dumps({"id": event_id, "type": event_type, "data": data}, separators=(",", ":")).encode()
