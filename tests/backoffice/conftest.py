from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import User


@pytest.fixture
def login() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
