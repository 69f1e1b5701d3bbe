from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from catalog.models import Category, Product
from inventory.models import StockMovement

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple[Any, ...]]:
    return list(Product.objects.order_by("slug").values_list("id", "name", "slug", "price", "attributes", "category"))


def test_seed_small_catalog(capsys: Any) -> None:
    call_command("seed_catalog", products=120, categories=10, seed=3, batch_size=50)

    assert Product.objects.count() == 120
    assert Category.objects.count() == 10
    assert Category.objects.filter(parent__parent__parent__isnull=True, parent__parent__isnull=False).count() == 6
    leaves_with_products = Category.objects.annotate(n=Count("products")).filter(n__gt=0)
    assert all(c.parent is not None and c.parent.parent is not None for c in leaves_with_products)
    product = Product.objects.first()
    assert product is not None
    assert set(product.attributes) == {"color", "size", "material"}
    assert product.description
    # The ledger starts right: for every product, sum(delta) == stock_quantity.
    sums = dict(StockMovement.objects.values_list("product").annotate(total=Sum("delta")))
    assert all(sums.get(pk, 0) == stock for pk, stock in Product.objects.values_list("pk", "stock_quantity"))
    assert "products" in capsys.readouterr().out


def test_seed_is_deterministic_and_refuses_to_mix() -> None:
    call_command("seed_catalog", products=40, categories=6, seed=11)
    first = _snapshot()
    with pytest.raises(CommandError):
        call_command("seed_catalog", products=40, categories=6, seed=11)

    call_command("seed_catalog", products=40, categories=6, seed=11, replace=True)
    assert _snapshot() == first
    call_command("seed_catalog", products=40, categories=6, seed=12, replace=True)
    assert _snapshot() != first


def test_seeded_products_are_searchable(api_client: Any) -> None:
    call_command("seed_catalog", products=200, categories=10, seed=5)
    name = Product.objects.filter(is_active=True).values_list("name", flat=True).first()
    assert name is not None

    response = api_client.get("/api/v1/products/", {"search": name.split()[-1]})

    assert response.status_code == 200
    assert response.json()["count"] > 0


def test_if_empty_seeds_an_empty_catalog_and_leaves_a_full_one_alone(capsys: Any) -> None:
    call_command("seed_catalog", products=30, categories=6, seed=1, if_empty=True)
    first = _snapshot()
    assert len(first) == 30

    call_command("seed_catalog", products=50, categories=6, seed=2, if_empty=True)

    assert _snapshot() == first
    assert Category.objects.count() == 6
    assert "nothing seeded" in capsys.readouterr().out


def test_images_gives_every_product_a_picture_and_thumbnails(django_capture_on_commit_callbacks: Any) -> None:
    from PIL import Image

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_catalog", products=12, categories=6, seed=4, images=True)

    products = list(Product.objects.all())
    assert len(products) == 12
    for product in products:
        assert product.image.name.startswith(f"products/{product.pk}/demo")
        assert set(product.thumbnails) == {"small", "medium"}
        with default_storage.open(product.image.name) as picture:
            assert Image.open(picture).size == (800, 800)
        with default_storage.open(product.thumbnails["small"]) as small:
            assert Image.open(small).size == (200, 200)
