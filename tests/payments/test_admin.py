import pytest
from django.test import Client

from payments.models import Payment
from tests.factories.payments import paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(manager):
    client = Client()
    client.force_login(manager)
    return client


def test_payment_changelist_links_to_the_order(staff_client):
    order = paid_order()
    response = staff_client.get("/admin/payments/payment/", {"status__exact": "succeeded"})
    assert response.status_code == 200
    assert f"/admin/orders/order/{order.pk}/change/" in response.content.decode()


def test_payments_are_read_only(staff_client):
    payment = Payment.objects.get(order=paid_order())
    assert staff_client.get("/admin/payments/payment/add/").status_code == 403
    detail = staff_client.get(f"/admin/payments/payment/{payment.pk}/change/")
    assert detail.status_code == 200
    assert 'name="status"' not in detail.content.decode()
    response = staff_client.post(f"/admin/payments/payment/{payment.pk}/change/", {"status": "refunded"})
    assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert staff_client.post(f"/admin/payments/payment/{payment.pk}/delete/", {"post": "yes"}).status_code == 403


def test_webhook_events_and_fake_charges_pages_load_for_admins_only(staff_client, admin_user):
    paid_order()
    admin_client = Client()
    admin_client.force_login(admin_user)
    assert admin_client.get("/admin/payments/webhookevent/").status_code == 200
    assert admin_client.get("/admin/payments/fakecharge/").status_code == 200
    # Internal tables: a manager does not see them.
    assert staff_client.get("/admin/payments/webhookevent/").status_code == 403
    assert staff_client.get("/admin/payments/fakecharge/").status_code == 403
