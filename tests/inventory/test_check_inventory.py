from io import StringIO

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from catalog.models import Product
from tests.factories import ProductFactory
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db


def test_clean_ledger_passes() -> None:
    a = ProductFactory.create(stock=5)
    ProductFactory.create(stock=0)
    make_order(lines=[(a, 2)])
    out = StringIO()
    call_command("check_inventory", stdout=out)
    assert "reconciles for all 2 products" in out.getvalue()


def test_hand_corrupted_row_is_named_and_fails() -> None:
    healthy = ProductFactory.create(stock=5, name="Healthy lamp")
    corrupted = ProductFactory.create(stock=5, name="Tampered chair")
    # A write that bypasses inventory.services: exactly what the command exists to catch.
    Product.objects.filter(pk=corrupted.pk).update(stock_quantity=7)
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 2 products"):
        call_command("check_inventory", stderr=err)
    report = err.getvalue()
    assert str(corrupted.pk) in report
    assert "Tampered chair" in report
    assert str(healthy.pk) not in report


def test_exit_code_is_1_on_mismatch() -> None:
    product = ProductFactory.create(stock=1)
    Product.objects.filter(pk=product.pk).update(stock_quantity=0)
    utility = ManagementUtility(["manage.py", "check_inventory"])
    with pytest.raises(SystemExit) as excinfo:
        utility.execute()
    assert excinfo.value.code == 1
