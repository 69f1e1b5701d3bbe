from tests.factories.accounts import UserFactory
from tests.factories.catalog import CategoryFactory, ProductFactory

__all__ = ["CategoryFactory", "ProductFactory", "UserFactory"]
