import factory

from carts.models import Cart, CartItem
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ProductFactory


class CartFactory(factory.django.DjangoModelFactory[Cart]):
    class Meta:
        model = Cart

    user = factory.SubFactory(UserFactory)


class CartItemFactory(factory.django.DjangoModelFactory[CartItem]):
    class Meta:
        model = CartItem

    cart = factory.SubFactory(CartFactory)
    product = factory.SubFactory(ProductFactory, stock=10)
    quantity = 1
