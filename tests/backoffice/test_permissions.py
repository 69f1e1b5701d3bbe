"""Who sees what in the back office: the role table of ``accounts.roles``, checked through the admin's pages."""

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import User
from accounts.roles import MANAGER_PERMISSIONS, role_has_module_perms, role_has_perm
from emails.models import OutboxMessage, OutboxState
from emails.services import email_enqueue

pytestmark = pytest.mark.django_db

MANAGER_MODELS = {
    "orders.order",
    "catalog.product",
    "catalog.category",
    "inventory.stockmovement",
    "payments.payment",
    "emails.outboxmessage",
}
INTERNAL_PAGES = [
    "/admin/accounts/user/",
    "/admin/django_celery_beat/periodictask/",
    "/admin/django_celery_beat/crontabschedule/",
    "/admin/token_blacklist/outstandingtoken/",
    "/admin/token_blacklist/blacklistedtoken/",
    "/admin/payments/fakecharge/",
    "/admin/payments/webhookevent/",
    "/admin/idempotency/idempotencykey/",
    "/admin/carts/cart/",
]


def _sidebar(client: Client) -> set[str]:
    response = client.get("/admin/")
    assert response.status_code == 200
    return {
        f"{app['app_label']}.{model['object_name'].lower()}"
        for app in response.context["app_list"]
        for model in app["models"]
    }


def test_manager_sees_only_what_they_work_with(manager: User, login: Callable[[User], Client]) -> None:
    assert _sidebar(login(manager)) == MANAGER_MODELS


@pytest.mark.parametrize("url", INTERNAL_PAGES)
def test_internal_tables_are_admin_only(
    url: str, manager: User, admin_user: User, login: Callable[[User], Client]
) -> None:
    assert login(manager).get(url).status_code == 403
    assert login(admin_user).get(url).status_code == 200


def test_admin_sees_internal_tables_in_the_sidebar(admin_user: User, login: Callable[[User], Client]) -> None:
    sidebar = _sidebar(login(admin_user))
    assert sidebar > MANAGER_MODELS
    assert {"accounts.user", "django_celery_beat.periodictask", "payments.fakecharge"} <= sidebar


@pytest.mark.parametrize("url", ["/admin/", "/admin/orders/order/", "/admin/catalog/product/add/"])
def test_customer_cannot_enter(url: str, customer: User, login: Callable[[User], Client]) -> None:
    response = login(customer).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_role_table() -> None:
    assert role_has_perm(role="manager", perm="orders.change_order")
    assert not role_has_perm(role="manager", perm="orders.delete_order")
    assert not role_has_perm(role="manager", perm="payments.change_payment")
    assert role_has_perm(role="manager", perm="payments.view_payment")
    assert not role_has_perm(role="manager", perm="auth.view_group")
    assert role_has_perm(role="admin", perm="auth.change_group")
    assert not role_has_perm(role="customer", perm="catalog.view_product")
    assert role_has_module_perms(role="manager", app_label="inventory")
    assert not role_has_module_perms(role="manager", app_label="django_celery_beat")
    assert all(key.count(".") == 1 for key in MANAGER_PERMISSIONS)


def test_inactive_manager_has_no_permission(manager: User) -> None:
    manager.is_active = False
    assert not manager.has_perm("orders.view_order")
    assert not manager.has_module_perms("orders")


def test_manager_payments_are_read_only(manager: User, login: Callable[[User], Client]) -> None:
    client = login(manager)
    assert client.get("/admin/payments/payment/").status_code == 200
    assert client.get("/admin/payments/payment/add/").status_code == 403


def test_manager_retries_a_dead_outbox_message(manager: User, login: Callable[[User], Client]) -> None:
    email_enqueue(to=["a@example.com"], template="low_stock", context={"products": []}, idempotency_key="dead-1")
    OutboxMessage.objects.update(state=OutboxState.DEAD, attempts=5)
    message = OutboxMessage.objects.get()
    client = login(manager)
    page = client.get("/admin/emails/outboxmessage/")
    assert 'value="retry"' in page.content.decode()
    response = client.post(
        "/admin/emails/outboxmessage/", {"action": "retry", "_selected_action": [str(message.pk)]}, follow=True
    )
    assert "1 message(s) queued again." in response.content.decode()
    message.refresh_from_db()
    assert message.state == OutboxState.PENDING
    assert client.get(f"/admin/emails/outboxmessage/{message.pk}/change/").status_code == 200
    assert client.post(f"/admin/emails/outboxmessage/{message.pk}/delete/", {"post": "yes"}).status_code == 403
