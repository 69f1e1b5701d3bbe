from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import UserFactory
from tests.support import client_for


@pytest.fixture(autouse=True)
def _clean_redis() -> None:
    """Every test starts with empty caches, carts and throttle history (each is its own Redis DB)."""
    for alias in ("default", "carts", "throttle", "sessions"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def auth_client() -> Callable[[User], APIClient]:
    return client_for


@pytest.fixture
def customer(db: None) -> User:
    return UserFactory.create()


@pytest.fixture
def manager(db: None) -> User:
    return UserFactory.create(manager=True)


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory.create(admin=True)


@pytest.fixture
def customer_client(customer: User, auth_client: Callable[[User], APIClient]) -> APIClient:
    return auth_client(customer)


@pytest.fixture
def manager_client(manager: User, auth_client: Callable[[User], APIClient]) -> APIClient:
    return auth_client(manager)


@pytest.fixture
def admin_client_api(admin_user: User, auth_client: Callable[[User], APIClient]) -> APIClient:
    return auth_client(admin_user)
