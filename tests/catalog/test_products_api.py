from decimal import Decimal
from typing import Any

import pytest

from catalog.models import Product
from inventory.models import MovementReason, StockMovement
from tests.catalog.conftest import PRODUCTS, product_url
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _payload(**overrides: Any) -> dict[str, Any]:
    category = overrides.pop("category", None) or CategoryFactory.create()
    return {
        "name": "Linen Shirt",
        "description": "Breathable summer shirt",
        "price": "39.90",
        "category": str(category.pk),
        "attributes": {"color": "white", "size": "L"},
        **overrides,
    }


def test_manager_creates_product_with_opening_stock_in_the_ledger(manager_client: Any, manager: Any) -> None:
    response = manager_client.post(PRODUCTS, _payload(stock_quantity=12), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["price"] == "39.90"
    assert body["stock_quantity"] == 12
    assert body["slug"] == "linen-shirt"
    assert body["attributes"] == {"color": "white", "size": "L"}
    movement = StockMovement.objects.get(product_id=body["id"])
    assert (movement.delta, movement.reason, movement.actor_id) == (12, MovementReason.INITIAL, manager.pk)


def test_create_generates_distinct_slugs_for_same_name(manager_client: Any) -> None:
    first = manager_client.post(PRODUCTS, _payload(), format="json").json()
    second = manager_client.post(PRODUCTS, _payload(), format="json").json()

    assert first["slug"] == "linen-shirt"
    assert second["slug"].startswith("linen-shirt-")


@pytest.mark.parametrize(
    ("overrides", "attr", "code"),
    [
        ({"price": "-1.00"}, "price", "min_value"),
        ({"price": "abc"}, "price", "invalid"),
        ({"stock_quantity": -3}, "stock_quantity", "min_value"),
        ({"attributes": ["red"]}, "attributes", "invalid"),
        ({"attributes": {"color": {"nested": True}}}, "attributes", "invalid"),
        ({"warehouse": "x"}, "warehouse", "unknown_field"),
    ],
)
def test_create_rejects_bad_input(manager_client: Any, overrides: dict[str, Any], attr: str, code: str) -> None:
    response = manager_client.post(PRODUCTS, _payload(**overrides), format="json")

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert {(e["attr"], e["code"]) for e in response.json()["errors"]} == {(attr, code)}


def test_create_with_unknown_category_is_400(manager_client: Any) -> None:
    payload = _payload()
    payload["category"] = "00000000-0000-0000-0000-000000000000"

    response = manager_client.post(PRODUCTS, payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "category"


def test_patch_updates_fields(manager_client: Any) -> None:
    product = ProductFactory.create(stock=4)

    response = manager_client.patch(product_url(product), {"price": "12.50", "is_active": False}, format="json")

    assert response.status_code == 200
    product.refresh_from_db()
    assert (product.price, product.is_active, product.stock_quantity) == (Decimal("12.50"), False, 4)


def test_patch_refuses_stock_quantity(manager_client: Any) -> None:
    product = ProductFactory.create(stock=4)

    response = manager_client.patch(product_url(product), {"stock_quantity": 100, "name": "X"}, format="json")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["attr"], error["code"]) == ("stock_quantity", "read_only")
    assert "inventory" in error["detail"]
    product.refresh_from_db()
    assert product.stock_quantity == 4
    assert product.name != "X"


def test_patch_unknown_product_is_404(manager_client: Any) -> None:
    response = manager_client.patch(f"{PRODUCTS}00000000-0000-0000-0000-000000000000/", {"name": "x"}, format="json")

    assert response.status_code == 404


def test_delete_unreferenced_product_removes_it_and_its_ledger(manager_client: Any) -> None:
    product = ProductFactory.create(stock=3)

    response = manager_client.delete(product_url(product))

    assert response.status_code == 204
    assert not Product.objects.filter(pk=product.pk).exists()
    assert not StockMovement.objects.filter(product_id=product.pk).exists()


def test_delete_ordered_product_deactivates_it(manager_client: Any, customer: Any, api_client: Any) -> None:
    from orders.models import Order, OrderItem

    product = ProductFactory.create(stock=3)
    order = Order.objects.create(user=customer, total_amount=product.price)
    OrderItem.objects.create(order=order, product=product, quantity=1, price_at_purchase=product.price)

    response = manager_client.delete(product_url(product))

    assert response.status_code == 204
    product.refresh_from_db()
    assert product.is_active is False
    assert api_client.get(product_url(product)).status_code == 404
    assert manager_client.get(product_url(product)).json()["is_active"] is False


@pytest.mark.parametrize(
    ("method", "path_kind"),
    [("post", "list"), ("patch", "detail"), ("delete", "detail"), ("post", "image")],
)
def test_writes_need_manager(api_client: Any, customer_client: Any, method: str, path_kind: str) -> None:
    product = ProductFactory.create()
    url = {"list": PRODUCTS, "detail": product_url(product), "image": f"{product_url(product)}image/"}[path_kind]

    anonymous = getattr(api_client, method)(url, {}, format="json")
    customer = getattr(customer_client, method)(url, {}, format="json")

    assert anonymous.status_code == 401
    assert customer.status_code == 403
    assert customer.json()["errors"][0]["code"] == "permission_denied"


def test_admin_may_write(admin_client_api: Any) -> None:
    assert admin_client_api.post(PRODUCTS, _payload(), format="json").status_code == 201


def test_inactive_products_hidden_from_public_visible_to_managers(
    api_client: Any, customer_client: Any, manager_client: Any
) -> None:
    hidden = ProductFactory.create(is_active=False, name="Hidden thing")
    ProductFactory.create(name="Visible thing")

    assert api_client.get(product_url(hidden)).status_code == 404
    assert customer_client.get(product_url(hidden)).status_code == 404
    assert manager_client.get(product_url(hidden)).status_code == 200
    assert [p["name"] for p in api_client.get(PRODUCTS).json()["results"]] == ["Visible thing"]
    assert {p["name"] for p in manager_client.get(PRODUCTS).json()["results"]} == {"Hidden thing", "Visible thing"}


def test_detail_shape(api_client: Any) -> None:
    product = ProductFactory.create(stock=7)

    body = api_client.get(product_url(product)).json()

    assert set(body) >= {
        "id", "name", "slug", "description", "price", "stock_quantity", "category", "attributes",
        "is_active", "image", "thumbnails", "created_at", "updated_at",
    }  # fmt: skip
    assert body["category"] == str(product.category_id)
    assert body["stock_quantity"] == 7
    assert body["image"] is None


def test_unknown_product_is_404_in_envelope(api_client: Any) -> None:
    response = api_client.get(f"{PRODUCTS}00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
