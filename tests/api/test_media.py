"""Uploaded images: served by the application (api.media) with safe paths and cache headers, and linked from
the API with absolute URLs that are the same whether the body came from the cache or not."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from tests.catalog.conftest import PRODUCTS, product_url
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (20, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def _path(url: str) -> str:
    return urlsplit(url).path


def test_a_generated_thumbnail_is_served_with_its_type_and_cache_headers(
    manager_client: APIClient, api_client: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    product = ProductFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(f"{product_url(product)}image/", {"image": _png()}, format="multipart")
    body = api_client.get(product_url(product)).json()

    response = Client().get(_path(body["thumbnails"]["medium"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == f"public, max-age={settings.MEDIA_MAX_AGE}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(response.content)).size == (600, 400)
    original = Client().get(_path(body["image"]))
    assert (original.status_code, original["Content-Type"]) == (200, "image/png")
    again = Client().get(_path(body["thumbnails"]["medium"]), headers={"If-Modified-Since": response["Last-Modified"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/media/../outside.png",
        "/media/%2e%2e/outside.png",
        "/media/..%2foutside.png",
        "/media/products/../../outside.png",
        "/media/{outside}",
        "/media/products/",
        "/media/products/missing.jpg",
    ],
)
def test_paths_outside_the_media_folder_or_missing_are_404(path: str) -> None:
    """``outside.png`` is a real image next to the media folder: no spelling of a path reaches it."""
    media_root = Path(settings.MEDIA_ROOT)
    outside = media_root.parent / "outside.png"
    Image.new("RGB", (4, 4)).save(outside)
    default_storage.save("products/present.jpg", io.BytesIO(b"\xff\xd8\xff"))

    assert Client().get(path.format(outside=outside)).status_code == 404
    assert Client().get("/media/products/present.jpg").status_code == 200


def test_only_image_types_are_answered() -> None:
    """A stored file that is not an image is never served from our origin (it could be HTML or script)."""
    for name in ("products/page.html", "products/script.js", "products/image.svg", "products/data.png.gz"):
        default_storage.save(name, io.BytesIO(b"<script>alert(1)</script>"))
        assert Client().get(f"/media/{name}").status_code == 404, name
    assert Path(default_storage.path("products/page.html")).exists()


def test_writes_are_refused() -> None:
    default_storage.save("products/present.jpg", io.BytesIO(b"\xff\xd8\xff"))

    assert Client().post("/media/products/present.jpg").status_code == 405


def test_api_image_urls_are_absolute_and_the_same_from_the_cache(
    api_client: APIClient, manager_client: APIClient
) -> None:
    product = ProductFactory.create(
        image=f"products/{'a' * 8}/photo.png",
        thumbnails={"small": "products/thumbnails/x/small.jpg", "medium": "products/thumbnails/x/medium.jpg"},
    )
    media = f"{settings.PUBLIC_ORIGIN}/media/"

    miss, hit = api_client.get(product_url(product)), api_client.get(product_url(product))
    listed_miss, listed_hit = api_client.get(PRODUCTS), api_client.get(PRODUCTS)
    staff = manager_client.get(product_url(product)).json()

    assert (miss["X-Cache"], hit["X-Cache"], listed_miss["X-Cache"], listed_hit["X-Cache"]) == (
        "MISS",
        "HIT",
        "MISS",
        "HIT",
    )
    assert miss.json()["image"] == f"{media}products/aaaaaaaa/photo.png"
    assert miss.json()["thumbnails"] == {
        "small": f"{media}products/thumbnails/x/small.jpg",
        "medium": f"{media}products/thumbnails/x/medium.jpg",
    }
    assert hit.json() == miss.json()
    assert listed_miss.json()["results"][0] == listed_hit.json()["results"][0] == miss.json()
    assert {staff["image"], *staff["thumbnails"].values()} == {
        miss.json()["image"],
        *miss.json()["thumbnails"].values(),
    }
