"""The catalog's cache protocol lives in ``catalog.api.caching``: the views only declare what they serve.

Every cached read gets the whole protocol from the one base (X-Cache, Vary, ETag and 304 on details, the
anonymous fast path, one COUNT and one SELECT per list fill), categories exactly like products.
"""

import inspect
from typing import Any

import pytest
from rest_framework.test import APIClient

from catalog.api import pagination, views
from catalog.api.caching import CachedReadViewSet
from tests.catalog.conftest import PRODUCTS
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)

CATEGORIES = "/api/v1/categories/"


def test_views_declare_and_the_base_caches() -> None:
    protocol = {name for name in vars(CachedReadViewSet) if not name.startswith("__")}
    declared = {"list_query", "detail_get", "detail_scope", "cache_resource", "cache_raw_query", "cache_metric_name"}
    for viewset in (views.ProductViewSet, views.CategoryViewSet, views.CatalogViewSet):
        overridden = (protocol - declared) & set(vars(viewset))
        assert not overridden, f"{viewset.__name__} overrides the cache protocol: {overridden}"
    source = inspect.getsource(views)
    for protocol_detail in ("cached_body", "cached_peek", "cached_alias_store", "etag_for", "HTTP_304", "__dict__"):
        assert protocol_detail not in source
    assert "__dict__" not in inspect.getsource(pagination)


@pytest.mark.parametrize(
    ("path", "factory"),
    [(PRODUCTS, ProductFactory), (CATEGORIES, CategoryFactory)],
    ids=["products", "categories"],
)
def test_every_cached_read_gets_the_whole_protocol(api_client: APIClient, path: str, factory: Any) -> None:
    item = factory.create()
    detail = f"{path}{item.pk}/"

    first, second = api_client.get(detail), api_client.get(detail)
    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    for response in (first, second):  # the DRF path, then the anonymous fast path
        assert {"Accept", "Authorization"} <= {part.strip() for part in response["Vary"].split(",")}
    assert first["ETag"] == second["ETag"]
    assert second["Allow"] == first["Allow"]
    not_modified = api_client.get(detail, HTTP_IF_NONE_MATCH=first["ETag"])
    assert (not_modified.status_code, not_modified.content) == (304, b"")
    assert not_modified["ETag"] == first["ETag"]

    listed, relisted = api_client.get(path), api_client.get(path)
    assert (listed["X-Cache"], relisted["X-Cache"]) == ("MISS", "HIT")
    assert "ETag" not in listed
    assert listed.content == relisted.content
    assert api_client.get(path, {"page": "0"}).status_code == 400
    assert api_client.get(path, {"page": "9"}).status_code == 404


@pytest.mark.parametrize("path", [PRODUCTS, CATEGORIES], ids=["products", "categories"])
def test_a_list_fill_costs_one_count_and_one_select(
    api_client: APIClient, django_assert_num_queries: Any, path: str
) -> None:
    ProductFactory.create_batch(3)
    with django_assert_num_queries(2):
        assert api_client.get(path, {"page_size": 2})["X-Cache"] == "MISS"
    with django_assert_num_queries(0):
        assert api_client.get(path, {"page_size": 2})["X-Cache"] == "HIT"


def test_an_empty_search_falls_back_to_similar_names(api_client: APIClient, django_assert_num_queries: Any) -> None:
    ProductFactory.create(name="Espresso cup")
    # The full-text page is empty, the trigram page follows (not full: it is its own count).
    with django_assert_num_queries(2):
        body = api_client.get(PRODUCTS, {"search": "expresso"}).json()
    assert [row["name"] for row in body["results"]] == ["Espresso cup"]
    assert body["count"] == 1
