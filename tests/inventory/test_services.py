from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import F

from catalog.models import Product
from core.errors import ConflictError, DomainError, NotFoundError
from inventory.errors import InsufficientStockError
from inventory.models import MovementReason, StockMovement
from inventory.selectors import inventory_mismatches
from inventory.services import (
    stock_adjust,
    stock_quantities_sum,
    stock_release,
    stock_reserve,
    stock_restock,
)
from orders.models import Order
from tests.factories import ProductFactory, UserFactory
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db


def _stock(product: Product) -> int:
    return Product.objects.values_list("stock_quantity", flat=True).get(pk=product.pk)


def _bare_order() -> Order:
    return Order.objects.create(user=UserFactory.create(), total_amount=0)


def test_quantities_of_the_same_product_are_summed() -> None:
    a, b = ProductFactory.build(), ProductFactory.build()
    lines = [
        {"product_id": a.pk, "quantity": 2},
        {"product_id": str(b.pk), "quantity": 1},
        {"product_id": a.pk, "quantity": 3},
    ]
    assert stock_quantities_sum(lines) == {a.pk: 5, b.pk: 1}


def test_reserve_decrements_and_writes_one_movement_per_product() -> None:
    a, b = ProductFactory.create(stock=10), ProductFactory.create(stock=4)
    order = _bare_order()
    stock_reserve(quantities={a.pk: 3, b.pk: 4}, order=order)
    assert (_stock(a), _stock(b)) == (7, 0)
    placed = StockMovement.objects.filter(reason=MovementReason.ORDER_PLACED, order=order)
    assert sorted(placed.values_list("product_id", "delta")) == sorted([(a.pk, -3), (b.pk, -4)])
    assert inventory_mismatches() == []


def test_reserve_reports_every_short_line_and_changes_nothing() -> None:
    a, b, c = ProductFactory.create(stock=1), ProductFactory.create(stock=2), ProductFactory.create(stock=9)
    with pytest.raises(InsufficientStockError) as excinfo:
        stock_reserve(quantities={a.pk: 2, b.pk: 5, c.pk: 1}, order=_bare_order())
    assert excinfo.value.status_code == 409
    assert excinfo.value.code == "insufficient_stock"
    errors = {e["product_id"]: (e["requested"], e["available"]) for e in excinfo.value.as_errors()}
    assert errors == {str(a.pk): (2, 1), str(b.pk): (5, 2)}
    assert (_stock(a), _stock(b), _stock(c)) == (1, 2, 9)
    assert not StockMovement.objects.filter(reason=MovementReason.ORDER_PLACED).exists()


def test_reserve_unknown_product_is_404() -> None:
    with pytest.raises(NotFoundError):
        stock_reserve(quantities={ProductFactory.build().pk: 1}, order=_bare_order())


def test_release_returns_the_order_stock_with_the_given_reason() -> None:
    a, b = ProductFactory.create(stock=5), ProductFactory.create(stock=5)
    order = make_order(lines=[(a, 2), (b, 5)])
    assert (_stock(a), _stock(b)) == (3, 0)
    stock_release(order=order, reason=MovementReason.ORDER_EXPIRED)
    assert (_stock(a), _stock(b)) == (5, 5)
    released = StockMovement.objects.filter(order=order, reason=MovementReason.ORDER_EXPIRED)
    assert sorted(released.values_list("delta", flat=True)) == [2, 5]
    assert inventory_mismatches() == []


def test_release_refuses_a_non_release_reason() -> None:
    with pytest.raises(ValueError, match="release reason"):
        stock_release(order=make_order(), reason=MovementReason.ADJUSTMENT)


def test_adjust_changes_stock_and_records_the_actor() -> None:
    product, manager = ProductFactory.create(stock=10), UserFactory.create(manager=True)
    movement = stock_adjust(product_id=product.pk, delta=-4, note="Counted", actor=manager)
    assert _stock(product) == 6
    assert (movement.delta, movement.reason, movement.actor, movement.order) == (-4, "adjustment", manager, None)
    assert movement.product.stock_quantity == 6


def test_adjust_compare_and_set_refuses_a_stale_expectation() -> None:
    product = ProductFactory.create(stock=10)
    with pytest.raises(ConflictError) as excinfo:
        stock_adjust(product_id=product.pk, delta=5, note="Counted", actor=None, expected_quantity=9)
    assert excinfo.value.code == "stock_conflict"
    assert excinfo.value.as_errors()[0]["current"] == 10
    assert _stock(product) == 10
    stock_adjust(product_id=product.pk, delta=5, note="Counted", actor=None, expected_quantity=10)
    assert _stock(product) == 15


