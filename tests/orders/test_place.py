from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Product
from core.errors import DomainError
from inventory.errors import InsufficientStockError
from inventory.models import StockMovement
from inventory.selectors import inventory_mismatches
from orders.models import Order, OrderItem, OrderStatus, OrderStatusEvent
from orders.services import order_place
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def _stock(product: Product) -> int:
    return Product.objects.values_list("stock_quantity", flat=True).get(pk=product.pk)


def _line(product: Product, quantity: int) -> dict[str, Any]:
    return {"product_id": str(product.pk), "quantity": quantity}


def test_place_writes_order_items_event_and_ledger(settings: Any) -> None:
    settings.ORDER_PAYMENT_TIMEOUT_MINUTES = 30
    user = UserFactory.create()
    a = ProductFactory.create(stock=10, price=Decimal("19.99"))
    b = ProductFactory.create(stock=3, price=Decimal("0.10"))
    before = timezone.now()
    order = order_place(user=user, items=[_line(a, 2), _line(b, 3), _line(a, 1)])
    assert order.status == OrderStatus.PENDING
    # 3 x 19.99 + 3 x 0.10 computed in Decimal: no float rounding.
    assert order.total_amount == Decimal("60.27")
    assert order.expires_at is not None
    assert before + timedelta(minutes=30) <= order.expires_at <= timezone.now() + timedelta(minutes=30)
    items = {i.product_id: (i.quantity, i.price_at_purchase) for i in OrderItem.objects.filter(order=order)}
    assert items == {a.pk: (3, Decimal("19.99")), b.pk: (3, Decimal("0.10"))}
    assert (_stock(a), _stock(b)) == (7, 0)
    ledger = StockMovement.objects.filter(order=order, reason="order_placed")
    assert sorted(ledger.values_list("product_id", "delta")) == sorted([(a.pk, -3), (b.pk, -3)])
    event = OrderStatusEvent.objects.get(order=order)
    assert (event.from_status, event.to_status, event.actor) == ("", "PENDING", user)
    assert inventory_mismatches() == []


def test_price_is_captured_at_purchase() -> None:
    product = ProductFactory.create(stock=5, price=Decimal("10.00"))
    order = order_place(user=UserFactory.create(), items=[_line(product, 1)])
    Product.objects.filter(pk=product.pk).update(price=Decimal("99.00"))
    item = OrderItem.objects.get(order=order)
    assert item.price_at_purchase == Decimal("10.00")


def test_short_lines_fail_the_whole_order() -> None:
    a, b, c = ProductFactory.create(stock=1), ProductFactory.create(stock=0), ProductFactory.create(stock=5)
    with pytest.raises(InsufficientStockError) as excinfo:
        order_place(user=UserFactory.create(), items=[_line(a, 2), _line(b, 1), _line(c, 1)])
    short = {e["product_id"] for e in excinfo.value.as_errors()}
    assert short == {str(a.pk), str(b.pk)}
    assert not Order.objects.exists()
    assert (_stock(a), _stock(b), _stock(c)) == (1, 0, 5)


def test_inactive_and_unknown_products_are_unavailable() -> None:
    inactive = ProductFactory.create(stock=5, is_active=False)
    unknown = ProductFactory.build()
    good = ProductFactory.create(stock=5)
    with pytest.raises(DomainError) as excinfo:
        order_place(user=UserFactory.create(), items=[_line(inactive, 1), _line(unknown, 1), _line(good, 1)])
    assert excinfo.value.status_code == 400
    assert excinfo.value.code == "product_unavailable"
    assert {e["product_id"] for e in excinfo.value.as_errors()} == {str(inactive.pk), str(unknown.pk)}
    assert _stock(good) == 5


@pytest.mark.parametrize(("items", "code"), [([], "empty_order"), ([{"product_id": "x", "quantity": 0}], None)])
def test_service_rejects_empty_or_non_positive(items: list[dict[str, Any]], code: str | None) -> None:
    if items:
        items = [{"product_id": str(ProductFactory.create(stock=1).pk), "quantity": 0}]
    with pytest.raises(DomainError) as excinfo:
        order_place(user=UserFactory.create(), items=items)
    assert excinfo.value.status_code == 400
    assert excinfo.value.code == (code or "invalid_quantity")


