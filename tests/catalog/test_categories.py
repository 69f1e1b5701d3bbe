from typing import Any

import pytest

from catalog.models import Category
from catalog.services import category_retire
from tests.catalog.conftest import CATEGORIES
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _url(category: Category) -> str:
    return f"{CATEGORIES}{category.pk}/"


def test_anyone_lists_categories_with_parent_ids(api_client: Any) -> None:
    root = CategoryFactory.create(name="A root")
    child = CategoryFactory.create(name="B child", parent=root)

    body = api_client.get(CATEGORIES).json()

    assert body["count"] == 2
    assert [(c["id"], c["parent"]) for c in body["results"]] == [(str(root.pk), None), (str(child.pk), str(root.pk))]
    assert api_client.get(_url(child)).json()["parent"] == str(root.pk)


def test_manager_creates_with_generated_slug(manager_client: Any) -> None:
    parent = CategoryFactory.create()

    response = manager_client.post(CATEGORIES, {"name": "Rain Coats", "parent": str(parent.pk)}, format="json")

    assert response.status_code == 201
    assert (response.json()["slug"], response.json()["parent"]) == ("rain-coats", str(parent.pk))


def test_slug_unique_among_siblings_only(manager_client: Any) -> None:
    men = CategoryFactory.create(slug="men")
    women = CategoryFactory.create(slug="women")
    assert manager_client.post(CATEGORIES, {"name": "Shoes", "parent": str(men.pk)}, format="json").status_code == 201

    duplicate = manager_client.post(CATEGORIES, {"name": "Shoes", "parent": str(men.pk)}, format="json")
    other_parent = manager_client.post(CATEGORIES, {"name": "Shoes", "parent": str(women.pk)}, format="json")

    assert duplicate.status_code == 400
    assert (duplicate.json()["errors"][0]["code"], duplicate.json()["errors"][0]["attr"]) == ("slug_taken", "slug")
    assert other_parent.status_code == 201


def test_root_slugs_are_unique(manager_client: Any) -> None:
    assert manager_client.post(CATEGORIES, {"name": "Sale"}, format="json").status_code == 201
    assert manager_client.post(CATEGORIES, {"name": "Sale"}, format="json").status_code == 400


@pytest.mark.parametrize("target", ["self", "child", "grandchild"])
def test_moving_under_itself_or_a_descendant_is_refused(manager_client: Any, target: str) -> None:
    root = CategoryFactory.create()
    child = CategoryFactory.create(parent=root)
    grandchild = CategoryFactory.create(parent=child)
    new_parent = {"self": root, "child": child, "grandchild": grandchild}[target]

    response = manager_client.patch(_url(root), {"parent": str(new_parent.pk)}, format="json")

    assert response.status_code == 400
    assert (response.json()["errors"][0]["code"], response.json()["errors"][0]["attr"]) == ("category_cycle", "parent")
    root.refresh_from_db()
    assert root.parent_id is None


def test_moving_to_another_branch_and_to_the_root(manager_client: Any) -> None:
    a = CategoryFactory.create()
    b = CategoryFactory.create()
    child = CategoryFactory.create(parent=a)

    assert manager_client.patch(_url(child), {"parent": str(b.pk)}, format="json").json()["parent"] == str(b.pk)
    assert manager_client.patch(_url(child), {"parent": None}, format="json").json()["parent"] is None


def test_rename(manager_client: Any) -> None:
    category = CategoryFactory.create()

    response = manager_client.patch(_url(category), {"name": "Renamed", "slug": "renamed"}, format="json")

    assert (response.json()["name"], response.json()["slug"]) == ("Renamed", "renamed")


def test_delete_empty_category(manager_client: Any) -> None:
    category = CategoryFactory.create()

    assert manager_client.delete(_url(category)).status_code == 204
    assert not Category.objects.filter(pk=category.pk).exists()


@pytest.mark.parametrize("content", ["product", "child"])
def test_delete_category_in_use_is_409(manager_client: Any, content: str) -> None:
    category = CategoryFactory.create()
    if content == "product":
        ProductFactory.create(category=category)
    else:
        CategoryFactory.create(parent=category)

    response = manager_client.delete(_url(category))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "category_in_use"
    assert Category.objects.filter(pk=category.pk).exists()


def test_category_writes_need_manager(api_client: Any, customer_client: Any) -> None:
    category = CategoryFactory.create()

    assert api_client.post(CATEGORIES, {"name": "X"}, format="json").status_code == 401
    assert customer_client.post(CATEGORIES, {"name": "X"}, format="json").status_code == 403
    assert customer_client.patch(_url(category), {"name": "X"}, format="json").status_code == 403
    assert customer_client.delete(_url(category)).status_code == 403


def test_unknown_category_is_404(api_client: Any, manager_client: Any) -> None:
    url = f"{CATEGORIES}00000000-0000-0000-0000-000000000000/"

    assert api_client.get(url).status_code == 404
    assert manager_client.patch(url, {"name": "x"}, format="json").status_code == 404
    assert manager_client.delete(url).status_code == 404


def test_hidden_categories_are_left_out_of_the_public_list_and_detail(api_client: Any) -> None:
    shown = CategoryFactory.create(name="Shown")
    api_client.get(CATEGORIES)  # cached before the other one is hidden
    hidden = CategoryFactory.create(name="Hidden")
    ProductFactory.create(category=hidden)
    assert category_retire(category_id=hidden.pk) is False  # kept for its product, hidden

    body = api_client.get(CATEGORIES).json()

    assert [c["id"] for c in body["results"]] == [str(shown.pk)]
    assert api_client.get(_url(hidden)).status_code == 404


def test_retiring_a_category_deletes_it_when_empty_and_hides_it_otherwise() -> None:
    empty = CategoryFactory.create()
    with_product = CategoryFactory.create()
    ProductFactory.create(category=with_product)
    with_child = CategoryFactory.create()
    CategoryFactory.create(parent=with_child)

    assert category_retire(category_id=empty.pk) is True
    assert category_retire(category_id=with_product.pk) is False
    assert category_retire(category_id=with_child.pk) is False

    assert not Category.objects.filter(pk=empty.pk).exists()
    hidden = set(Category.objects.filter(is_active=False).values_list("pk", flat=True))
    assert hidden == {with_product.pk, with_child.pk}
