from decimal import Decimal
from typing import Any

from rest_framework import serializers

from api.serializers import StrictFieldsMixin
from carts.types import CartMergeResult, CartView

CENTS = Decimal("0.01")

# Far above any real stock; keeps arithmetic on quantities well inside a PostgreSQL integer.
MAX_LINE_QUANTITY = 10_000


class CartItemAddSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    product_id = serializers.UUIDField()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, default=1)


class CartItemUpdateSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class CartMergeInputSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    cart_token = serializers.CharField(max_length=128)


class CartLineSerializer(serializers.Serializer[Any]):
    product_id = serializers.UUIDField()
    name = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Current price.")
    quantity = serializers.IntegerField()
    line_total = serializers.DecimalField(max_digits=14, decimal_places=2)


class CartNoticeSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="`product_unavailable` (line dropped) or `cart_full` (line not merged).")
    detail = serializers.CharField()
    product_id = serializers.UUIDField(allow_null=True)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENTS))


# The cart bodies are built by the two functions below, and only by them: cart reads and writes are hot paths
# and a hand-built dict costs a fraction of nested field rendering. The serializers further down only describe
# those bodies for the OpenAPI schema (they render nothing); tests/carts/test_cart_body.py checks that builder
# and description agree, key for key and value for value.


def cart_data(cart: CartView) -> dict[str, Any]:
    """The body of every cart response (``GET cart/``, item writes), described by :class:`CartSerializer`."""
    return {
        "cart_token": cart.cart_token,
        "items": [
            {
                "product_id": str(line.product_id),
                "name": line.name,
                "unit_price": _money(line.unit_price),
                "quantity": line.quantity,
                "line_total": _money(line.line_total),
            }
            for line in cart.items
        ],
        "total": _money(cart.total),
        "item_count": cart.item_count,
        "notices": [
            {
                "code": notice.code,
                "detail": notice.detail,
                "product_id": str(notice.product_id) if notice.product_id else None,
            }
            for notice in cart.notices
        ],
    }


def cart_merge_data(result: CartMergeResult) -> dict[str, Any]:
    """The body of a merge (``POST cart/merge/``, the login's ``cart``), described by :class:`CartMergeSerializer`."""
    return {
        **cart_data(result.cart),
        "merged_lines": result.merged_lines,
        "capped": [
            {
                "product_id": str(line.product_id),
                "requested": line.requested,
                "quantity": line.quantity,
                "available": line.available,
            }
            for line in result.capped
        ],
    }


class CartSerializer(serializers.Serializer[Any]):
    """Describes :func:`cart_data` for the schema (responses are built by that function, not rendered here)."""

    cart_token = serializers.CharField(
        allow_null=True,
        help_text="Anonymous carts only: send it back in the `X-Cart-Token` header. Null for signed-in users.",
    )
    items = CartLineSerializer(many=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    item_count = serializers.IntegerField(help_text="Units in the cart (sum of quantities).")
    notices = CartNoticeSerializer(many=True, help_text="Changes the cart made on its own since the last read.")


class CappedLineSerializer(serializers.Serializer[Any]):
    product_id = serializers.UUIDField()
    requested = serializers.IntegerField(help_text="Summed quantity of both carts.")
    quantity = serializers.IntegerField(help_text="Quantity now in the cart.")
    available = serializers.IntegerField()


class CartMergeSerializer(CartSerializer):
    """Describes :func:`cart_merge_data`: the merged cart (same shape as ``GET cart/``) plus what the merge did."""

    merged_lines = serializers.IntegerField(help_text="Lines added or increased; 0 when the token was already merged.")
    capped = CappedLineSerializer(many=True, help_text="Lines whose summed quantity was capped at the stock.")
