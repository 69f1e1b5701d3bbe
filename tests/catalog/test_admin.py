from typing import Any

import pytest
from django.test import Client

from catalog.models import Category, Product
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(manager: Any) -> Client:
    client = Client()
    client.force_login(manager)
    return client


def test_category_changelist_is_tree_ordered(staff_client: Client) -> None:
    shoes = CategoryFactory.create(name="Shoes")
    clothing = CategoryFactory.create(name="Clothing")
    CategoryFactory.create(name="Boots", parent=shoes)
    CategoryFactory.create(name="Shirts", parent=clothing)

    response = staff_client.get("/admin/catalog/category/")

    assert response.status_code == 200
    rows = [obj.tree_path for obj in response.context["cl"].result_list]
    assert rows == ["Clothing", "Clothing › Shirts", "Shoes", "Shoes › Boots"]


def test_category_admin_refuses_a_cycle(staff_client: Client) -> None:
    root = CategoryFactory.create(name="Root", slug="root")
    child = CategoryFactory.create(name="Child", parent=root)

    response = staff_client.post(
        f"/admin/catalog/category/{root.pk}/change/", {"name": "Root", "slug": "root", "parent": str(child.pk)}
    )

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    root.refresh_from_db()
    assert root.parent_id is None


def test_category_admin_delete_in_use_keeps_it(staff_client: Client) -> None:
    category = CategoryFactory.create()
    ProductFactory.create(category=category)

    staff_client.post(f"/admin/catalog/category/{category.pk}/delete/", {"post": "yes"})

    assert Category.objects.filter(pk=category.pk).exists()


def test_product_admin_edits_attributes_through_the_service(staff_client: Client) -> None:
    product = ProductFactory.create(stock=3)

    response = staff_client.post(
        f"/admin/catalog/product/{product.pk}/change/",
        {
            "name": product.name,
            "slug": product.slug,
            "description": "",
            "price": "15.00",
            "category": str(product.category_id),
            "attributes": '{"color": "blue", "size": "XL"}',
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    product.refresh_from_db()
    assert (product.attributes, str(product.price), product.stock_quantity) == (
        {"color": "blue", "size": "XL"},
        "15.00",
        3,
    )


def test_product_admin_rejects_nested_attributes(staff_client: Client) -> None:
    product = ProductFactory.create()

    response = staff_client.post(
        f"/admin/catalog/product/{product.pk}/change/",
        {
            "name": product.name,
            "slug": product.slug,
            "price": "15.00",
            "category": str(product.category_id),
            "attributes": '{"color": {"deep": 1}}',
        },
    )

    assert response.status_code == 200
    assert "attributes" in response.context["adminform"].form.errors


def test_product_admin_add_and_changelist(staff_client: Client) -> None:
    category = CategoryFactory.create()

    response = staff_client.post(
        "/admin/catalog/product/add/",
        {"name": "Scarf", "slug": "scarf", "price": "9.00", "category": str(category.pk), "attributes": "{}"},
    )

    assert response.status_code == 302
    assert Product.objects.filter(slug="scarf").exists()
    assert staff_client.get("/admin/catalog/product/?q=scarf").status_code == 200
