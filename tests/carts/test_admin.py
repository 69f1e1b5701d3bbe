import pytest
from django.test import Client

from accounts.models import User
from tests.factories.carts import CartFactory, CartItemFactory

pytestmark = pytest.mark.django_db


def test_admin_lists_and_shows_carts(admin_user: User) -> None:
    cart = CartFactory.create()
    CartItemFactory.create(cart=cart, quantity=3)
    CartItemFactory.create(cart=cart, quantity=2)
    client = Client()
    client.force_login(admin_user)

    listing = client.get("/admin/carts/cart/", {"q": cart.user.email})
    assert listing.status_code == 200
    assert cart.user.email in listing.content.decode()
    assert listing.context["cl"].result_list[0].unit_count == 5

    detail = client.get(f"/admin/carts/cart/{cart.pk}/change/")
    assert detail.status_code == 200
