"""Every hostile input sent to every JSON body and query parameter the API documents.

The operations come from the OpenAPI schema (the URL conf as drf-spectacular sees it), not from a hand list: a new
endpoint or parameter is covered by adding it. Each answer must be a 4xx in the error envelope, and nothing in the
database may change.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import Category, Product
from orders.models import Order
from tests.factories import CategoryFactory, ProductFactory
from tests.factories.orders import make_order

pytestmark = pytest.mark.django_db

DEEP_JSON = "[" * 50_000 + "]" * 50_000  # ~100 KB
NUL_JSON = json.dumps({"name": "a\x00b", "email": "a\x00@example.com", "a\x00key": 1, "items": ["\x00"]})
BAD_INTEGERS = ["²", "١٢", "abc", "1.5", "-1", "1e3", ""]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    json_body: bool
    query: tuple[tuple[str, dict[str, Any]], ...]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _operations() -> list[Operation]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            query = tuple(
                (parameter["name"], parameter.get("schema", {}))
                for parameter in operation.get("parameters", [])
                if parameter["in"] == "query"
            )
            found.append(Operation(method.upper(), path, "application/json" in content, query))
    return found


OPERATIONS = _operations()
JSON_OPERATIONS = [op for op in OPERATIONS if op.json_body]
QUERY_PARAMETERS = [(op, name) for op in OPERATIONS for name, _ in op.query]
INTEGER_PARAMETERS = [
    (op, name, value)
    for op in OPERATIONS
    for name, schema in op.query
    if schema.get("type") == "integer"
    for value in [*BAD_INTEGERS, *(["0"] if schema.get("minimum", 0) >= 1 else [])]
]


@dataclass
class World:
    admin: User
    category: Category
    product: Product
    order: Order


@pytest.fixture
def world(admin_user: User) -> World:
    category = CategoryFactory.create()
    product = ProductFactory.create(category=category, stock=5)
    return World(admin_user, category, product, make_order(user=admin_user, lines=[(product, 1)]))


def _url(op: Operation, world: World) -> str:
    """The operation's path with real ids: the caller reaches the view, not a 404 on an unknown object."""
    by_resource = {
        "products": world.product.pk,
        "categories": world.category.pk,
        "users": world.admin.pk,
        "inventory": world.product.pk,
        "items": world.product.pk,
        "orders": world.order.pk,
        "webhooks": "fake",
    }

    def fill(match: re.Match[str]) -> str:
        resource = match.string[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        return str(by_resource.get(resource, uuid.uuid4()))

    return re.sub(r"\{[^}]+\}", fill, op.path)


def _snapshot() -> dict[str, Any]:
    counts: dict[str, Any] = {model._meta.label: model._base_manager.count() for model in apps.get_models()}
    counts["stock"] = sorted(Product.objects.values_list("pk", "stock_quantity"))
    counts["orders"] = sorted(Order.objects.values_list("pk", "status", "total_amount"))
    return counts


def _send(client: APIClient, op: Operation, url: str, body: str | None = None, **extra: Any) -> Any:
    # An Idempotency-Key too, so the endpoints that require one get as far as reading the body.
    headers = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4()), **extra}
    if body is None:
        return client.generic(op.method, url, **headers)
    return client.generic(op.method, url, body, content_type="application/json", **headers)


def _assert_refused(response: Any, *, code: str | None = None, attr: str | None = None) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    body = response.json()
    assert body["type"] in ("client_error", "validation_error")
    assert body["errors"]
    assert all({"code", "detail", "attr"} <= set(error) for error in body["errors"])
    if code is not None:
        assert response.status_code == 400
        assert body["errors"][0]["code"] == code, body
    if attr is not None:
        assert body["errors"][0]["attr"] == attr, body


def _client(world: World, auth_client: Any) -> APIClient:
    client: APIClient = auth_client(world.admin)
    return client


def test_the_schema_lists_what_these_tests_cover() -> None:
    assert len(JSON_OPERATIONS) >= 20
    assert {name for _, name in QUERY_PARAMETERS} >= {"page", "page_size", "color", "size", "attr", "threshold"}


@pytest.mark.parametrize("op", JSON_OPERATIONS, ids=str)
def test_deeply_nested_json_is_400_json_too_deep(op: Operation, world: World, auth_client: Any) -> None:
    client, url = _client(world, auth_client), _url(op, world)
    before = _snapshot()
    response = _send(client, op, url, DEEP_JSON)
    # The webhook verifies its signature over the raw body first (a signed deep body has its own test).
    _assert_refused(response, code=None if "webhooks" in op.path else "json_too_deep")
    assert _snapshot() == before


@pytest.mark.parametrize("op", JSON_OPERATIONS, ids=str)
def test_nul_in_json_strings_and_keys_is_400_null_character(op: Operation, world: World, auth_client: Any) -> None:
    client, url = _client(world, auth_client), _url(op, world)
    before = _snapshot()
    response = _send(client, op, url, NUL_JSON)
    _assert_refused(response, code=None if "webhooks" in op.path else "null_character")
    assert _snapshot() == before


@pytest.mark.parametrize(("op", "name"), QUERY_PARAMETERS, ids=lambda v: str(v))
@pytest.mark.parametrize("where", ["value", "key"])
def test_nul_in_any_query_parameter_is_400_null_character(
    op: Operation, name: str, where: str, world: World, auth_client: Any
) -> None:
    client, url = _client(world, auth_client), _url(op, world)
    before = _snapshot()
    query = f"{name}=a%00b" if where == "value" else f"{name}%00=1"
    response = _send(client, op, f"{url}?{query}")
    _assert_refused(response, code="null_character", attr=name)
    assert _snapshot() == before


@pytest.mark.parametrize(("op", "name", "value"), INTEGER_PARAMETERS, ids=lambda v: str(v))
@pytest.mark.parametrize("anonymous", [False, True], ids=["admin", "anonymous"])
def test_integer_parameters_take_ascii_digits_only(
    op: Operation, name: str, value: str, anonymous: bool, world: World, auth_client: Any
) -> None:
    if value == "":
        pytest.skip("an empty value means the default")
    client = APIClient() if anonymous else _client(world, auth_client)
    url = _url(op, world)
    if anonymous:
        # Warm the public cache first: the anonymous catalog path answers hits before DRF.
        client.get(url)
        client.get(url)
    before = _snapshot()
    response = _send(client, op, f"{url}?{name}={value}")
    if anonymous and response.status_code in (401, 403):
        return  # staff-only endpoint: refused before any parameter is read
    _assert_refused(response, attr=name)
    assert response.status_code == 400
    assert _snapshot() == before
