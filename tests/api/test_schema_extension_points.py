"""The OpenAPI customisation goes through documented extension points only, and says what it said before.

drf-spectacular and drf-standardized-errors are customised through settings, extension classes, postprocessing
hooks and public AutoSchema methods; overriding a private method would break silently on an upgrade.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from drf_spectacular.extensions import OpenApiGeneratorExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _project_modules() -> list[Any]:
    modules = []
    for package in sorted(apps.parent.name for apps in ROOT.glob("*/apps.py")):
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            if ".migrations" in info.name or info.name.endswith(".tests"):
                continue
            modules.append(importlib.import_module(info.name))
    return modules


def test_no_private_method_of_an_autoschema_or_extension_is_overridden() -> None:
    checked = 0
    for module in _project_modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            if not issubclass(cls, SpectacularAutoSchema | OpenApiGeneratorExtension):
                continue
            checked += 1
            private = [
                name
                for name, value in vars(cls).items()
                if name.startswith("_") and not name.startswith("__") and inspect.isfunction(value)
            ]
            assert not private, f"{cls.__module__}.{cls.__name__} overrides private methods: {private}"
    assert checked >= 5  # the AutoSchema and the extension classes of api.schema


def _operation(schema: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return schema["paths"][path][method]


def test_a_patch_validated_whole_keeps_its_required_fields_and_its_name(schema: dict[str, Any]) -> None:
    body = _operation(schema, "/api/v1/cart/items/{product_id}/", "patch")["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CartItemUpdateRequest"}
    component = schema["components"]["schemas"]["CartItemUpdateRequest"]
    assert component["required"] == ["quantity"]
    assert "PatchedCartItemUpdateRequest" not in schema["components"]["schemas"]
    # Other PATCH bodies stay partial, under drf-spectacular's own names.
    patched = schema["components"]["schemas"]["PatchedProductUpdateRequest"]
    assert "required" not in patched
    assert "x-whole-body-patch" not in json.dumps(schema)


def test_413_only_where_a_body_is_sent(schema: dict[str, Any]) -> None:
    with_body = without_body = 0
    for item in schema["paths"].values():
        for method, operation in item.items():
            if method in ("post", "put", "patch"):
                with_body += "413" in operation["responses"]
            else:
                without_body += "413" in operation["responses"]
    assert with_body > 10
    assert without_body == 0


def test_token_views_answer_401_like_every_authenticated_operation(schema: dict[str, Any]) -> None:
    reference = _operation(schema, "/api/v1/orders/", "get")["responses"]["401"]
    for path in ("/api/v1/auth/token/", "/api/v1/auth/token/refresh/"):
        responses = _operation(schema, path, "post")["responses"]
        assert responses["401"] == reference
        assert list(responses)[:2] == ["400", "401"]


def test_error_envelopes_come_from_the_settings(schema: dict[str, Any]) -> None:
    responses = _operation(schema, "/api/v1/cart/items/", "post")["responses"]
    envelope = {"$ref": "#/components/schemas/ApiClientErrorResponse"}
    assert responses["413"]["content"]["application/json"]["schema"] == envelope
    assert responses["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiErrorResponse400"
    }
    assert (
        _operation(schema, "/api/v1/products/{id}/", "get")["responses"]["404"]["content"]["application/json"]["schema"]
        == envelope
    )
