"""The OpenAPI document says what the API does, as generated clients and fuzzers read it.

Each test pins one promise of the schema and, where the server must match it, the server's side too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from api.schema_hooks import _nul_free, conflict_errors
from tests.factories import ProductFactory


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for item in schema["paths"].values():
        for operation in item.values():
            yield operation["operationId"], operation


def _operation(schema: dict[str, Any], operation_id: str) -> dict[str, Any]:
    return dict(_operations(schema))[operation_id]


def _header(operation: dict[str, Any], name: str) -> dict[str, Any]:
    (parameter,) = [p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == name]
    return parameter


PUBLIC = [
    "products_list",
    "products_retrieve",
    "categories_list",
    "categories_retrieve",
    "cart_retrieve",
    "cart_items_create",
    "cart_items_update",
    "cart_items_destroy",
    "auth_register_create",
    "auth_token_create",
    "auth_token_refresh_create",
    "auth_password_reset_create",
    "auth_password_reset_confirm_create",
    "auth_verify_email_create",
    "payments_webhook",
    "healthz_retrieve",
]


def test_public_operations_need_no_security_scheme(schema: dict[str, Any]) -> None:
    # Generators treat any non-empty `security` (even one including `{}`) as "authentication required".
    for operation_id in PUBLIC:
        assert not _operation(schema, operation_id).get("security"), operation_id
    for operation_id, operation in _operations(schema):
        assert {} not in operation.get("security", []), operation_id
    assert _operation(schema, "orders_create")["security"] == [{"jwtAuth": []}, {"cookieAuth": []}]


def test_request_headers_are_declared(schema: dict[str, Any]) -> None:
    for operation_id in ("products_retrieve", "categories_retrieve"):
        assert _header(_operation(schema, operation_id), "If-None-Match")["schema"]["type"] == "string"
    for operation_id in ("cart_retrieve", "cart_items_create", "cart_items_update", "cart_items_destroy"):
        assert _header(_operation(schema, operation_id), "X-Cart-Token")
    assert _header(_operation(schema, "auth_token_create"), "X-Cart-Token")
    assert _header(_operation(schema, "orders_pay"), "Idempotency-Key")["required"] is True
    assert not _header(_operation(schema, "orders_create"), "Idempotency-Key").get("required")
    assert _header(_operation(schema, "payments_webhook"), "X-Signature")["required"] is True


def test_response_headers_are_declared(schema: dict[str, Any]) -> None:
    for operation_id in ("products_retrieve", "categories_retrieve"):
        responses = _operation(schema, operation_id)["responses"]
        assert "ETag" in responses["200"]["headers"]
        assert "ETag" in responses["304"]["headers"]
    for operation_id in ("orders_pay", "orders_create", "cart_merge"):
        (success,) = [r for code, r in _operation(schema, operation_id)["responses"].items() if code.startswith("2")]
        assert success["headers"]["Idempotent-Replayed"]["schema"] == {"type": "string", "enum": ["true"]}
    for operation_id, operation in _operations(schema):
        assert "503" in operation["responses"], operation_id
        for status in ("429", "503"):
            if status in operation["responses"]:
                assert "Retry-After" in operation["responses"][status]["headers"], (operation_id, status)


def test_order_body_is_items_xor_from_cart(schema: dict[str, Any]) -> None:
    body = _operation(schema, "orders_create")["requestBody"]
    assert body["required"] is True
    components = schema["components"]["schemas"]
    variants = [ref["$ref"].rsplit("/", 1)[1] for ref in components["OrderCreateInputRequest"]["oneOf"]]
    assert variants == ["OrderFromItemsRequest", "OrderFromCartRequest"]
    from_items, from_cart = (components[name] for name in variants)
    assert from_items["required"] == ["items"]
    assert from_items["properties"]["from_cart"]["enum"] == [False]
    assert from_items["properties"]["items"]["minItems"] == 1
    assert from_cart["required"] == ["from_cart"]
    assert from_cart["properties"]["from_cart"]["enum"] == [True]
    assert from_items["additionalProperties"] is False
    assert from_cart["additionalProperties"] is False


def _untyped(schema: dict[str, Any]) -> bool:
    return not any(key in schema for key in ("type", "$ref", "oneOf", "allOf", "anyOf"))


def test_request_schemas_have_no_untyped_properties(schema: dict[str, Any]) -> None:
    untyped = [
        (name, prop)
        for name, component in schema["components"]["schemas"].items()
        if name.endswith("Request")
        for prop, prop_schema in component.get("properties", {}).items()
        if _untyped(prop_schema)
    ]
    assert untyped == []
    assert "role" not in schema["components"]["schemas"]["RegisterRequest"]["properties"]


def test_product_attributes_are_a_map_of_scalars(schema: dict[str, Any]) -> None:
    attributes = schema["components"]["schemas"]["Product"]["properties"]["attributes"]
    assert attributes["type"] == "object"
    assert [variant["type"] for variant in attributes["additionalProperties"]["oneOf"]] == [
        "string",
        "number",
        "boolean",
    ]


def test_each_conflict_code_has_its_own_schema(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    items = components["ConflictErrorResponse"]["properties"]["errors"]["items"]
    assert set(items["discriminator"]["mapping"]) == set(conflict_errors())
    stock = components["InsufficientStockError"]
    assert stock["properties"]["code"]["enum"] == ["insufficient_stock"]
    assert {"product_id", "requested", "available"} <= set(stock["required"])
    conflicts = [op for _, op in _operations(schema) if "409" in op["responses"]]
    assert len(conflicts) >= 8
    for operation in conflicts:
        content = operation["responses"]["409"]["content"]["application/json"]["schema"]
        assert content == {"$ref": "#/components/schemas/ConflictErrorResponse"}


def test_every_conflict_the_api_sends_has_a_schema(customer_client: APIClient) -> None:
    product = ProductFactory.create(stock=1)
    response = customer_client.post(
        "/api/v1/orders/", {"items": [{"product_id": str(product.pk), "quantity": 5}]}, format="json"
    )
    assert response.status_code == 409
    (error,) = response.json()["errors"]
    assert error["code"] in conflict_errors()
    assert error["available"] == 1


def test_passwords_state_their_minimum_length(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["RegisterRequest"]["properties"]["password"]["minLength"] == 8
    assert components["PasswordResetConfirmRequest"]["properties"]["new_password"]["minLength"] == 8
    # Signing in checks a password, it does not set one: no length rule there.
    assert components["TokenObtainPairRequest"]["properties"]["password"].get("minLength", 1) == 1


def _strings(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "string":
            yield node
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def test_request_strings_refuse_nul(schema: dict[str, Any]) -> None:
    requests = {n: c for n, c in schema["components"]["schemas"].items() if n.endswith("Request")}
    free_text = [s for s in _strings(requests) if "enum" not in s and s.get("format") in (None, "password")]
    assert free_text
    for string in free_text:
        assert re.fullmatch(string["pattern"], "a\x00b") is None, string
    name = requests["CategoryWriteRequest"]["properties"]["name"]["pattern"]
    assert re.fullmatch(name, " ") is None
    assert re.fullmatch(name, " Hats ") is not None


def test_query_parameters_refuse_nul(schema: dict[str, Any]) -> None:
    checked = []
    for operation_id, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            for string in _strings(parameter["schema"]):
                if "enum" in string or string.get("format") not in (None, "password"):
                    continue
                assert re.search(string["pattern"], "a\x00b") is None, (operation_id, parameter["name"])
                assert re.search(string["pattern"], "\x00") is None, (operation_id, parameter["name"])
                checked.append(parameter["name"])
    assert {"search", "color", "size", "attr", "min_price", "max_price", "category"} <= set(checked)
    # The middleware's answer (a `client_error`) is one the documented 400 admits.
    products_400 = _operation(schema, "products_list")["responses"]["400"]["content"]["application/json"]["schema"]
    assert products_400 == {"$ref": "#/components/schemas/ApiErrorResponse400"}
    attr = _operation(schema, "products_list")["parameters"]
    (attr_items,) = [p["schema"]["items"] for p in attr if p["name"] == "attr"]
    assert re.search(attr_items["pattern"], "color:dark red")
    assert re.search(attr_items["pattern"], "color:dark\x00red") is None


@pytest.mark.parametrize(
    ("pattern", "accepted", "refused"),
    [
        (r"^[A-Za-z0-9_\-]{1,64}:.{1,200}$", "size:XL", "size:X\x00L"),  # the wildcard
        (r"^(\d{1,10}(\.\d{1,4})?)?$", "49.90", "4\x009"),  # refuses NUL already: unchanged
        (r"[^,]+", "a,b", "a\x00"),  # a negated class, not anchored: the rest of the string too
        (r"\S", " a ", " a\x00"),
        (r"\W", "a-b", "-\x00"),
        (r"^a|b$", "ab", "a\x00b"),  # alternation: anchors do not cover the whole string
        (r"^[].x]+$", "].", "]\x00"),  # "]" first in a class and "." inside one stay literal
    ],
)
def test_nul_free_patterns_keep_what_they_accepted_and_refuse_nul(pattern: str, accepted: str, refused: str) -> None:
    narrowed = _nul_free(pattern)
    assert re.search(narrowed, accepted)
    assert re.search(narrowed, refused) is None


def test_nul_free_leaves_anchored_patterns_without_wildcards_as_they_are() -> None:
    assert _nul_free(r"^(\d{1,10}(\.\d{1,4})?)?$") == r"^(\d{1,10}(\.\d{1,4})?)?$"
    assert _nul_free(r"^[].x]+$") == r"^[].x]+$"


class _NoteSerializer(serializers.Serializer[Any]):
    """INTERNAL serializer note."""

    name = serializers.CharField()


class _NoteView(APIView):
    """INTERNAL view note."""

    serializer_class = _NoteSerializer

    def post(self, request: Any) -> Any:
        """INTERNAL handler note."""
        return Response(status=204)


def test_no_docstring_leaks_into_descriptions(schema: dict[str, Any]) -> None:
    generated = SchemaGenerator(patterns=[path("api/v1/notes/", _NoteView.as_view())]).get_schema(
        request=None, public=True
    )
    assert "INTERNAL" not in json.dumps(generated)
    assert "_NoteRequest" in json.dumps(generated) or "NoteRequest" in json.dumps(generated)
    descriptions = [n["description"] for n in _walk(schema) if isinstance(n, dict) and "description" in n]
    assert not [d for d in descriptions if isinstance(d, str) and (":class:" in d or "``" in d)]


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "JWT x"])
def test_a_malformed_authorization_header_is_one_error(api_client: APIClient, header: str) -> None:
    response = api_client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    assert errors[0]["attr"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/products/{id}/", "/api/v1/categories/{id}/"])
def test_an_undeclared_method_is_405_before_authentication(api_client: APIClient, path: str) -> None:
    product = ProductFactory.create()
    concrete = path.format(id=product.pk if "products" in path else product.category_id)
    response = api_client.generic("TRACE", concrete)
    assert response.status_code == 405
    assert api_client.delete(concrete).status_code == 401
