from decimal import Decimal
from typing import Any

import pytest

from tests.catalog.conftest import PRODUCTS, names
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog() -> dict[str, Any]:
    """A small tree (clothing > tops > shirts; shoes) with products of known price, colour, size and stock."""
    clothing = CategoryFactory.create(name="Clothing", slug="clothing")
    tops = CategoryFactory.create(name="Tops", slug="tops", parent=clothing)
    shirts = CategoryFactory.create(name="Shirts", slug="shirts", parent=tops)
    shoes = CategoryFactory.create(name="Shoes", slug="shoes")
    make = ProductFactory.create
    make(name="red-m", category=clothing, price=Decimal("10.00"), attributes={"color": "red", "size": "M"}, stock=1)
    make(name="blue-l", category=tops, price=Decimal("20.00"), attributes={"color": "blue", "size": "L"}, stock=0)
    make(
        name="green-m",
        category=shirts,
        price=Decimal("30.00"),
        attributes={"color": "green", "size": "M", "material": "linen", "sleeves": 3},
        stock=5,
    )
    make(
        name="red-s",
        category=shoes,
        price=Decimal("40.00"),
        attributes={"color": "red", "size": "S", "material": "leather"},
        stock=2,
    )
    return {"clothing": clothing, "tops": tops, "shirts": shirts, "shoes": shoes}


def _get(client: Any, query: str) -> Any:
    response = client.get(f"{PRODUCTS}?{query}")
    assert response.status_code == 200, response.json()
    return response


def test_category_includes_all_descendants(api_client: Any, catalog: dict[str, Any]) -> None:
    assert set(names(_get(api_client, f"category={catalog['clothing'].pk}"))) == {"red-m", "blue-l", "green-m"}
    assert set(names(_get(api_client, f"category={catalog['tops'].pk}"))) == {"blue-l", "green-m"}
    assert names(_get(api_client, f"category={catalog['shirts'].pk}")) == ["green-m"]
    assert names(_get(api_client, f"category={catalog['shoes'].pk}")) == ["red-s"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("min_price=20", {"blue-l", "green-m", "red-s"}),
        ("max_price=20", {"red-m", "blue-l"}),
        ("min_price=15&max_price=35", {"blue-l", "green-m"}),
        ("color=red", {"red-m", "red-s"}),
        ("color=red,blue", {"red-m", "red-s", "blue-l"}),
        ("color=red&color=green", {"red-m", "red-s", "green-m"}),
        ("size=M", {"red-m", "green-m"}),
        ("size=M,S", {"red-m", "green-m", "red-s"}),
        ("attr=material:linen", {"green-m"}),
        ("attr=material:linen&attr=material:leather", {"green-m", "red-s"}),
        ("attr=material:leather&attr=size:S", {"red-s"}),
        ("attr=material:leather&attr=size:M", set()),
        ("attr=sleeves:3", {"green-m"}),
        ("in_stock=true", {"red-m", "green-m", "red-s"}),
        ("in_stock=false", {"blue-l"}),
    ],
)
def test_each_filter(api_client: Any, catalog: dict[str, Any], query: str, expected: set[str]) -> None:
    assert set(names(_get(api_client, query))) == expected


def test_filters_combine(api_client: Any, catalog: dict[str, Any]) -> None:
    query = f"category={catalog['clothing'].pk}&color=red,green&size=M&min_price=15&in_stock=true"

    assert names(_get(api_client, query)) == ["green-m"]


def test_combined_with_attr_and_price(api_client: Any, catalog: dict[str, Any]) -> None:
    assert names(_get(api_client, "color=red&max_price=15&attr=size:M")) == ["red-m"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("price", ["red-m", "blue-l", "green-m", "red-s"]),
        ("-price", ["red-s", "green-m", "blue-l", "red-m"]),
        ("name", ["blue-l", "green-m", "red-m", "red-s"]),
        ("-created_at", ["red-s", "green-m", "blue-l", "red-m"]),
    ],
)
def test_ordering(api_client: Any, catalog: dict[str, Any], ordering: str, expected: list[str]) -> None:
    assert names(_get(api_client, f"ordering={ordering}")) == expected


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ("min_price=cheap", "min_price", "invalid"),
        ("max_price=NaN", "max_price", "invalid"),
        ("min_price=-5", "min_price", "min_value"),
        ("ordering=popularity", "ordering", "invalid_choice"),
        ("attr=material", "attr", "invalid_attr"),
        ("attr=:linen", "attr", "invalid_attr"),
        ("in_stock=maybe", "in_stock", "invalid"),
        ("category=shoes", "category", "invalid"),
    ],
)
def test_bad_filter_values_are_400(api_client: Any, query: str, attr: str, code: str) -> None:
    response = api_client.get(f"{PRODUCTS}?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert [(e["attr"], e["code"]) for e in body["errors"]] == [(attr, code)]


def test_page_size_is_capped_at_100(api_client: Any) -> None:
    category = CategoryFactory.create()
    ProductFactory.create_batch(105, category=category)

    body = api_client.get(f"{PRODUCTS}?page_size=1000").json()

    assert body["count"] == 105
    assert len(body["results"]) == 100
    assert body["next"] is not None
    assert len(api_client.get(f"{PRODUCTS}?page=2&page_size=100").json()["results"]) == 5


def test_page_out_of_range_is_404(api_client: Any) -> None:
    ProductFactory.create()

    assert api_client.get(f"{PRODUCTS}?page=7").status_code == 404


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_list_query_count_does_not_grow_with_page_size(
    api_client: Any, catalog: dict[str, Any], django_assert_max_num_queries: Any, page_size: int
) -> None:
    ProductFactory.create_batch(120, category=catalog["shoes"], attributes={"color": "red"})
    query = f"{PRODUCTS}?page_size={page_size}&category={catalog['clothing'].pk}&color=red,blue&ordering=price"

    with django_assert_max_num_queries(4):
        assert api_client.get(query).status_code == 200
    with django_assert_max_num_queries(4):
        assert api_client.get(f"{PRODUCTS}?page_size={page_size}&search=hoodei").status_code == 200


def test_list_query_count_for_managers(manager_client: Any, django_assert_max_num_queries: Any) -> None:
    ProductFactory.create_batch(50)

    # One more than anonymous readers: the manager's user row is loaded by authentication.
    with django_assert_max_num_queries(4):
        assert len(manager_client.get(f"{PRODUCTS}?page_size=100").json()["results"]) == 50


def test_detail_query_count(api_client: Any, customer_client: Any, django_assert_max_num_queries: Any) -> None:
    product = ProductFactory.create()

    with django_assert_max_num_queries(2):
        assert api_client.get(f"{PRODUCTS}{product.pk}/").status_code == 200
    with django_assert_max_num_queries(2):
        assert customer_client.get(f"{PRODUCTS}{product.pk}/").status_code == 200
