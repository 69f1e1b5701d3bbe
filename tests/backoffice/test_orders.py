"""The order pages: lifecycle buttons through the state machine, readable inlines, filters, no N+1 on the list."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from emails.models import OutboxMessage
from orders.models import Order, OrderStatus
from payments.models import Payment, PaymentStatus
from tests.factories import ProductFactory, UserFactory
from tests.factories.orders import make_order
from tests.factories.payments import paid_order

pytestmark = pytest.mark.django_db


def _change_url(order: Order) -> str:
    return f"/admin/orders/order/{order.pk}/change/"


def _transition(client: Client, order: Order, to_status: str) -> str:
    response = client.post(f"/admin/orders/order/{order.pk}/transition/{to_status}/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == _change_url(order)
    return response.content.decode()


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (OrderStatus.PENDING, ["CANCELLED"]),
        (OrderStatus.PAYMENT_CONFIRMED, ["PROCESSING", "CANCELLED"]),
        (OrderStatus.PROCESSING, ["SHIPPED", "CANCELLED"]),
        (OrderStatus.SHIPPED, []),
        (OrderStatus.CANCELLED, []),
    ],
)
def test_order_page_offers_only_the_allowed_transitions(
    status: str, offered: list[str], manager: User, login: Callable[[User], Client]
) -> None:
    order = make_order(status=status)
    page = login(manager).get(_change_url(order))
    assert page.status_code == 200
    assert [name for name, _ in page.context["transitions"]] == offered
    html = page.content.decode()
    for name in ("PROCESSING", "SHIPPED", "CANCELLED"):
        assert (f'data-transition="{name}"' in html) == (name in offered)
    # Nothing is edited by hand: no save buttons.
    assert 'name="_save"' not in html


def test_manager_ships_a_processing_order(manager: User, login: Callable[[User], Client]) -> None:
    order = paid_order(status=OrderStatus.PROCESSING)
    html = _transition(login(manager), order, "SHIPPED")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    event = order.status_events.latest("created_at")
    assert (event.from_status, event.to_status, event.actor) == ("PROCESSING", "SHIPPED", manager)
    assert f"Order {order.pk} is now SHIPPED." in html
    assert f"PROCESSING → SHIPPED by {manager.email} at" in html
    assert OutboxMessage.objects.filter(idempotency_key=f"order-shipped:{order.pk}").exists()


def test_refused_transition_is_a_clear_message(manager: User, login: Callable[[User], Client]) -> None:
    order = make_order(status=OrderStatus.PAYMENT_CONFIRMED)
    html = _transition(login(manager), order, "SHIPPED")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAYMENT_CONFIRMED
    assert "An order in status PAYMENT_CONFIRMED cannot move to SHIPPED." in html
    assert 'class="error"' in html


def test_payment_confirmation_is_not_settable_by_staff(manager: User, login: Callable[[User], Client]) -> None:
    order = make_order()
    html = _transition(login(manager), order, "PAYMENT_CONFIRMED")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert "Staff cannot set status" in html


def test_cancel_button_refunds_a_paid_order(manager: User, login: Callable[[User], Client]) -> None:
    order = paid_order()
    _transition(login(manager), order, "CANCELLED")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert Payment.objects.get(order=order).status == PaymentStatus.REFUNDED


def test_transition_needs_post_and_staff(manager: User, customer: User, login: Callable[[User], Client]) -> None:
    order = make_order(status=OrderStatus.PAYMENT_CONFIRMED)
    url = f"/admin/orders/order/{order.pk}/transition/PROCESSING/"
    assert login(manager).get(url).status_code == 405
    response = login(customer).post(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAYMENT_CONFIRMED


def test_list_action_reports_each_refusal(manager: User, login: Callable[[User], Client]) -> None:
    pending = make_order()
    processing = make_order(status=OrderStatus.PROCESSING)
    response = login(manager).post(
        "/admin/orders/order/",
        {"action": "mark_shipped", "_selected_action": [str(pending.pk), str(processing.pk)]},
        follow=True,
    )
    html = response.content.decode()
    assert "1 order(s) shipped." in html
    assert f"Order {pending.pk}: An order in status PENDING cannot move to SHIPPED." in html


def test_inlines_are_readable(manager: User, login: Callable[[User], Client]) -> None:
    product = ProductFactory.create(stock=5, name="Walnut desk", price="120.00")
    order = make_order(lines=[(product, 2)], status=OrderStatus.PAYMENT_CONFIRMED)
    html = login(manager).get(_change_url(order)).content.decode()
    assert "OrderItem object" not in html
    assert "OrderStatusEvent object" not in html
    assert "Walnut desk × 2 at 120.00" in html
    assert "240.00" in html  # line total
    assert "(new) → PENDING by " in html
    assert "PENDING → PAYMENT_CONFIRMED by system at" in html


def test_list_filters_by_customer_email_and_searches_by_id(manager: User, login: Callable[[User], Client]) -> None:
    ann = UserFactory.create(email="ann@example.com")
    mine = make_order(user=ann)
    other = make_order()
    client = login(manager)

    by_email = client.get("/admin/orders/order/", {"customer": "ANN@example.com"})
    assert [o.pk for o in by_email.context["cl"].result_list] == [mine.pk]

    by_id = client.get("/admin/orders/order/", {"q": str(other.pk)[:13]})
    assert [o.pk for o in by_id.context["cl"].result_list] == [other.pk]

    by_status = client.get("/admin/orders/order/", {"status__exact": "PENDING", "customer": "ann@example.com"})
    assert [o.pk for o in by_status.context["cl"].result_list] == [mine.pk]


def test_list_shows_counts_and_totals(manager: User, login: Callable[[User], Client]) -> None:
    first, second = ProductFactory.create(stock=9, price="10.00"), ProductFactory.create(stock=9, price="5.00")
    order = make_order(lines=[(first, 3), (second, 2)])
    row = login(manager).get("/admin/orders/order/").context["cl"].result_list[0]
    assert (row.pk, row.item_count, row.unit_count, str(row.total_amount)) == (order.pk, 2, 5, "40.00")


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/admin/orders/order/").status_code == 200
    return len(queries)


def test_order_list_query_count_does_not_grow_with_rows(manager: User, login: Callable[[User], Client]) -> None:
    client = login(manager)
    make_order()
    one = _list_queries(client)
    for _ in range(5):
        make_order(lines=[(ProductFactory.create(stock=3), 1), (ProductFactory.create(stock=3), 2)])
    # session + user, the date hierarchy, the count, the page: the same for 1 order or 6.
    assert _list_queries(client) == one == 6


def test_filter_counts_render(manager: User, login: Callable[[User], Client]) -> None:
    make_order()
    response = login(manager).get("/admin/orders/order/", {"_facets": "1", "customer": "nobody@example.com"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
