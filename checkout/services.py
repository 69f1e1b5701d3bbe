"""Checkout: the use cases that span the cart, the order and the customer's session.

These sit above carts and orders, so neither of those needs to know the other.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from accounts.models import User
from carts.api.serializers import cart_merge_data
from carts.services import cart_lines_take, cart_merge
from core.errors import ServiceUnavailableError
from orders.models import Order
from orders.services import order_place

logger = logging.getLogger(__name__)


def checkout_cart_place(*, user: User) -> Order:
    """Place an order for everything in the user's cart through ``orders.services.order_place``.

    The cart row stays locked for the whole placement and its lines are deleted in the same
    transaction, so they disappear exactly when the order commits; a failed placement (e.g. 409
    ``insufficient_stock``) rolls the deletion back and the cart is kept as it was.
    """
    with transaction.atomic():
        items = cart_lines_take(user=user)
        return order_place(user=user, items=items)


def checkout_cart_merge_at_login(*, user: User, cart_token: str) -> dict[str, Any] | None:
    """The login response's ``cart``: the merge result, or None when Redis is down.

    A cart store outage must not stop anyone from signing in; the guest cart stays in Redis and
    can be merged later with ``POST cart/merge/``.
    """
    try:
        result = cart_merge(user=user, cart_token=cart_token)
    except ServiceUnavailableError:
        logger.warning("Cart store unavailable: guest cart not merged at login for user %s", user.pk)
        return None
    return cart_merge_data(result)
