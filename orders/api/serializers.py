from typing import Any

from rest_framework import serializers

from api.serializers import StrictFieldsMixin
from orders.errors import OrderErrorCode
from orders.models import Order, OrderItem
from orders.services import MAX_ORDER_LINES, STAFF_SETTABLE_STATUSES


class OrderLineInputSerializer(StrictFieldsMixin, serializers.Serializer):
    product_id = serializers.UUIDField()
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)


class OrderCreateInputSerializer(StrictFieldsMixin, serializers.Serializer):
    items = OrderLineInputSerializer(many=True, required=False, allow_empty=False)
    from_cart = serializers.BooleanField(required=False, default=False, help_text="Place the order from your cart.")

    def validate_items(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(value) > MAX_ORDER_LINES:
            raise serializers.ValidationError(
                f"At most {MAX_ORDER_LINES} lines per order.", code=OrderErrorCode.TOO_MANY_ITEMS
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_items = bool(attrs.get("items"))
        if has_items == attrs["from_cart"]:
            raise serializers.ValidationError(
                "Send either `items` or `from_cart: true`, not both and not neither.",
                code=OrderErrorCode.INVALID_ORDER_SOURCE,
            )
        return attrs


class OrderItemSerializer(serializers.ModelSerializer[OrderItem]):
    product_id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = OrderItem
        fields = ["product_id", "name", "quantity", "price_at_purchase"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer[Order]):
    user_id = serializers.UUIDField(read_only=True)
    items = OrderItemSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "user_id", "status", "total_amount", "items", "expires_at", "created_at", "updated_at"]
        read_only_fields = fields


class OrderStatusInputSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=[(s.value, s.label) for s in STAFF_SETTABLE_STATUSES])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")


class OrderCancelInputSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")


_MONEY = serializers.DecimalField(max_digits=12, decimal_places=2)
_TIME = serializers.DateTimeField()


def _time(value: Any) -> Any:
    return None if value is None else _TIME.to_representation(value)


def order_data(order: Order) -> dict[str, Any]:
    """``OrderSerializer``'s body (same keys, order and formats) for an order whose items and their products are in
    hand, without building a ModelSerializer per response: order placement answers through here, and
    ``tests/orders/test_statement_counts.py`` proves it equals the detail's body."""
    return {
        "id": str(order.pk),
        "user_id": str(order.user_id),
        "status": str(order.status),
        "total_amount": _MONEY.to_representation(order.total_amount),
        "items": [
            {
                "product_id": str(item.product_id),
                "name": item.product.name,
                "quantity": item.quantity,
                "price_at_purchase": _MONEY.to_representation(item.price_at_purchase),
            }
            for item in order.items.all()
        ],
        "expires_at": _time(order.expires_at),
        "created_at": _time(order.created_at),
        "updated_at": _time(order.updated_at),
    }