def test_api_place_returns_201_with_contract_shape(customer_client: APIClient, customer: Any) -> None:
    product = ProductFactory.create(stock=4, price=Decimal("49.00"), name="Red shirt")
    response = customer_client.post(ORDERS, {"items": [_line(product, 2)]}, format="json")
    assert response.status_code == 201, response.data
    body = response.data
    assert body["status"] == "PENDING"
    assert body["total_amount"] == "98.00"
    assert body["user_id"] == str(customer.pk)
    assert body["items"] == [
        {"product_id": str(product.pk), "name": "Red shirt", "quantity": 2, "price_at_purchase": "49.00"}
    ]
    assert {"id", "created_at", "updated_at", "expires_at"} <= set(body)
    assert _stock(product) == 2


def test_api_insufficient_stock_lists_every_short_product(customer_client: APIClient) -> None:
    a, b = ProductFactory.create(stock=1), ProductFactory.create(stock=2)
    response = customer_client.post(ORDERS, {"items": [_line(a, 3), _line(b, 5)]}, format="json")
    assert response.status_code == 409
    errors = {e["product_id"]: (e["code"], e["requested"], e["available"]) for e in response.data["errors"]}
    assert errors == {str(a.pk): ("insufficient_stock", 3, 1), str(b.pk): ("insufficient_stock", 5, 2)}


def test_api_inactive_product_is_400(customer_client: APIClient) -> None:
    product = ProductFactory.create(stock=3, is_active=False)
    response = customer_client.post(ORDERS, {"items": [_line(product, 1)]}, format="json")
    assert response.status_code == 400
    assert response.data["errors"][0]["code"] == "product_unavailable"
    assert response.data["errors"][0]["product_id"] == str(product.pk)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"items": []},
        {"items": [{"product_id": "not-a-uuid", "quantity": 1}]},
        {"items": [{"product_id": "7b0b0c7e-0d1c-4a47-9a1e-7d3f1f1f1f1f", "quantity": 0}]},
        {"items": [{"product_id": "7b0b0c7e-0d1c-4a47-9a1e-7d3f1f1f1f1f", "quantity": 1.5}]},
        {"items": [{"product_id": "7b0b0c7e-0d1c-4a47-9a1e-7d3f1f1f1f1f", "quantity": 1, "price": "0.01"}]},
        {"items": "lots"},
        {"items": [{"product_id": "7b0b0c7e-0d1c-4a47-9a1e-7d3f1f1f1f1f", "quantity": 1}], "from_cart": True},
        {"items": [{"product_id": "7b0b0c7e-0d1c-4a47-9a1e-7d3f1f1f1f1f", "quantity": 1}], "total_amount": "1.00"},
        {"items": [{"product_id": "7b0b0c7e-0d1c-4a47-9a1e-7d3f1f1f1f1f", "quantity": 1}] * 101},
    ],
)
def test_api_bad_input_is_400(customer_client: APIClient, body: dict[str, Any]) -> None:
    response = customer_client.post(ORDERS, body, format="json")
    assert response.status_code == 400, response.data
    assert response.data["type"] == "validation_error"
    assert not Order.objects.exists()


def test_api_requires_authentication(api_client: APIClient) -> None:
    product = ProductFactory.create(stock=3)
    assert api_client.post(ORDERS, {"items": [_line(product, 1)]}, format="json").status_code == 401
    assert api_client.get(ORDERS).status_code == 401


def test_api_idempotent_placement_replays_and_does_not_take_stock_twice(customer_client: APIClient) -> None:
    product = ProductFactory.create(stock=5)
    body = {"items": [_line(product, 2)]}
    first = customer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    second = customer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert _stock(product) == 3
    other = customer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="order-2")
    assert other.status_code == 201
    assert _stock(product) == 1


def test_api_idempotency_key_with_other_body_is_422(customer_client: APIClient) -> None:
    product = ProductFactory.create(stock=5)
    customer_client.post(ORDERS, {"items": [_line(product, 1)]}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    response = customer_client.post(ORDERS, {"items": [_line(product, 2)]}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 422
    assert response.data["errors"][0]["code"] == "idempotency_key_mismatch"
    assert _stock(product) == 4


def test_api_idempotent_insufficient_stock_is_replayed_even_after_restock(customer_client: APIClient) -> None:
    from inventory.services import stock_restock

    product = ProductFactory.create(stock=1)
    body = {"items": [_line(product, 2)]}
    assert customer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 409
    stock_restock(product_id=product.pk, quantity=5, note="Delivery received", actor=None)
    replay = customer_client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert replay.status_code == 409
    assert replay["Idempotent-Replayed"] == "true"
    assert not Order.objects.exists()
