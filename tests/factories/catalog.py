from decimal import Decimal

import factory

from catalog.models import Category, Product


def _record_stock(product: Product, create: bool, extracted: int | None, **kwargs: object) -> None:
    from inventory.services import stock_initialize

    if create and extracted:
        stock_initialize(product=product, quantity=int(extracted))


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None


class ProductFactory(factory.django.DjangoModelFactory[Product]):
    """Creates products with stock 0 then records the stock through the ledger (check_inventory stays clean)."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = factory.Faker("sentence")
    price = Decimal("49.00")
    category = factory.SubFactory(CategoryFactory)
    attributes = factory.LazyFunction(lambda: {"color": "red", "size": "M"})
    is_active = True
    stock_quantity = 0

    stock = factory.PostGeneration(_record_stock)
