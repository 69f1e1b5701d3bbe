import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import transaction
from django.db.backends.signals import connection_created
from rest_framework.test import APIClient

from catalog.cache import LIST_NAMESPACE, cached_body, generations_bump
from catalog.services import catalog_cache_invalidate
from tests.catalog.conftest import PRODUCTS, names, product_url
from tests.factories import CategoryFactory, ProductFactory
from tests.support import run_concurrently

# Writes invalidate on commit, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def test_detail_miss_then_hit(api_client: APIClient) -> None:
    product = ProductFactory.create()

    first = api_client.get(product_url(product))
    second = api_client.get(product_url(product))

    assert (first.status_code, first["X-Cache"]) == (200, "MISS")
    assert (second.status_code, second["X-Cache"]) == (200, "HIT")
    assert first.json() == second.json()
    assert first["ETag"] == second["ETag"]
    assert second["Content-Type"] == "application/json"


def test_list_miss_then_hit(api_client: APIClient) -> None:
    ProductFactory.create_batch(3)

    assert api_client.get(PRODUCTS)["X-Cache"] == "MISS"
    assert api_client.get(PRODUCTS)["X-Cache"] == "HIT"
    assert api_client.get(PRODUCTS, {"page_size": 2})["X-Cache"] == "MISS"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("color=red&size=M&ordering=price", "ordering=price&size=M&color=red"),
        ("color=red,blue", "color=blue&color=red"),
        ("min_price=10", "min_price=10.00"),
        ("page_size=100", "page_size=500"),
        ("page=1", "page=01"),
        ("color=red&utm_source=mail", "color=red"),
    ],
)
def test_equivalent_queries_share_an_entry(api_client: APIClient, first: str, second: str) -> None:
    ProductFactory.create(attributes={"color": "red", "size": "M"}, price="12.00")

    miss = api_client.get(f"{PRODUCTS}?{first}")
    hit = api_client.get(f"{PRODUCTS}?{second}")

    assert (miss["X-Cache"], hit["X-Cache"]) == ("MISS", "HIT")
    assert miss.json()["results"] == hit.json()["results"]


def test_manager_patch_invalidates_detail_and_every_list(api_client: APIClient, manager_client: APIClient) -> None:
    category = CategoryFactory.create()
    product = ProductFactory.create(price="10.00", category=category, attributes={"color": "red"})
    lists = [PRODUCTS, f"{PRODUCTS}?color=red", f"{PRODUCTS}?category={category.pk}&ordering=price"]
    for url in [product_url(product), *lists]:
        api_client.get(url)
        assert api_client.get(url)["X-Cache"] == "HIT"

    assert manager_client.patch(product_url(product), {"price": "99.00"}, format="json").status_code == 200

    detail = api_client.get(product_url(product))
    assert (detail["X-Cache"], detail.json()["price"]) == ("MISS", "99.00")
    for url in lists:
        response = api_client.get(url)
        assert response["X-Cache"] == "MISS"
        assert [row["price"] for row in response.json()["results"]] == ["99.00"]


def test_create_and_delete_invalidate_lists(api_client: APIClient, manager_client: APIClient) -> None:
    category = CategoryFactory.create()
    existing = ProductFactory.create(name="Old", category=category)
    assert names(api_client.get(PRODUCTS)) == ["Old"]

    payload = {"name": "New", "price": "5.00", "category": str(category.pk)}
    assert manager_client.post(PRODUCTS, payload, format="json").status_code == 201
    assert names(api_client.get(PRODUCTS)) == ["New", "Old"]

    assert manager_client.delete(product_url(existing)).status_code == 204
    assert names(api_client.get(PRODUCTS)) == ["New"]
    assert api_client.get(product_url(existing)).status_code == 404