def test_adjust_below_zero_is_insufficient_stock() -> None:
    product = ProductFactory.create(stock=3)
    with pytest.raises(InsufficientStockError) as excinfo:
        stock_adjust(product_id=product.pk, delta=-4, note="Counted", actor=None)
    assert excinfo.value.as_errors()[0]["available"] == 3
    assert _stock(product) == 3


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"delta": 0}, "invalid_delta"),
        ({"delta": -1, "reason": MovementReason.RESTOCK}, "invalid_delta"),
        ({"delta": 1, "reason": MovementReason.ORDER_PLACED}, "invalid_reason"),
    ],
)
def test_adjust_rejects_bad_input(kwargs: dict[str, Any], code: str) -> None:
    product = ProductFactory.create(stock=3)
    with pytest.raises(DomainError) as excinfo:
        stock_adjust(product_id=product.pk, note="Counted", actor=None, **kwargs)
    assert excinfo.value.code == code


def test_adjust_stores_the_trimmed_note_on_the_ledger_row() -> None:
    product = ProductFactory.create(stock=10)
    movement = stock_adjust(product_id=product.pk, delta=-1, note="  Dropped one  ", actor=None)
    assert StockMovement.objects.get(pk=movement.pk).note == "Dropped one"
    assert StockMovement.objects.get(product=product, reason=MovementReason.INITIAL).note == ""


@pytest.mark.parametrize(
    ("note", "code"),
    [("x" * 501, "note_too_long"), ("a\x00b", "null_character")],
)
@pytest.mark.parametrize("reason", [MovementReason.ADJUSTMENT, MovementReason.RESTOCK])
def test_adjust_refuses_a_long_or_nul_note(note: str, code: str, reason: str) -> None:
    product = ProductFactory.create(stock=3)
    with pytest.raises(DomainError) as excinfo:
        stock_adjust(product_id=product.pk, delta=1, note=note, reason=reason, actor=None)
    assert (excinfo.value.code, excinfo.value.attr) == (code, "note")
    assert (_stock(product), StockMovement.objects.filter(product=product).count()) == (3, 1)


def test_adjust_accepts_a_note_of_the_longest_length() -> None:
    product = ProductFactory.create(stock=3)
    assert len(stock_adjust(product_id=product.pk, delta=1, note="é" * 500, actor=None).note) == 500


def test_restock_adds_with_restock_reason() -> None:
    product = ProductFactory.create(stock=1)
    movement = stock_restock(product_id=product.pk, quantity=20, note="Delivery received", actor=None)
    assert (movement.reason, _stock(product)) == ("restock", 21)


def test_low_stock_mail_goes_to_staff_only_when_crossing_downward(
    django_capture_on_commit_callbacks: Any,
) -> None:
    manager, admin = UserFactory.create(manager=True), UserFactory.create(admin=True)
    UserFactory.create()  # a customer: never notified
    product = ProductFactory.create(stock=8, low_stock_threshold=5, name="Blue mug")
    with django_capture_on_commit_callbacks(execute=True):
        stock_adjust(product_id=product.pk, delta=-2, note="Counted", actor=None)  # 8 -> 6: still above
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        stock_adjust(product_id=product.pk, delta=-1, note="Counted", actor=None)  # 6 -> 5: crosses
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted([manager.email, admin.email])
    assert "Blue mug" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        stock_adjust(product_id=product.pk, delta=-1, note="Counted", actor=None)  # already low: no repeat
    assert len(mail.outbox) == 1


def test_low_stock_mail_is_not_sent_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks: Any,
) -> None:
    UserFactory.create(manager=True)
    product = ProductFactory.create(stock=6, low_stock_threshold=5)

    def adjust_then_fail() -> None:
        with transaction.atomic():
            stock_adjust(product_id=product.pk, delta=-3, note="Counted", actor=None)
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        adjust_then_fail()
    assert mail.outbox == []
    assert _stock(product) == 6


def test_database_refuses_negative_stock_even_outside_the_services() -> None:
    product = ProductFactory.create(stock=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(stock_quantity=F("stock_quantity") - 2)


@pytest.mark.parametrize("note", ["", " \n\t"])
def test_adjust_without_a_note_keeps_an_empty_one(note: str) -> None:
    product = ProductFactory.create(stock=3)
    movement = stock_adjust(product_id=product.pk, delta=1, note=note, actor=None)
    assert (StockMovement.objects.get(pk=movement.pk).note, _stock(product)) == ("", 4)
