"""Static files as production serves them: `collectstatic` output (hashed names, brotli and gzip copies) answered
by WhiteNoise under the production server command, with far-future cache headers; and uploaded images answered
by the same server command, at the absolute URLs the API gives."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.services import product_image_set
from tests.factories import ProductFactory
from tests.quality.live_server import LiveServer, live_server
from tests.support import ROOT

pytestmark = pytest.mark.slow

FAR_FUTURE = "max-age=315360000, public, immutable"


def _manifest(root: Path) -> dict[str, str]:
    return {"STATIC_MANIFEST": "1", "STATIC_ROOT": str(root)}


@pytest.fixture(scope="module")
def collected(tmp_path_factory: Any) -> Path:
    root: Path = tmp_path_factory.mktemp("staticfiles")
    env = {
        **os.environ,
        "STATIC_MANIFEST": "1",
        "STATIC_ROOT": str(root),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    return root


@pytest.fixture(scope="module")
def media_root(tmp_path_factory: Any) -> Path:
    return Path(tmp_path_factory.mktemp("media"))


@pytest.fixture(scope="module")
def server(collected: Path, media_root: Path, django_db_setup: None, django_db_blocker: Any) -> Iterator[LiveServer]:
    env = {"STATIC_MANIFEST": "1", "STATIC_ROOT": str(collected), "MEDIA_ROOT": str(media_root)}
    with django_db_blocker.unblock(), live_server(env=env) as running:
        yield running


def _hashed(collected: Path, name: str) -> str:
    return str(json.loads((collected / "staticfiles.json").read_text())["paths"][name])


def _get(url: str, encoding: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own local server
            return response.status, _lower(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, _lower(error.headers), b""


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def test_hashed_files_are_served_compressed_with_far_future_headers(collected: Path, server: LiveServer) -> None:
    name = _hashed(collected, "admin/css/base.css")
    assert name != "admin/css/base.css"
    original = (collected / name).read_bytes()

    status, headers, body = _get(f"{server.url}/static/{name}", "br, gzip")
    assert (status, headers["content-encoding"], headers["cache-control"]) == (200, "br", FAR_FUTURE)
    assert brotli.decompress(body) == original
    status, headers, body = _get(f"{server.url}/static/{name}", "gzip")
    assert (status, headers["content-encoding"]) == (200, "gzip")
    assert gzip.decompress(body) == original
    status, headers, body = _get(f"{server.url}/static/{name}")
    assert (status, headers.get("content-encoding"), body) == (200, None, original)
    assert headers["content-type"].startswith("text/css")


def test_only_hashed_names_exist_and_pages_link_them(collected: Path, server: LiveServer) -> None:
    assert _get(f"{server.url}/static/admin/css/base.css")[0] == 404

    _, _, login = _get(f"{server.url}/admin/login/")
    _, _, docs = _get(f"{server.url}/api/docs/")

    assert f"/static/{_hashed(collected, 'admin/css/base.css')}" in login.decode()
    bundle = _hashed(collected, "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert f"/static/{bundle}" in docs.decode()
    status, headers, _ = _get(f"{server.url}/static/{bundle}", "br")
    assert (status, headers["cache-control"], headers["content-encoding"]) == (200, FAR_FUTURE, "br")


def test_an_uploaded_image_and_its_thumbnails_answer_at_the_urls_the_api_gives(
    server: LiveServer, media_root: Path, settings: Any, transactional_db: None
) -> None:
    """The upload is stored and its thumbnails made here (the task runs eagerly on commit) into the server's media
    folder; the server's API then links them with absolute URLs, and those URLs answer the real JPEGs."""
    settings.MEDIA_ROOT = str(media_root)
    product = ProductFactory.create()
    buffer = io.BytesIO()
    Image.new("RGB", (900, 600), (30, 140, 60)).save(buffer, format="PNG")
    product_image_set(product_id=product.pk, image=SimpleUploadedFile("leaf.png", buffer.getvalue(), "image/png"))

    _, _, body = _get(f"{server.url}/api/v1/products/{product.pk}/")
    product_body = json.loads(body)

    assert product_body["thumbnails"]["small"].startswith(f"{server.url}/media/products/thumbnails/")
    status, headers, thumbnail = _get(product_body["thumbnails"]["small"])
    assert (status, headers["content-type"]) == (200, "image/jpeg")
    assert headers["cache-control"].startswith("public, max-age=")
    assert Image.open(io.BytesIO(thumbnail)).size == (200, 133)
    status, headers, _ = _get(product_body["image"])
    assert (status, headers["content-type"]) == (200, "image/png")
