from typing import Any

import factory

from accounts.models import Role, User


def _save(user: User, create: bool, extracted: Any, **kwargs: Any) -> None:
    if create:
        user.save()


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.CUSTOMER
    is_verified = True
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")
    saved = factory.PostGeneration(_save)

    class Params:
        manager = factory.Trait(role=Role.MANAGER)
        admin = factory.Trait(role=Role.ADMIN)
