"""cart_merges_total: a guest cart merged into a customer's cart, counted when the merge commits."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from carts.services import cart_merge
from carts.types import CartMergeResult
from tests.carts.conftest import guest_cart
from tests.factories import ProductFactory
from tests.metrics_support import moved, snapshot


@pytest.mark.django_db
def test_a_merge_that_took_a_guest_cart_is_counted_once(
    customer: User, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = ProductFactory.create(stock=5)
    token, failing = guest_cart([(product, 2)]), guest_cart([(product, 1)])
    before = snapshot("cart_merges")
    with django_capture_on_commit_callbacks(execute=True):
        cart_merge(user=customer, cart_token=token)
        cart_merge(user=customer, cart_token=token)  # merged already: nothing taken, nothing counted
        cart_merge(user=customer, cart_token="not-a-token")
    assert moved(before, "cart_merges") == {"cart_merges_total": 1}

    def explode(**kwargs: Any) -> CartMergeResult:
        raise RuntimeError("database went away")

    monkeypatch.setattr("carts.services._merge_lines", explode)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        cart_merge(user=customer, cart_token=failing)  # rolled back: the guest cart is kept, and not counted
    assert moved(before, "cart_merges") == {"cart_merges_total": 1}
