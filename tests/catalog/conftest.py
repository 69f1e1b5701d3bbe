from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches

from catalog.cache import outages

PRODUCTS = "/api/v1/products/"
CATEGORIES = "/api/v1/categories/"


def product_url(product: Any) -> str:
    return f"{PRODUCTS}{product.pk}/"


def names(response: Any) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


@pytest.fixture(autouse=True)
def _fresh_outage_state() -> Iterator[None]:
    outages.clear()
    yield
    outages.clear()


@pytest.fixture
def dead_cache(settings: Any) -> Iterator[None]:
    """Points the catalog cache at a port where nothing listens."""
    cache = dict(settings.CACHES["default"])
    settings.CACHES = {**settings.CACHES, "default": {**cache, "LOCATION": "redis://127.0.0.1:1/1"}}
    caches["default"].close()
    yield
    outages.clear()
