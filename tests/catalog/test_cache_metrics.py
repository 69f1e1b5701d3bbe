"""catalog_cache_requests_total and catalog_cache_fills_total: one count per public read by view, hit or miss (a
miss is the fill that computed the response); staff reads bypass the cache and are not counted."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import ProductFactory
from tests.factories.catalog import CategoryFactory
from tests.metrics_support import moved, snapshot

pytestmark = pytest.mark.django_db(transaction=True)  # the async views read on their own connections

CACHE = ("catalog_cache_requests", "catalog_cache_fills")


def test_each_public_read_is_counted_once_by_view(manager_client: Any) -> None:
    product = ProductFactory.create()
    category = CategoryFactory.create()
    client = APIClient()
    paths = {
        "product_detail": f"/api/v1/products/{product.pk}/",
        "product_list": "/api/v1/products/?page_size=5",
        "category_detail": f"/api/v1/categories/{category.pk}/",
        "category_list": "/api/v1/categories/",
    }
    before = snapshot(*CACHE)
    for path in paths.values():
        assert [client.get(path)["X-Cache"] for _ in range(3)] == ["MISS", "HIT", "HIT"]
        assert manager_client.get(path).status_code == 200  # staff: from the database, not counted
    expected: dict[str, float] = {}
    for view in paths:
        expected[f"catalog_cache_requests_total{{result=miss,view={view}}}"] = 1
        expected[f"catalog_cache_requests_total{{result=hit,view={view}}}"] = 2
        expected[f"catalog_cache_fills_total{{view={view}}}"] = 1
    assert moved(before, *CACHE) == expected
