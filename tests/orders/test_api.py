from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import Product
from orders.models import Order, OrderStatus
from tests.factories import ProductFactory, UserFactory
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def _stock(product: Product) -> int:
    return Product.objects.values_list("stock_quantity", flat=True).get(pk=product.pk)


def test_list_shows_only_own_orders_with_bounded_queries(
    customer_client: APIClient, customer: User, django_assert_max_num_queries: Any
) -> None:
    products = [ProductFactory.create(stock=50) for _ in range(3)]
    mine = [make_order(user=customer, lines=[(p, 1) for p in products]) for _ in range(5)]
    make_order(user=UserFactory.create(), lines=[(products[0], 1)])
    # auth user + count + page + items (with product names): independent of the number of orders/items.
    with django_assert_max_num_queries(4):
        response = customer_client.get(ORDERS)
    assert response.status_code == 200
    assert response.data["count"] == 5
    assert [o["id"] for o in response.data["results"]] == [str(o.pk) for o in reversed(mine)]
    assert all(len(o["items"]) == 3 for o in response.data["results"])
    assert {i["name"] for i in response.data["results"][0]["items"]} == {p.name for p in products}


def test_list_paginates(customer_client: APIClient, customer: User) -> None:
    product = ProductFactory.create(stock=50)
    for _ in range(3):
        make_order(user=customer, lines=[(product, 1)])
    response = customer_client.get(f"{ORDERS}?page_size=2&page=2")
    assert response.data["count"] == 3
    assert len(response.data["results"]) == 1
    assert response.data["previous"] is not None


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_staff_see_every_order(role: str, auth_client: Callable[[User], APIClient]) -> None:
    staff = UserFactory.create(**{role: True})
    orders = [make_order() for _ in range(3)]
    response = auth_client(staff).get(ORDERS)
    assert {o["id"] for o in response.data["results"]} == {str(o.pk) for o in orders}
    assert auth_client(staff).get(f"{ORDERS}{orders[0].pk}/").status_code == 200


def test_detail_of_own_order(customer_client: APIClient, customer: User) -> None:
    order = make_order(user=customer)
    response = customer_client.get(f"{ORDERS}{order.pk}/")
    assert response.status_code == 200
    assert response.data["id"] == str(order.pk)


def test_another_customers_order_is_404_everywhere(customer_client: APIClient) -> None:
    """BOLA: knowing an order id gives another customer nothing, not even its existence."""
    product = ProductFactory.create(stock=5)
    theirs = make_order(lines=[(product, 2)])
    for method, path in [
        ("get", f"{ORDERS}{theirs.pk}/"),
        ("post", f"{ORDERS}{theirs.pk}/cancel/"),
    ]:
        response = getattr(customer_client, method)(path, {}, format="json")
        assert response.status_code == 404, path
        assert response.data["errors"][0]["code"] == "order_not_found"
    assert Order.objects.get(pk=theirs.pk).status == OrderStatus.PENDING
    assert _stock(product) == 3


def test_unknown_or_malformed_order_id_is_404(customer_client: APIClient) -> None:
    assert customer_client.get(f"{ORDERS}{UserFactory.build().pk}/").status_code == 404
    assert customer_client.get(f"{ORDERS}not-a-uuid/").status_code == 404


def test_owner_cancels_pending_order_and_stock_returns(customer_client: APIClient, customer: User) -> None:
    product = ProductFactory.create(stock=5)
    order = make_order(user=customer, lines=[(product, 4)])
    response = customer_client.post(f"{ORDERS}{order.pk}/cancel/", format="json")
    assert response.status_code == 200
    assert response.data["status"] == "CANCELLED"
    assert _stock(product) == 5
    again = customer_client.post(f"{ORDERS}{order.pk}/cancel/", format="json")
    assert again.status_code == 409
    assert again.data["errors"][0]["code"] == "invalid_transition"
    assert again.data["errors"][0]["current_status"] == "CANCELLED"
    assert _stock(product) == 5


def test_owner_cannot_cancel_a_paid_order(customer_client: APIClient, customer: User) -> None:
    order = make_order(user=customer, status=OrderStatus.PAYMENT_CONFIRMED)
    response = customer_client.post(f"{ORDERS}{order.pk}/cancel/", format="json")
    assert response.status_code == 409
    assert response.data["errors"][0]["current_status"] == "PAYMENT_CONFIRMED"


def test_manager_cancels_a_processing_order(manager_client: APIClient) -> None:
    product = ProductFactory.create(stock=5)
    order = make_order(lines=[(product, 2)], status=OrderStatus.PROCESSING)
    response = manager_client.post(f"{ORDERS}{order.pk}/cancel/", {"reason": "customer called"}, format="json")
    assert response.status_code == 200
    assert response.data["status"] == "CANCELLED"
    assert _stock(product) == 5
    assert order.status_events.latest("created_at").reason == "customer called"


def test_manager_drives_the_lifecycle_and_shipping_mails_the_customer(
    manager_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    customer = UserFactory.create()
    order = make_order(user=customer, status=OrderStatus.PAYMENT_CONFIRMED)
    url = f"{ORDERS}{order.pk}/status/"
    assert manager_client.post(url, {"status": "PROCESSING"}, format="json").data["status"] == "PROCESSING"
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url, {"status": "SHIPPED"}, format="json")
    assert response.status_code == 200
    assert response.data["status"] == "SHIPPED"
    assert [m.to for m in mail.outbox] == [[customer.email]]
    late = manager_client.post(url, {"status": "CANCELLED"}, format="json")
    assert late.status_code == 409
    assert late.data["errors"][0]["code"] == "invalid_transition"
    assert late.data["errors"][0]["current_status"] == "SHIPPED"


def test_status_skipping_payment_is_409(manager_client: APIClient) -> None:
    order = make_order()
    response = manager_client.post(f"{ORDERS}{order.pk}/status/", {"status": "PROCESSING"}, format="json")
    assert response.status_code == 409
    assert response.data["errors"][0]["current_status"] == "PENDING"


def test_status_cancel_by_staff_restocks(manager_client: APIClient) -> None:
    product = ProductFactory.create(stock=3)
    order = make_order(lines=[(product, 3)], status=OrderStatus.PAYMENT_CONFIRMED)
    response = manager_client.post(f"{ORDERS}{order.pk}/status/", {"status": "CANCELLED"}, format="json")
    assert response.status_code == 200
    assert _stock(product) == 3


@pytest.mark.parametrize("body", [{}, {"status": "PAYMENT_CONFIRMED"}, {"status": "PENDING"}, {"status": "x"}])
def test_status_bad_input_is_400(manager_client: APIClient, body: dict[str, Any]) -> None:
    order = make_order()
    response = manager_client.post(f"{ORDERS}{order.pk}/status/", body, format="json")
    assert response.status_code == 400
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING


def test_status_is_staff_only(customer_client: APIClient, customer: User) -> None:
    order = make_order(user=customer, status=OrderStatus.PAYMENT_CONFIRMED)
    response = customer_client.post(f"{ORDERS}{order.pk}/status/", {"status": "PROCESSING"}, format="json")
    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAYMENT_CONFIRMED
