"""Committed data a live server can see: two roles, a category tree, products, orders, a cart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from carts.services import cart_item_add
from orders.models import OrderStatus
from tests.factories import CategoryFactory, ProductFactory, UserFactory
from tests.factories.orders import make_order
from tests.factories.payments import paid_order

# A fuzzing run on a busy 2-core machine can outlive the default 10-minute access token.
TOKEN_LIFETIME = timedelta(hours=3)
# Enough units that no generated order or cart line runs the shared product out of stock.
AMPLE_STOCK = 1_000_000


def long_lived_access(user: User) -> str:
    access = RefreshToken.for_user(user).access_token
    access.set_exp(lifetime=TOKEN_LIFETIME)
    return str(access)


@dataclass(frozen=True)
class SeedData:
    customer: User
    manager: User
    admin: User
    customer_token: str
    manager_token: str
    admin_token: str
    category_id: str
    empty_category_id: str
    product_id: str
    deletable_product_id: str
    pending_order_id: str
    payable_order_id: str
    confirmed_order_id: str
    anonymous_cart_token: str


def seed_api_data() -> SeedData:
    customer = UserFactory.create()
    manager = UserFactory.create(manager=True)
    admin = UserFactory.create(admin=True)
    category = CategoryFactory.create()
    empty_category = CategoryFactory.create(parent=category)
    product = ProductFactory.create(category=category, stock=AMPLE_STOCK)
    deletable = ProductFactory.create(category=category, stock=3)
    ProductFactory.create_batch(3, category=category, stock=2)
    pending = make_order(user=customer, lines=[(product, 1)])
    payable = make_order(user=customer, lines=[(product, 1)])
    confirmed = paid_order(user=customer, status=OrderStatus.PAYMENT_CONFIRMED)
    cart_item_add(user=customer, cart_token=None, product_id=product.pk, quantity=1)
    anonymous = cart_item_add(user=None, cart_token=None, product_id=product.pk, quantity=1)
    assert anonymous.cart_token is not None
    return SeedData(
        customer=customer,
        manager=manager,
        admin=admin,
        customer_token=long_lived_access(customer),
        manager_token=long_lived_access(manager),
        admin_token=long_lived_access(admin),
        category_id=str(category.pk),
        empty_category_id=str(empty_category.pk),
        product_id=str(product.pk),
        deletable_product_id=str(deletable.pk),
        pending_order_id=str(pending.pk),
        payable_order_id=str(payable.pk),
        confirmed_order_id=str(confirmed.pk),
        anonymous_cart_token=anonymous.cart_token,
    )
