"""Anonymous carts have a coroutine path (the API's event loop) and a sync path (sync callers: the browsable API,
a stale session cookie, scripts). Both run the same rules and answer the same; the sync path never hops to an
event loop and back."""

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import AsyncToSync, SyncToAsync, async_to_sync
from django.test import override_settings

from carts import selectors, services
from carts.types import CartView
from catalog.models import Product
from core.errors import DomainError
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _sync_path() -> dict[str, Callable[..., Any]]:
    return {
        "add": lambda **kw: services.cart_item_add(user=None, **kw),
        "set": lambda **kw: services.cart_item_update(user=None, **kw),
        "remove": lambda **kw: services.cart_item_remove(user=None, **kw),
        "get": lambda **kw: selectors.cart_get(user=None, **kw),
    }


def _async_path() -> dict[str, Callable[..., Any]]:
    return {
        "add": async_to_sync(services.anonymous_cart_item_add),
        "set": async_to_sync(services.anonymous_cart_item_update),
        "remove": async_to_sync(services.anonymous_cart_item_remove),
        "get": async_to_sync(selectors.anonymous_cart_get),
    }


def _outcome(call: Callable[[], Any]) -> Any:
    try:
        result = call()
    except DomainError as exc:
        return ("error", exc.code)
    if isinstance(result, CartView):
        # Tokens are random; whether there is one is the behaviour.
        return (
            [(line.product_id, line.quantity, line.unit_price) for line in result.items],
            [(notice.code, notice.product_id) for notice in result.notices],
            result.cart_token is not None,
            result.total,
        )
    return result


def _script(path: dict[str, Callable[..., Any]], a: Product, b: Product, withdrawn: Product) -> list[Any]:
    """Every rule once: new cart, sum, set, over stock, not in cart, cart full, withdrawn line, remove, read."""
    seen: list[Any] = []
    token: str | None = None

    def step(name: str, **kwargs: Any) -> Any:
        nonlocal token
        if name in ("add", "set"):
            kwargs.setdefault("quantity", 1)
        result = path[name](cart_token=token, **kwargs)
        if isinstance(result, CartView) and result.cart_token:
            token = result.cart_token
        return result

    seen.append(_outcome(lambda: step("get")))
    seen.append(_outcome(lambda: step("set", product_id=a.pk)))  # not in cart, no cart yet
    seen.append(_outcome(lambda: step("add", product_id=a.pk, quantity=2)))
    seen.append(_outcome(lambda: step("add", product_id=a.pk, quantity=3)))
    seen.append(_outcome(lambda: step("add", product_id=a.pk, quantity=99)))  # over stock
    seen.append(_outcome(lambda: step("set", product_id=a.pk, quantity=4)))
    seen.append(_outcome(lambda: step("set", product_id=b.pk, quantity=1)))  # not in cart
    seen.append(_outcome(lambda: step("add", product_id=withdrawn.pk)))
    seen.append(_outcome(lambda: step("add", product_id=b.pk)))  # cart full (limit 2)
    Product.objects.filter(pk=withdrawn.pk).update(is_active=False)
    seen.append(_outcome(lambda: step("get")))  # withdrawn line dropped, reported once
    seen.append(_outcome(lambda: step("get")))
    seen.append(_outcome(lambda: step("add", product_id=b.pk)))  # room again
    seen.append(_outcome(lambda: step("add", product_id=withdrawn.pk)))  # product_not_found
    seen.append(_outcome(lambda: step("remove", product_id=a.pk)))
    seen.append(_outcome(lambda: step("remove", product_id=a.pk)))  # no-op
    seen.append(_outcome(lambda: step("get")))
    return seen


@override_settings(CART_MAX_LINES=2)
def test_sync_and_async_paths_answer_the_same() -> None:
    a, b, withdrawn = (ProductFactory.create(stock=6) for _ in range(3))
    sync_seen = _script(_sync_path(), a, b, withdrawn)
    Product.objects.filter(pk=withdrawn.pk).update(is_active=True)
    async_seen = _script(_async_path(), a, b, withdrawn)
    assert sync_seen == async_seen
    assert ("error", "insufficient_stock") in sync_seen
    assert ("error", "cart_full") in sync_seen
    assert ("error", "not_in_cart") in sync_seen
    assert ("error", "product_not_found") in sync_seen


def test_the_sync_path_stays_on_its_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """No async_to_sync -> sync_to_async round trip: the sync path never builds either adapter."""

    def refuse(self: Any, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("the sync cart path hopped between threads and loops")

    product = ProductFactory.create(stock=5)
    monkeypatch.setattr(AsyncToSync, "__init__", refuse)
    monkeypatch.setattr(SyncToAsync, "__init__", refuse)
    view = services.cart_item_add(user=None, cart_token=None, product_id=product.pk, quantity=2)
    token = view.cart_token
    assert token is not None
    assert services.cart_item_update(user=None, cart_token=token, product_id=product.pk, quantity=3).item_count == 3
    assert selectors.cart_get(user=None, cart_token=token).item_count == 3
    services.cart_item_remove(user=None, cart_token=token, product_id=product.pk)
    assert selectors.cart_get(user=None, cart_token=token).items == []
