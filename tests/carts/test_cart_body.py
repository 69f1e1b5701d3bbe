"""One builder per cart body (``cart_data``, ``cart_merge_data``); the serializers only describe them for the schema.

The description is checked against the builder: the same keys at every level, and every built value valid for
the field that documents it.
"""

from decimal import Decimal
from typing import Any
from uuid import uuid4

from rest_framework import serializers

from carts.api.serializers import CartMergeSerializer, CartSerializer, cart_data, cart_merge_data
from carts.types import CappedLine, CartLine, CartMergeResult, CartNotice, CartView

CART = CartView(
    items=[
        CartLine(product_id=uuid4(), name="Mug", unit_price=Decimal("12.5"), quantity=3),
        CartLine(product_id=uuid4(), name="Tee", unit_price=Decimal("19.99"), quantity=1),
    ],
    notices=[
        CartNotice(code="product_unavailable", detail="gone", product_id=uuid4()),
        CartNotice(code="cart_full", detail="full", product_id=None),
    ],
    cart_token="t" * 43,
)
MERGE = CartMergeResult(
    cart=CartView(items=CART.items, notices=CART.notices),
    merged_lines=2,
    capped=[CappedLine(product_id=uuid4(), requested=7, quantity=5, available=5)],
)


def _shape(serializer: serializers.Serializer[Any]) -> dict[str, Any]:
    """The documented keys, nested like the body."""
    shape: dict[str, Any] = {}
    for name, field in serializer.fields.items():
        child = field.child if isinstance(field, serializers.ListSerializer) else field
        shape[name] = _shape(child) if isinstance(child, serializers.Serializer) else None
    return shape


def _body_shape(body: dict[str, Any], shape: dict[str, Any]) -> dict[str, Any]:
    built: dict[str, Any] = {}
    for name, value in body.items():
        nested = shape.get(name)
        if isinstance(value, list) and nested is not None:
            assert value, f"{name}: the sample must exercise nested rows"
            built[name] = _body_shape(value[0], nested)
            assert all(_body_shape(row, nested) == built[name] for row in value)
        else:
            built[name] = None
    return built


def test_cart_serializer_describes_exactly_what_cart_data_builds() -> None:
    body = cart_data(CART)
    assert _body_shape(body, _shape(CartSerializer())) == _shape(CartSerializer())
    described = CartSerializer(data=body)
    assert described.is_valid(), described.errors


def test_cart_merge_serializer_describes_exactly_what_cart_merge_data_builds() -> None:
    body = cart_merge_data(MERGE)
    assert _body_shape(body, _shape(CartMergeSerializer())) == _shape(CartMergeSerializer())
    described = CartMergeSerializer(data=body)
    assert described.is_valid(), described.errors
    assert {key: body[key] for key in cart_data(MERGE.cart)} == cart_data(MERGE.cart)


def test_the_builders_spell_values_as_the_api_always_did() -> None:
    body = cart_data(CART)
    assert body["total"] == "57.49"
    assert body["item_count"] == 4
    assert body["items"][0] == {
        "product_id": str(CART.items[0].product_id),
        "name": "Mug",
        "unit_price": "12.50",
        "quantity": 3,
        "line_total": "37.50",
    }
    assert body["notices"][1]["product_id"] is None
    assert cart_merge_data(MERGE)["cart_token"] is None


def test_the_serializers_render_nothing_of_their_own() -> None:
    """Responses come from the builders only: the describing serializers keep DRF's default rendering."""
    for serializer in (CartSerializer, CartMergeSerializer):
        assert serializer.to_representation is serializers.Serializer.to_representation
