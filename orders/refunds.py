"""The refund seam: how an order's cancellation reaches the app that took its money, without importing it.

Orders sit below payments, so they cannot call the refund themselves. The payments app registers one
``RefundHandler`` in its ``AppConfig.ready``; the order lifecycle calls it at two points:

- ``refund_before_cancel``: a staff cancellation refunds a paid order through its provider first, outside the
  cancellation's transaction (no order lock is held across the provider call). It runs synchronously and its
  error propagates: a provider failure (502 ``provider_error``) leaves the order as it was, not cancelled.
- ``refunded``: inside the cancellation's transaction, what was refunded, for the customer's e-mail.

With no handler registered (an installation without payments) orders are cancelled without refunds.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple, Protocol
from uuid import UUID

if TYPE_CHECKING:
    from accounts.models import User
    from orders.models import Order


class Refunded(NamedTuple):
    amount: Decimal
    currency: str


class RefundHandler(Protocol):
    def refund_before_cancel(self, *, order_id: UUID, actor: User | None) -> None: ...

    def refunded(self, *, order: Order) -> Refunded | None: ...


_handler: RefundHandler | None = None


def refund_handler_register(handler: RefundHandler) -> None:
    """Install the refund handler (the payments app does, once, at start-up); a second call replaces it."""
    global _handler
    _handler = handler


def refund_before_cancel(*, order_id: UUID, actor: User | None) -> None:
    if _handler is not None:
        _handler.refund_before_cancel(order_id=order_id, actor=actor)


def refunded(*, order: Order) -> Refunded | None:
    return _handler.refunded(order=order) if _handler is not None else None
