"""Products in the back office: stock changes only through the adjust-stock page (the inventory service and its
ledger), the low-stock filter, thumbnails."""

from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from catalog.models import Product
from inventory.models import MovementReason, StockMovement
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _adjust_url(product: Product) -> str:
    return f"/admin/catalog/product/{product.pk}/adjust-stock/"


def _adjust(
    client: Client, product: Product, *, delta: int, reason: str, expected: int, note: str = "Shelf count"
) -> str:
    response = client.post(
        _adjust_url(product),
        {"delta": delta, "reason": reason, "expected_quantity": expected, "note": note},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_adjust_stock_writes_the_ledger(manager: User, login: Callable[[User], Client]) -> None:
    product = ProductFactory.create(stock=4, name="Oak chair")
    client = login(manager)
    page = client.get(_adjust_url(product))
    assert page.status_code == 200
    assert '<strong id="current-stock">4</strong>' in page.content.decode()

    html = _adjust(client, product, delta=6, reason=MovementReason.RESTOCK, expected=4, note="Delivery from Oakworks")

    assert "Stock of “Oak chair”: 4 → 10 (Restock, +6)." in html
    product.refresh_from_db()
    assert product.stock_quantity == 10
    movement = StockMovement.objects.filter(product=product).latest("created_at")
    assert (movement.delta, movement.reason, movement.actor) == (6, MovementReason.RESTOCK, manager)
    assert movement.note == "Delivery from Oakworks"

    ledger = client.get("/admin/inventory/stockmovement/", {"product": str(product.pk)})
    assert {m.product_id for m in ledger.context["cl"].result_list} == {product.pk}
    assert len(ledger.context["cl"].result_list) == 2  # opening stock + the restock
    assert '<td class="field-note">Delivery from Oakworks</td>' in ledger.content.decode()
    assert '<td class="movement-note">Delivery from Oakworks</td>' in client.get(_adjust_url(product)).content.decode()


@pytest.mark.parametrize(
    ("delta", "reason", "expected", "note", "message"),
    [
        (-5, MovementReason.ADJUSTMENT, 4, "Count", "Not enough stock"),
        (-1, MovementReason.RESTOCK, 4, "Count", "A restock must add stock."),
        (2, MovementReason.ADJUSTMENT, 3, "Count", "Stock is 4, not the expected 3."),
        (0, MovementReason.ADJUSTMENT, 4, "Count", "Delta must not be zero."),
        (-1, MovementReason.ADJUSTMENT, 4, "  ", "This field is required."),
        (-1, MovementReason.ADJUSTMENT, 4, "x" * 501, "Ensure this value has at most 500 characters (it has 501)."),
    ],
)
def test_refused_adjustments_change_nothing(
    delta: int, reason: str, expected: int, note: str, message: str, manager: User, login: Callable[[User], Client]
) -> None:
    product = ProductFactory.create(stock=4)
    html = _adjust(login(manager), product, delta=delta, reason=reason, expected=expected, note=note)
    assert message in html
    product.refresh_from_db()
    assert product.stock_quantity == 4
    assert StockMovement.objects.filter(product=product).count() == 1


def test_adjust_stock_refuses_other_reasons(manager: User, login: Callable[[User], Client]) -> None:
    product = ProductFactory.create(stock=4)
    html = _adjust(login(manager), product, delta=3, reason=MovementReason.ORDER_CANCELLED, expected=4)
    assert "Select a valid choice" in html
    product.refresh_from_db()
    assert product.stock_quantity == 4


def test_adjust_stock_is_for_staff_only(customer: User, login: Callable[[User], Client]) -> None:
    product = ProductFactory.create(stock=4)
    response = login(customer).post(_adjust_url(product), {"delta": 5, "reason": "restock", "expected_quantity": 4})
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.stock_quantity == 4


def test_stock_is_read_only_on_the_product_page(manager: User, login: Callable[[User], Client]) -> None:
    product = ProductFactory.create(stock=4)
    client = login(manager)
    html = client.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    assert 'name="stock_quantity"' not in html
    assert f"/admin/catalog/product/{product.pk}/adjust-stock/" in html
    assert f"/admin/inventory/stockmovement/?product={product.pk}" in html


def test_manager_adds_a_product_with_a_category(manager: User, login: Callable[[User], Client]) -> None:
    category = CategoryFactory.create(name="Chairs")
    client = login(manager)
    autocomplete = client.get(
        "/admin/autocomplete/",
        {"term": "chai", "app_label": "catalog", "model_name": "product", "field_name": "category"},
    )
    assert [r["text"] for r in autocomplete.json()["results"]] == ["Chairs"]
    response = client.post(
        "/admin/catalog/product/add/",
        {
            "name": "Rocking chair",
            "slug": "rocking-chair",
            "description": "",
            "price": "89.00",
            "category": str(category.pk),
            "attributes": "{}",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    product = Product.objects.get(slug="rocking-chair")
    assert (product.category_id, product.stock_quantity) == (category.pk, 0)


def test_low_stock_filter(manager: User, login: Callable[[User], Client]) -> None:
    low = ProductFactory.create(stock=2, low_stock_threshold=5)
    ProductFactory.create(stock=50)
    out = ProductFactory.create(stock=0)
    client = login(manager)
    low_list = client.get("/admin/catalog/product/", {"stock": "low"}).context["cl"].result_list
    assert {p.pk for p in low_list} == {low.pk, out.pk}
    out_list = client.get("/admin/catalog/product/", {"stock": "out"}).context["cl"].result_list
    assert [p.pk for p in out_list] == [out.pk]


def test_thumbnails_are_shown(manager: User, login: Callable[[User], Client]) -> None:
    product = ProductFactory.create(
        thumbnails={"small": "products/thumbnails/x/small.jpg", "medium": "products/thumbnails/x/medium.jpg"}
    )
    client = login(manager)
    media = f"{settings.PUBLIC_ORIGIN}/media/"  # the storage's own, absolute URLs
    assert (
        f'<img src="{media}products/thumbnails/x/small.jpg"' in client.get("/admin/catalog/product/").content.decode()
    )
    change = client.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    assert f'<img src="{media}products/thumbnails/x/medium.jpg"' in change


def test_price_and_active_are_editable_in_the_list(manager: User, login: Callable[[User], Client]) -> None:
    product = ProductFactory.create(stock=4, price="10.00")
    response = login(manager).post(
        "/admin/catalog/product/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(product.pk),
            "form-0-price": "12.50",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    product.refresh_from_db()
    assert (str(product.price), product.is_active, product.stock_quantity) == ("12.50", False, 4)


def test_filter_counts_render(manager: User, login: Callable[[User], Client]) -> None:
    ProductFactory.create(stock=1)
    client = login(manager)
    assert client.get("/admin/catalog/product/", {"_facets": "1"}).status_code == 200