def test_invalidation_waits_for_commit_and_is_dropped_on_rollback(api_client: APIClient) -> None:
    product = ProductFactory.create()
    api_client.get(product_url(product))

    with transaction.atomic():
        catalog_cache_invalidate(product_ids=[product.pk])
        assert api_client.get(product_url(product))["X-Cache"] == "HIT"
        transaction.set_rollback(True)
    assert api_client.get(product_url(product))["X-Cache"] == "HIT"

    with transaction.atomic():
        catalog_cache_invalidate(product_ids=[product.pk])
    assert api_client.get(product_url(product))["X-Cache"] == "MISS"


def test_category_write_invalidates_product_lists(api_client: APIClient, manager_client: APIClient) -> None:
    parent = CategoryFactory.create()
    child = CategoryFactory.create()
    ProductFactory.create(name="In child", category=child)
    assert names(api_client.get(PRODUCTS, {"category": str(parent.pk)})) == []

    manager_client.patch(f"/api/v1/categories/{child.pk}/", {"parent": str(parent.pk)}, format="json")

    assert names(api_client.get(PRODUCTS, {"category": str(parent.pk)})) == ["In child"]


def test_304_on_matching_if_none_match(api_client: APIClient, manager_client: APIClient) -> None:
    product = ProductFactory.create()
    etag = api_client.get(product_url(product))["ETag"]

    not_modified = api_client.get(product_url(product), HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag

    manager_client.patch(product_url(product), {"name": "Renamed"}, format="json")
    changed = api_client.get(product_url(product), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["name"] == "Renamed"


def test_manager_reads_bypass_the_shared_cache(api_client: APIClient, manager_client: APIClient) -> None:
    ProductFactory.create(name="Hidden", is_active=False)
    ProductFactory.create(name="Shown")

    assert manager_client.get(PRODUCTS)["X-Cache"] == "MISS"
    assert manager_client.get(PRODUCTS)["X-Cache"] == "MISS"
    public = api_client.get(PRODUCTS)
    assert public["X-Cache"] == "MISS"
    assert names(public) == ["Shown"]
    assert set(names(manager_client.get(PRODUCTS))) == {"Hidden", "Shown"}


def test_customers_share_the_public_entries(api_client: APIClient, customer_client: APIClient) -> None:
    product = ProductFactory.create()
    api_client.get(product_url(product))

    assert customer_client.get(product_url(product))["X-Cache"] == "HIT"


@pytest.mark.usefixtures("dead_cache")
def test_redis_down_reads_fail_open(api_client: APIClient, manager_client: APIClient) -> None:
    product = ProductFactory.create(name="Still here", price="10.00")

    detail = api_client.get(product_url(product))
    listing = api_client.get(PRODUCTS, {"search": "still"})
    assert (detail.status_code, detail["X-Cache"], detail.json()["name"]) == (200, "MISS", "Still here")
    assert (listing.status_code, names(listing)) == (200, ["Still here"])

    assert manager_client.patch(product_url(product), {"price": "11.00"}, format="json").status_code == 200
    assert api_client.get(product_url(product)).json()["price"] == "11.00"


def test_a_fill_racing_a_write_is_never_served() -> None:
    """A reader that queried before a write committed stores its (stale) body under the old generation."""
    calls: list[str] = []

    async def stale_then_fresh() -> bytes:
        calls.append("compute")
        if len(calls) == 1:
            # The write commits while the first reader is still rendering its now-stale body.
            generations_bump()
            return b'{"price":"10.00"}'
        return b'{"price":"99.00"}'

    async def read() -> Any:
        return await cached_body(scope=LIST_NAMESPACE, key="catalog:test:race", compute=stale_then_fresh)

    first = async_to_sync(read)()
    second = async_to_sync(read)()

    assert first.body == b'{"price":"10.00"}'
    assert (second.body, second.hit) == (b'{"price":"99.00"}', False)
    assert async_to_sync(read)().hit is True


@pytest.fixture
def product_queries() -> Iterator[list[str]]:
    """Records product SQL run on connections opened from now on (each thread opens its own)."""
    seen: list[str] = []
    lock = threading.Lock()

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if 'FROM "products"' in sql:
            with lock:
                seen.append(sql)
            # Keep the miss open long enough for every concurrent reader to run into it.
            time.sleep(0.05)
        return execute(sql, params, many, context)

    def install(sender: Any, connection: Any, **kwargs: Any) -> None:
        connection.execute_wrappers.append(record)

    connection_created.connect(install)
    yield seen
    connection_created.disconnect(install)


@pytest.mark.parametrize("path", ["list", "detail"])
def test_concurrent_misses_cause_one_database_fill(product_queries: list[str], path: str) -> None:
    product = ProductFactory.create(attributes={"color": "red"})
    url = f"{PRODUCTS}?color=red&ordering=price" if path == "list" else product_url(product)
    readers = 12

    def read(_: int) -> tuple[int, str]:
        response = APIClient().get(url)
        return response.status_code, response["X-Cache"]

    results = run_concurrently(readers, read, reraise=True)

    assert len(results) == readers
    assert all(code == 200 for code, _ in results)
    assert [cache for _, cache in results].count("MISS") == 1
    # One fill, one SELECT: the list's one page is not full, so it is its own count.
    assert len(product_queries) == 1


def test_anonymous_hits_need_no_database(api_client: APIClient, django_assert_num_queries: Any) -> None:
    product = ProductFactory.create()
    api_client.get(product_url(product))
    api_client.get(PRODUCTS, {"color": "red"})

    with django_assert_num_queries(0):
        assert api_client.get(product_url(product))["X-Cache"] == "HIT"
        assert api_client.get(PRODUCTS, {"color": "red"})["X-Cache"] == "HIT"
    # An invalid query never reaches the cache: it is refused by the validating path.
    assert api_client.get(PRODUCTS, {"min_price": "x"}).status_code == 400


def test_raw_query_alias_is_served_without_validation_and_never_stale(
    api_client: APIClient, manager_client: APIClient
) -> None:
    from django_redis import get_redis_connection

    product = ProductFactory.create(attributes={"color": "red"})
    query = {"color": "red", "ordering": "price"}
    assert api_client.get(PRODUCTS, query)["X-Cache"] == "MISS"
    redis = get_redis_connection("default")
    assert redis.keys("*rawlist*"), "the first read stores the page under its raw query too"

    # A different spelling of the same query validates to the same entry, then gets its own alias.
    assert api_client.get(f"{PRODUCTS}?ordering=price&color=red")["X-Cache"] == "HIT"
    assert api_client.get(PRODUCTS, query)["X-Cache"] == "HIT"

    assert manager_client.patch(product_url(product), {"price": "12.00"}, format="json").status_code == 200
    fresh = api_client.get(PRODUCTS, query)
    assert fresh["X-Cache"] == "MISS"  # the alias belonged to the old generation
    assert fresh.json()["results"][0]["price"] == "12.00"


def test_alias_of_a_fill_racing_a_write_is_never_served() -> None:
    from catalog.cache import cached_alias_store, cached_peek

    calls: list[str] = []

    async def stale_then_bumped() -> bytes:
        calls.append("compute")
        generations_bump()  # a write commits while the page is rendered
        return b'{"price":"10.00"}'

    async def fill_and_alias() -> Any:
        cached = await cached_body(scope=LIST_NAMESPACE, key="catalog:test:canonical", compute=stale_then_bumped)
        await cached_alias_store(key="catalog:test:alias", cached=cached)
        return await cached_peek(scope=LIST_NAMESPACE, key="catalog:test:alias")

    assert async_to_sync(fill_and_alias)() is None


def test_catalog_routes_are_async_views() -> None:
    """Reads run on the event loop (no thread per request); the viewsets declare it instead of re-deriving it."""
    from inspect import iscoroutinefunction

    from django.urls import resolve

    for path in (PRODUCTS, "/api/v1/categories/", "/api/v1/products/00000000-0000-0000-0000-000000000000/"):
        assert iscoroutinefunction(resolve(path).func), path
