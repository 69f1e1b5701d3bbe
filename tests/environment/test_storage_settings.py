"""Which storages the settings choose, from the environment (each in a fresh interpreter; no network)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support import ROOT

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core.files.storage import storages
from django.urls import NoReverseMatch, reverse
try:
    media_route = reverse("media", kwargs={"path": "a.jpg"})
except NoReverseMatch:
    media_route = None
print(json.dumps({
    "media": f"{type(storages['default']).__module__}.{type(storages['default']).__name__}",
    "static": f"{type(storages['staticfiles']).__module__}.{type(storages['staticfiles']).__name__}",
    "url": storages["default"].url("products/thumbnails/x/small.jpg"),
    "media_serve": settings.MEDIA_SERVE,
    "media_route": media_route,
    "finders": settings.WHITENOISE_USE_FINDERS,
    "renderers": settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
}))
"""


def _run_probe(settings_module: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "STATIC_", "MEDIA_")) and key != "PUBLIC_ORIGIN"
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": settings_module, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def _probe(settings_module: str, **env: str) -> dict[str, object]:
    result = _run_probe(settings_module, **env)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.splitlines()[-1]))


def test_a_bucket_name_selects_the_s3_backend_with_plain_public_urls() -> None:
    probe = _probe(
        "config.settings.local",
        AWS_STORAGE_BUCKET_NAME="shop-media",
        AWS_S3_ENDPOINT_URL="http://objects.internal:9000",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
    )

    assert probe["media"] == "storages.backends.s3.S3Storage"
    assert probe["url"] == "http://objects.internal:9000/shop-media/media/products/thumbnails/x/small.jpg"
    assert probe["media_serve"] is False
    assert probe["media_route"] is None


def test_local_settings_serve_media_from_the_app_with_absolute_urls_and_the_browsable_api() -> None:
    probe = _probe("config.settings.local", PUBLIC_ORIGIN="http://localhost:8123", PORT="8123")

    assert probe["media"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert probe["url"] == "http://localhost:8123/media/products/thumbnails/x/small.jpg"
    assert probe["media_serve"] is True
    assert probe["media_route"] == "/media/a.jpg"
    assert probe["static"] == "django.contrib.staticfiles.storage.StaticFilesStorage"
    assert "rest_framework.renderers.BrowsableAPIRenderer" in probe["renderers"]  # type: ignore[operator]
    assert probe["finders"] is True


def test_production_serves_the_hashed_compressed_manifest_and_leaves_media_to_the_proxy() -> None:
    probe = _probe(
        "config.settings.production",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="shop.example.com",
        PUBLIC_ORIGIN="https://shop.example.com",
    )

    assert probe["static"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert probe["finders"] is False
    assert probe["renderers"] == ["rest_framework.renderers.JSONRenderer"], "no browsable API in production"
    assert probe["media_serve"] is False
    assert probe["media_route"] is None
    assert probe["url"] == "https://shop.example.com/media/products/thumbnails/x/small.jpg"


PRODUCTION = {"DJANGO_SECRET_KEY": "x" * 50, "DJANGO_ALLOWED_HOSTS": "shop.example.com"}


def test_production_without_a_public_origin_or_a_bucket_refuses_to_start() -> None:
    result = _run_probe("config.settings.production", **PRODUCTION)

    assert result.returncode != 0
    assert "ImproperlyConfigured: Set PUBLIC_ORIGIN" in result.stderr
    assert "AWS_STORAGE_BUCKET_NAME" in result.stderr


def test_production_with_a_bucket_needs_no_public_origin() -> None:
    probe = _probe(
        "config.settings.production",
        **PRODUCTION,
        AWS_STORAGE_BUCKET_NAME="shop-media",
        AWS_S3_CUSTOM_DOMAIN="media.shop.example.com",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
    )

    assert probe["media"] == "storages.backends.s3.S3Storage"
    assert probe["url"] == "https://media.shop.example.com/media/products/thumbnails/x/small.jpg"
