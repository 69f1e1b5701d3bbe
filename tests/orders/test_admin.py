import pytest
from django.test import Client

from accounts.models import User
from catalog.models import Product
from inventory.models import StockMovement
from orders.models import Order, OrderStatus
from tests.factories import ProductFactory
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _action(client: Client, action: str, orders: list[Order]) -> None:
    response = client.post(
        "/admin/orders/order/",
        {"action": action, "_selected_action": [str(o.pk) for o in orders]},
        follow=True,
    )
    assert response.status_code == 200


def test_order_change_page_shows_items_and_history(admin_user: User) -> None:
    product = ProductFactory.create(stock=5, name="Walnut desk")
    order = make_order(lines=[(product, 2)], status=OrderStatus.PAYMENT_CONFIRMED)
    response = _client(admin_user).get(f"/admin/orders/order/{order.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Walnut desk" in page
    assert "status history" in page.lower()
    assert "PAYMENT_CONFIRMED" in page


def test_actions_go_through_the_state_machine(manager: User) -> None:
    paid = make_order(status=OrderStatus.PAYMENT_CONFIRMED)
    pending = make_order()
    client = _client(manager)
    _action(client, "mark_processing", [paid, pending])
    paid.refresh_from_db()
    pending.refresh_from_db()
    assert paid.status == OrderStatus.PROCESSING
    # PENDING -> PROCESSING is not in the table: refused, not forced.
    assert pending.status == OrderStatus.PENDING
    _action(client, "mark_shipped", [paid])
    paid.refresh_from_db()
    assert paid.status == OrderStatus.SHIPPED
    assert paid.status_events.latest("created_at").actor == manager


def test_cancel_action_restocks(admin_user: User) -> None:
    product = ProductFactory.create(stock=4)
    order = make_order(lines=[(product, 3)])
    _action(_client(admin_user), "cancel_orders", [order])
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert Product.objects.get(pk=product.pk).stock_quantity == 4


def test_status_cannot_be_edited_directly(admin_user: User) -> None:
    order = make_order()
    client = _client(admin_user)
    client.post(f"/admin/orders/order/{order.pk}/change/", {"status": "SHIPPED"})
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_stock_movements_are_read_only(admin_user: User) -> None:
    ProductFactory.create(stock=4)
    movement = StockMovement.objects.get()
    client = _client(admin_user)
    assert client.get("/admin/inventory/stockmovement/").status_code == 200
    assert client.get("/admin/inventory/stockmovement/add/").status_code == 403
    assert client.post(f"/admin/inventory/stockmovement/{movement.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"/admin/inventory/stockmovement/{movement.pk}/change/", {"delta": 99})
    movement.refresh_from_db()
    assert movement.delta == 4


def test_order_change_page_lists_payments(admin_user: User) -> None:
    from tests.factories.payments import PaymentFactory

    product = ProductFactory.create(stock=5)
    order = make_order(lines=[(product, 1)])
    payment = PaymentFactory.create(order=order, transaction_id="txn_admin_inline")
    page = _client(admin_user).get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "txn_admin_inline" in page
    assert str(payment.amount) in page
