"""Cart metrics: ``cart_merges_total`` counts the guest carts merged into a customer's cart (a merge that took
lines, counted when it commits; merging a token with nothing behind it changes nothing and is not counted)."""

from __future__ import annotations

from prometheus_client import Counter

CART_MERGES = Counter("cart_merges", "Guest carts merged into a signed-in customer's cart.")
