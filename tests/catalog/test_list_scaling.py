"""Product lists whose cost does not grow with the catalog: page-first reads, a capped count, a bounded relevance
ranking, and indexes that hand out the common orderings."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.http import QueryDict
from drf_spectacular.generators import SchemaGenerator

from catalog import selectors
from tests.catalog.conftest import PRODUCTS, names
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cap_of_five(settings: Any) -> None:
    settings.CATALOG_COUNT_CAP = 5


def _page(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get(PRODUCTS, params)
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


# Queries per page.


def test_a_page_that_is_not_full_is_its_own_count(api_client: Any, django_assert_num_queries: Any) -> None:
    ProductFactory.create_batch(3)

    with django_assert_num_queries(1):
        body = _page(api_client)

    assert (body["count"], body["count_exact"], body["next"], len(body["results"])) == (3, True, None, 3)


def test_a_full_page_adds_one_capped_count(api_client: Any, django_assert_num_queries: Any) -> None:
    ProductFactory.create_batch(5)

    with django_assert_num_queries(2):
        body = _page(api_client, page_size=2, ordering="price")

    assert (body["count"], body["count_exact"], len(body["results"])) == (5, True, 2)
    assert body["next"] is not None


def test_a_ranked_search_page_is_one_query_with_its_count(api_client: Any, django_assert_num_queries: Any) -> None:
    ProductFactory.create_batch(3, name="Wool Hoodie")
    ProductFactory.create(name="Rain Jacket")

    with django_assert_num_queries(1):
        assert _page(api_client, search="hoodie")["count"] == 3
    with django_assert_num_queries(1):
        body = _page(api_client, search="hoodie", page_size=2, max_price="100")
    assert (body["count"], body["count_exact"], len(body["results"])) == (3, True, 2)
    # An explicit order pages through every match: its page and a capped count.
    with django_assert_num_queries(2):
        assert _page(api_client, search="hoodie", page_size=2, ordering="price")["count"] == 3


def test_an_empty_page_one_with_no_fallback_is_one_query(api_client: Any, django_assert_num_queries: Any) -> None:
    ProductFactory.create(price="10.00")

    with django_assert_num_queries(1):
        body = _page(api_client, min_price="20")

    assert (body["count"], body["count_exact"], body["results"]) == (0, True, [])


# The capped count.


def test_the_count_stops_at_the_cap_and_says_so(api_client: Any, cap_of_five: None) -> None:
    ProductFactory.create_batch(12)

    first = _page(api_client, page_size=2)
    assert (first["count"], first["count_exact"], len(first["results"])) == (5, False, 2)
    assert first["next"] is not None
    assert first["previous"] is None

    # Past the cap, the count reaches at least the end of the page asked for.
    third = _page(api_client, page_size=2, page=3)
    assert (third["count"], third["count_exact"]) == (6, False)
    assert third["next"] is not None

    last = _page(api_client, page_size=2, page=6)
    assert (last["count"], last["count_exact"], last["next"]) == (12, True, None)
    assert api_client.get(PRODUCTS, {"page_size": 2, "page": 7}).status_code == 404


def test_the_count_is_exact_up_to_the_cap(api_client: Any, cap_of_five: None) -> None:
    ProductFactory.create_batch(5)
    assert (_page(api_client, page_size=2)["count"], _page(api_client, page_size=2)["count_exact"]) == (5, True)

    ProductFactory.create()
    body = _page(api_client, page_size=3, ordering="name")
    # Six match: more than the cap of five.
    assert (body["count"], body["count_exact"]) == (5, False)


def test_last_page_counts_exactly(api_client: Any, cap_of_five: None) -> None:
    ProductFactory.create_batch(11)

    body = _page(api_client, page_size=2, page="last")

    assert (body["count"], body["count_exact"], len(body["results"]), body["next"]) == (11, True, 1, None)


def test_walking_the_pages_past_the_cap_sees_every_product_once(api_client: Any, cap_of_five: None) -> None:
    created = {product.name for product in ProductFactory.create_batch(9)}
    seen: list[str] = []
    url: str | None = f"{PRODUCTS}?page_size=2&ordering=price"
    while url:
        body = api_client.get(url).json()
        seen += [row["name"] for row in body["results"]]
        url = body["next"]

    assert sorted(seen) == sorted(created)


# The relevance window.


def test_relevance_ranks_a_window_of_the_matches(api_client: Any, cap_of_five: None) -> None:
    ProductFactory.create_batch(8, name="Plain Hoodie")

    first = _page(api_client, search="hoodie", page_size=2)
    assert (first["count"], first["count_exact"]) == (5, False)

    seen: list[str] = []
    url: str | None = f"{PRODUCTS}?search=hoodie&page_size=2"
    while url:
        body = api_client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    # The window's five, each once; the page after it is past the end.
    assert len(seen) == len(set(seen)) == 5
    assert api_client.get(PRODUCTS, {"search": "hoodie", "page_size": 2, "page": 4}).status_code == 404

    last = _page(api_client, search="hoodie", page_size=2, page="last")
    assert (last["count"], last["count_exact"], len(last["results"]), last["next"]) == (5, False, 1, None)


def test_within_the_window_ranking_is_exact(api_client: Any, cap_of_five: None) -> None:
    ProductFactory.create(name="Plain Shirt", description="goes with a hoodie")
    ProductFactory.create(name="Hoodie Hoodie", description="hoodie")
    ProductFactory.create(name="Wool Hoodie", description="warm")

    assert names(api_client.get(PRODUCTS, {"search": "hoodie"})) == ["Hoodie Hoodie", "Wool Hoodie", "Plain Shirt"]


def test_an_explicit_order_with_search_pages_through_every_match(api_client: Any, cap_of_five: None) -> None:
    ProductFactory.create_batch(8, name="Plain Hoodie")

    body = _page(api_client, search="hoodie", ordering="name", page_size=2, page=4)

    assert (body["count"], body["count_exact"], len(body["results"]), body["next"]) == (8, True, 2, None)


def test_the_schema_documents_count_exact() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    page = schema["components"]["schemas"]["PaginatedProductList"]

    assert page["properties"]["count_exact"]["type"] == "boolean"
    assert {"count", "count_exact", "results"} <= set(page["required"])
    assert "lower bound" in page["properties"]["count"]["description"]


# The orderings come off an index.


def _plan(params: str) -> str:
    queryset = selectors.product_search(params=QueryDict(params), include_inactive=False).queryset[:20]
    sql, sql_params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, sql_params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    "params",
    [
        "",
        "ordering=price",
        "ordering=-price",
        "ordering=name",
        "ordering=price&min_price=10&max_price=500&in_stock=true&color=red&size=M",
        "ordering=-created_at&in_stock=false",
        "category={leaf}",
        "category={leaf}&ordering=price",
    ],
)
def test_the_common_orderings_are_read_off_an_index(params: str) -> None:
    leaf = CategoryFactory.create()
    ProductFactory.create_batch(30, category=leaf)
    ProductFactory.create_batch(30)
    with connection.cursor() as cursor:
        # The planner's verdict whatever the table's size: no scan of the whole table, no sort of its rows.
        for setting in ("seqscan", "bitmapscan", "sort", "incremental_sort"):
            cursor.execute(f"SET LOCAL enable_{setting} = off")
        cursor.execute("ANALYZE products")

    plan = _plan(params.format(leaf=leaf.pk))

    assert "Seq Scan on products" not in plan, plan
    assert "Sort" not in plan, plan
    assert "products_active_" in plan, plan


def test_an_anonymous_miss_validates_its_query_once(api_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from catalog.api.views import ProductViewSet

    seen: list[bool] = []
    validate = ProductViewSet.list_query

    def spy(self: ProductViewSet, params: QueryDict, *, staff: bool) -> Any:
        seen.append(staff)
        return validate(self, params, staff=staff)

    monkeypatch.setattr(ProductViewSet, "list_query", spy)
    ProductFactory.create()

    assert api_client.get(PRODUCTS, {"color": "red"})["X-Cache"] == "MISS"
    # Looking for a hit validated it; the miss reuses that.
    assert seen == [False]
