from typing import Any

import pytest
from rest_framework.test import APIClient

from catalog.models import Product
from inventory.models import StockMovement
from inventory.services import stock_adjust
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _adjust_url(product: Product) -> str:
    return f"/api/v1/inventory/{product.pk}/adjust/"


def test_manager_adjusts_stock(manager_client: APIClient, manager: Any) -> None:
    product = ProductFactory.create(stock=10)
    response = manager_client.post(
        _adjust_url(product), {"delta": -3, "expected_quantity": 10, "note": " 3 broken in transit "}, format="json"
    )
    assert response.status_code == 200, response.data
    assert response.data["stock_quantity"] == 7
    assert response.data["product_id"] == str(product.pk)
    assert response.data["movement"]["delta"] == -3
    assert response.data["movement"]["reason"] == "adjustment"
    assert response.data["movement"]["note"] == "3 broken in transit"
    assert StockMovement.objects.get(pk=response.data["movement"]["id"]).note == "3 broken in transit"
    assert response.data["movement"]["actor_id"] == str(manager.pk)
    product.refresh_from_db()
    assert product.stock_quantity == 7


def test_restock_reason(admin_client_api: APIClient) -> None:
    product = ProductFactory.create(stock=0)
    response = admin_client_api.post(
        _adjust_url(product), {"delta": 12, "reason": "restock", "note": "Delivery 42"}, format="json"
    )
    assert response.status_code == 200
    assert response.data["movement"]["reason"] == "restock"
    assert response.data["stock_quantity"] == 12


def test_stale_expected_quantity_is_409_stock_conflict(manager_client: APIClient) -> None:
    product = ProductFactory.create(stock=10)
    response = manager_client.post(
        _adjust_url(product), {"delta": 1, "expected_quantity": 4, "note": "Count"}, format="json"
    )
    assert response.status_code == 409
    assert response.data["errors"][0]["code"] == "stock_conflict"
    assert response.data["errors"][0]["current"] == 10


def test_adjust_below_zero_is_409_insufficient_stock(manager_client: APIClient) -> None:
    product = ProductFactory.create(stock=2)
    response = manager_client.post(_adjust_url(product), {"delta": -3, "note": "Count"}, format="json")
    assert response.status_code == 409
    error = response.data["errors"][0]
    assert (error["code"], error["requested"], error["available"]) == ("insufficient_stock", 3, 2)


@pytest.mark.parametrize(
    "body",
    [
        {"delta": 0, "note": "Count"},
        {"delta": "many", "note": "Count"},
        {"delta": 1, "note": "x" * 501},
        {},
        {"delta": 1, "reason": "order_placed"},
        {"delta": 1, "expected_quantity": -1},
        {"delta": 1, "colour": "red"},
        {"delta": -1, "reason": "restock", "note": "Count"},
    ],
)
def test_bad_adjust_input_is_400(manager_client: APIClient, body: dict[str, Any]) -> None:
    product = ProductFactory.create(stock=2)
    response = manager_client.post(_adjust_url(product), body, format="json")
    assert response.status_code == 400
    assert response.data["type"] == "validation_error" or response.data["errors"][0]["code"] == "invalid_delta"


def test_adjust_unknown_product_is_404(manager_client: APIClient) -> None:
    response = manager_client.post(_adjust_url(ProductFactory.build()), {"delta": 1, "note": "Count"}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize(("client_fixture", "expected"), [("api_client", 401), ("customer_client", 403)])
def test_inventory_endpoints_are_staff_only(request: Any, client_fixture: str, expected: int) -> None:
    client = request.getfixturevalue(client_fixture)
    product = ProductFactory.create(stock=2)
    assert client.post(_adjust_url(product), {"delta": 1}, format="json").status_code == expected
    assert client.get(f"/api/v1/inventory/{product.pk}/movements/").status_code == expected
    assert client.get("/api/v1/inventory/low-stock/").status_code == expected
    assert Product.objects.get(pk=product.pk).stock_quantity == 2


def test_movements_list_newest_first(manager_client: APIClient, django_assert_max_num_queries: Any) -> None:
    product = ProductFactory.create(stock=5)
    for delta in (1, -2, 3):
        stock_adjust(product_id=product.pk, delta=delta, note="Counted", actor=None)
    ProductFactory.create(stock=9)  # another product's ledger is not listed
    with django_assert_max_num_queries(5):
        response = manager_client.get(f"/api/v1/inventory/{product.pk}/movements/")
    assert response.status_code == 200
    assert response.data["count"] == 4
    assert [m["delta"] for m in response.data["results"]] == [3, -2, 1, 5]
    assert response.data["results"][-1]["reason"] == "initial"
    assert set(response.data["results"][0]) >= {"id", "product_id", "delta", "reason", "note", "order_id", "created_at"}
    assert [m["note"] for m in response.data["results"]] == ["Counted", "Counted", "Counted", ""]


def test_movements_of_unknown_product_is_404(manager_client: APIClient) -> None:
    assert manager_client.get(f"/api/v1/inventory/{ProductFactory.build().pk}/movements/").status_code == 404


def test_low_stock_uses_each_products_threshold_by_default(
    manager_client: APIClient, django_assert_max_num_queries: Any
) -> None:
    low = ProductFactory.create(stock=3, low_stock_threshold=5)
    at_threshold = ProductFactory.create(stock=5, low_stock_threshold=5)
    ProductFactory.create(stock=6, low_stock_threshold=5)
    empty = ProductFactory.create(stock=0, low_stock_threshold=0)
    with django_assert_max_num_queries(5):
        response = manager_client.get("/api/v1/inventory/low-stock/")
    assert response.status_code == 200
    assert [p["id"] for p in response.data["results"]] == [str(empty.pk), str(low.pk), str(at_threshold.pk)]


def test_low_stock_with_explicit_threshold(manager_client: APIClient) -> None:
    ProductFactory.create(stock=3, low_stock_threshold=5)
    two = ProductFactory.create(stock=2, low_stock_threshold=0)
    response = manager_client.get("/api/v1/inventory/low-stock/?threshold=2")
    assert [p["id"] for p in response.data["results"]] == [str(two.pk)]
    assert response.data["results"][0]["stock_quantity"] == 2


@pytest.mark.parametrize("query", ["threshold=-1", "threshold=lots", "colour=red"])
def test_low_stock_bad_query_is_400(manager_client: APIClient, query: str) -> None:
    assert manager_client.get(f"/api/v1/inventory/low-stock/?{query}").status_code == 400


def test_every_api_change_is_in_the_ledger(manager_client: APIClient) -> None:
    product = ProductFactory.create(stock=4)
    manager_client.post(_adjust_url(product), {"delta": 6, "note": "Found"}, format="json")
    manager_client.post(_adjust_url(product), {"delta": -10, "note": "Sold out"}, format="json")
    assert StockMovement.objects.filter(product=product).count() == 3
    assert Product.objects.get(pk=product.pk).stock_quantity == 0


def test_a_nul_in_the_note_is_400_and_changes_nothing(manager_client: APIClient) -> None:
    product = ProductFactory.create(stock=2)
    response = manager_client.post(_adjust_url(product), {"delta": 1, "note": "a\x00b"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "null_character"
    assert (Product.objects.get(pk=product.pk).stock_quantity, StockMovement.objects.count()) == (2, 1)


def test_the_note_is_optional_as_in_the_original_contract(manager_client: APIClient) -> None:
    product = ProductFactory.create(stock=2)
    response = manager_client.post(_adjust_url(product), {"delta": 3, "reason": "restock"}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["movement"]["note"] == ""
