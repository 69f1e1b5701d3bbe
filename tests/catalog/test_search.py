from typing import Any

import pytest

from tests.catalog.conftest import PRODUCTS, names
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products() -> None:
    make = ProductFactory.create
    make(name="Wool Hoodie", description="A warm hoodie for winter hoodie lovers")
    make(name="Cotton T-Shirt", description="Light shirt, goes well under a hoodie")
    make(name="Rain Jacket", description="Waterproof shell")
    make(name="Denim Jacket", description="Classic blue denim")
    make(name="Leather Boots", description="Sturdy boots for rain and snow")


def _search(client: Any, query: str) -> list[str]:
    response = client.get(PRODUCTS, {"search": query})
    assert response.status_code == 200, response.json()
    return names(response)


def test_ranked_name_match_before_description_match(api_client: Any, products: None) -> None:
    # Name is weighted A, description B: the hoodie itself ranks above the shirt that mentions one.
    assert _search(api_client, "hoodie") == ["Wool Hoodie", "Cotton T-Shirt"]


def test_relevance_ordering_is_the_default_with_search(api_client: Any, products: None) -> None:
    explicit = names(api_client.get(PRODUCTS, {"search": "hoodie", "ordering": "relevance"}))

    assert explicit == _search(api_client, "hoodie")


def test_explicit_ordering_overrides_rank(api_client: Any, products: None) -> None:
    assert names(api_client.get(PRODUCTS, {"search": "hoodie", "ordering": "name"})) == [
        "Cotton T-Shirt",
        "Wool Hoodie",
    ]


def test_websearch_or_quotes_and_exclusion(api_client: Any, products: None) -> None:
    assert set(_search(api_client, "jacket OR boots")) == {"Rain Jacket", "Denim Jacket", "Leather Boots"}
    assert _search(api_client, '"denim jacket"') == ["Denim Jacket"]
    assert _search(api_client, "jacket -denim") == ["Rain Jacket"]


def test_stemming(api_client: Any, products: None) -> None:
    assert set(_search(api_client, "jackets")) == {"Rain Jacket", "Denim Jacket"}


def test_trigram_fallback_finds_typos(api_client: Any, products: None) -> None:
    assert _search(api_client, "hoodei") == ["Wool Hoodie"]
    assert set(_search(api_client, "jackett")) == {"Rain Jacket", "Denim Jacket"}


def test_no_fallback_when_full_text_matches(api_client: Any, products: None) -> None:
    # "rain" matches full text (jacket name, boots description); the fuzzy "Rain"-like names are not added.
    assert set(_search(api_client, "rain")) == {"Rain Jacket", "Leather Boots"}


def test_nothing_found(api_client: Any, products: None) -> None:
    assert _search(api_client, "xylophone") == []


def test_search_combines_with_filters(api_client: Any) -> None:
    ProductFactory.create(name="Red Hoodie", attributes={"color": "red"})
    ProductFactory.create(name="Blue Hoodie", attributes={"color": "blue"})

    assert names(api_client.get(PRODUCTS, {"search": "hoodie", "color": "blue"})) == ["Blue Hoodie"]
    assert names(api_client.get(PRODUCTS, {"search": "hodie", "color": "red"})) == ["Red Hoodie"]
