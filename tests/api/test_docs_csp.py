"""The API documentation pages: self-hosted assets, no inline script or style, a strict Content-Security-Policy."""

from __future__ import annotations

import re

from django.test import Client

from api.docs import REDOC_STYLE_HASHES


def _directives(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def test_swagger_ui_page_has_a_strict_policy_and_no_inline_code() -> None:
    response = Client().get("/api/docs/")

    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == policy["script-src"] == policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    html = response.content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert len(scripts) == 3
    assert all(" src=" in tag for tag in scripts)
    assert "<style" not in html
    assert " style=" not in html
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', html)), "every asset is on our own origin"
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html


def test_swagger_ui_start_up_script_is_a_same_origin_file_with_the_bearer_scheme() -> None:
    response = Client().get("/api/docs/?script=")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in response.content.decode()
    schema = Client().get("/api/schema/", headers={"Accept": "application/json"}).json()
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }


def test_redoc_page_allows_only_our_scripts_and_its_two_fixed_styles() -> None:
    response = Client().get("/api/redoc/")

    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", *REDOC_STYLE_HASHES]
    assert all(value.startswith("'sha256-") for value in REDOC_STYLE_HASHES)
    html = response.content.decode()
    assert "fonts.googleapis.com" not in html
    assert "cdn" not in html
    assert all(" src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert "<style" not in html


def test_other_pages_carry_no_docs_policy() -> None:
    assert "Content-Security-Policy" not in Client().get("/healthz")
