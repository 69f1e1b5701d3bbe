"""The seams through which a lower app reaches a higher one without importing it: each is wired at start-up,
its effect happens, and it follows the transaction it runs in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from catalog import references
from catalog.models import Category, Product
from catalog.services import product_create, product_delete
from catalog.signals import product_created
from core.db import lock_one
from core.errors import DomainError
from inventory.admin import ProductStockAdmin
from inventory.models import MovementReason, StockMovement
from inventory.receivers import ledger_delete, stock_initialize_on_product_created
from orders import refunds
from orders.admin import OrderAdmin
from orders.models import Order, OrderStatus
from orders.receivers import product_ordered
from orders.services import order_cancel, order_lock
from payments.admin import PaymentInline
from payments.models import Payment, PaymentStatus
from payments.services import PaymentRefundHandler
from tests.factories.catalog import CategoryFactory, ProductFactory
from tests.factories.orders import make_order
from tests.factories.payments import paid_order

pytestmark = pytest.mark.django_db


def _create(category: Category, stock: int) -> Product:
    return product_create(
        data={"name": "Seam lamp", "price": Decimal("9.00"), "category": category}, stock_quantity=stock
    )


# --- product created -> opening stock (catalog.signals.product_created, received by inventory) ------------------


def test_product_created_is_received_by_inventory() -> None:
    sync_receivers, _ = product_created._live_receivers(Product)
    assert stock_initialize_on_product_created in sync_receivers


def test_product_created_records_the_opening_stock_in_the_ledger() -> None:
    product = _create(CategoryFactory.create(), 7)

    product.refresh_from_db()
    assert product.stock_quantity == 7
    movement = StockMovement.objects.get(product=product)
    assert (movement.delta, movement.reason) == (7, MovementReason.INITIAL)


def test_product_created_receiver_rolls_back_with_the_product() -> None:
    category = CategoryFactory.create()

    def create_then_fail() -> None:
        with transaction.atomic():
            _create(category, 5)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        create_then_fail()

    assert not Product.objects.filter(name="Seam lamp").exists()
    assert not StockMovement.objects.exists()


def test_a_refused_opening_stock_refuses_the_product() -> None:
    # The receiver runs inside the creation's transaction: its error is the creation's error.
    with pytest.raises(DomainError):
        _create(CategoryFactory.create(), 2**31)

    assert not Product.objects.filter(name="Seam lamp").exists()


# --- product references (catalog.references: orders keep, inventory cleans up) -----------------------------------


def test_orders_and_inventory_register_with_the_product_references() -> None:
    assert product_ordered in references._keepers
    assert ledger_delete in references._cleanups


def test_an_ordered_product_is_kept_and_only_deactivated() -> None:
    order = make_order()
    product = order.items.get().product

    assert references.product_is_kept(product)
    assert references.product_is_kept(None)
    assert product_delete(product_id=product.pk) is False
    product.refresh_from_db()
    assert product.is_active is False
    assert StockMovement.objects.filter(product=product).exists()


def test_an_unsold_product_goes_with_its_ledger_rows() -> None:
    product = ProductFactory.create(stock=4)

    assert not references.product_is_kept(product)
    assert not references.product_is_kept(None)
    assert product_delete(product_id=product.pk) is True
    assert not Product.objects.filter(pk=product.pk).exists()
    assert not StockMovement.objects.filter(product_id=product.pk).exists()


def test_seed_catalog_refuses_to_replace_a_catalog_that_orders_reference() -> None:
    make_order()
    with pytest.raises(CommandError, match="Orders reference the catalog"):
        call_command("seed_catalog", products=5, categories=3, seed=1, replace=True)


# --- staff cancellation -> refund (orders.refunds, handler registered by payments) --------------------------------


def test_payments_registers_the_refund_handler() -> None:
    assert isinstance(refunds._handler, PaymentRefundHandler)


def test_staff_cancel_refunds_through_the_handler_and_the_email_gets_the_refund(manager: Any) -> None:
    order = paid_order(stock=3)

    order_cancel(order_id=order.pk, actor=manager)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert Payment.objects.get(order=order).status == PaymentStatus.REFUNDED
    assert refunds.refunded(order=order) == refunds.Refunded(amount=order.total_amount, currency="USD")


def test_without_a_refund_handler_orders_are_cancelled_without_refunds(manager: Any) -> None:
    order = paid_order(stock=3)
    handler = refunds._handler
    refunds.refund_handler_register(None)  # type: ignore[arg-type]
    try:
        order_cancel(order_id=order.pk, actor=manager)
        assert refunds.refunded(order=order) is None
    finally:
        refunds.refund_handler_register(handler)  # type: ignore[arg-type]

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert Payment.objects.get(order=order).status == PaymentStatus.SUCCEEDED


# --- admin: pages extended by the app above ---------------------------------------------------------------------


def test_payments_adds_its_inline_to_the_order_admin() -> None:
    assert PaymentInline in OrderAdmin.inlines
    assert PaymentInline in admin.site._registry[Order].inlines


def test_inventory_extends_the_product_admin_with_the_stock_page() -> None:
    model_admin = admin.site._registry[Product]
    assert isinstance(model_admin, ProductStockAdmin)
    assert "catalog_product_adjust_stock" in {pattern.name for pattern in model_admin.get_urls()}


# --- one row lock ---------------------------------------------------------------------------------------------


def test_lock_one_locks_the_first_row_of_its_own_table_only() -> None:
    order = make_order()
    customer = order.user
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert lock_one(Order.objects.select_related("user").filter(pk=order.pk)) == order
        assert order_lock(order.pk, user=customer) == order
        assert order_lock(order.pk) == order
    selects = [query["sql"] for query in queries if query["sql"].startswith("SELECT")]
    assert len(selects) == 3, selects
    assert all(sql.endswith('FOR UPDATE OF "orders"') for sql in selects), selects


def test_lock_one_is_none_without_a_row() -> None:
    with transaction.atomic():
        assert lock_one(Order.objects.filter(status=OrderStatus.SHIPPED)) is None
