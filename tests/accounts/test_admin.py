import pytest
from django.test import Client

from accounts.models import Role

pytestmark = pytest.mark.django_db


def test_manager_can_open_admin_but_not_users(manager, customer):
    client = Client()
    client.force_login(manager)
    assert client.get("/admin/").status_code == 200
    url = f"/admin/accounts/user/{customer.pk}/change/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"email": customer.email, "role": Role.ADMIN}).status_code == 403
    customer.refresh_from_db()
    assert customer.role == Role.CUSTOMER


def test_admin_can_change_roles(admin_user, customer):
    client = Client()
    client.force_login(admin_user)
    url = f"/admin/accounts/user/{customer.pk}/change/"
    assert b'name="role"' in client.get(url).content
    response = client.post(
        url,
        {
            "email": customer.email,
            "first_name": "",
            "last_name": "",
            "role": Role.MANAGER,
            "is_verified": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    customer.refresh_from_db()
    assert customer.role == Role.MANAGER


def test_customer_cannot_open_admin(customer):
    client = Client()
    client.force_login(customer)
    assert client.get("/admin/").status_code == 302
