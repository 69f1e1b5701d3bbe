import io
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.catalog.conftest import product_url
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _png(width: int = 1200, height: int = 800) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (200, 30, 30, 255)).save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def test_upload_stores_original_and_task_makes_two_thumbnails(
    manager_client: Any, api_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    product = ProductFactory.create()

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(f"{product_url(product)}image/", {"image": _png()}, format="multipart")

    assert response.status_code == 202, response.json()
    product.refresh_from_db()
    assert default_storage.exists(product.image.name)
    assert set(product.thumbnails) == {"small", "medium"}
    sizes = {}
    for label, path in product.thumbnails.items():
        with default_storage.open(path, "rb") as handle:
            sizes[label] = Image.open(handle).size
    assert sizes == {"small": (200, 133), "medium": (600, 400)}
    body = api_client.get(product_url(product)).json()
    assert body["image"].endswith(".png")
    assert body["thumbnails"]["small"].endswith("small.jpg")


def test_thumbnails_for_a_replaced_image_are_discarded(manager_client: Any) -> None:
    from catalog.services import product_thumbnails_make

    product = ProductFactory.create()
    manager_client.post(f"{product_url(product)}image/", {"image": _png()}, format="multipart")
    product.refresh_from_db()
    old_name = product.image.name
    manager_client.post(f"{product_url(product)}image/", {"image": _png(300, 300)}, format="multipart")

    product_thumbnails_make(product_id=product.pk, image_name=old_name)

    product.refresh_from_db()
    assert product.thumbnails == {}


def test_non_image_is_400(manager_client: Any) -> None:
    product = ProductFactory.create()
    fake = SimpleUploadedFile("photo.png", b"not an image at all", content_type="image/png")

    response = manager_client.post(f"{product_url(product)}image/", {"image": fake}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "image"
    assert response.json()["errors"][0]["code"] == "invalid_image"


def test_image_over_5_mb_is_400(manager_client: Any, settings: Any) -> None:
    product = ProductFactory.create()
    settings.PRODUCT_IMAGE_MAX_BYTES = 1024

    response = manager_client.post(f"{product_url(product)}image/", {"image": _png()}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "file_too_large"


def test_real_5_mb_limit(manager_client: Any) -> None:
    product = ProductFactory.create()
    buffer = io.BytesIO()
    Image.effect_noise((1800, 1800), 100).convert("RGB").save(buffer, format="BMP")
    big = SimpleUploadedFile("big.bmp", buffer.getvalue() + b"\0" * (5 * 1024 * 1024), content_type="image/bmp")

    response = manager_client.post(f"{product_url(product)}image/", {"image": big}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "file_too_large"


def test_missing_file_is_400(manager_client: Any) -> None:
    product = ProductFactory.create()

    response = manager_client.post(f"{product_url(product)}image/", {}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "image"
