from rest_framework import serializers

from api.serializers import QueryIntegerField, StrictFieldsMixin
from catalog.models import Product
from inventory.errors import InventoryErrorCode
from inventory.models import STOCK_NOTE_MAX_LENGTH, MovementReason, StockMovement
from inventory.services import ADJUSTMENT_REASONS


class StockAdjustInputSerializer(StrictFieldsMixin, serializers.Serializer):
    delta = serializers.IntegerField(min_value=-1_000_000, max_value=1_000_000)
    reason = serializers.ChoiceField(
        choices=[(r.value, r.label) for r in ADJUSTMENT_REASONS], default=MovementReason.ADJUSTMENT
    )
    expected_quantity = serializers.IntegerField(
        required=False, min_value=0, help_text="Compare-and-set: refuse with 409 `stock_conflict` if stock differs."
    )
    note = serializers.CharField(
        max_length=STOCK_NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the stock changes; stored on the ledger row.",
    )

    def validate_delta(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError("Delta must not be zero.", code=InventoryErrorCode.INVALID_DELTA)
        return value


class StockMovementSerializer(serializers.ModelSerializer[StockMovement]):
    product_id = serializers.UUIDField(read_only=True)
    order_id = serializers.UUIDField(read_only=True, allow_null=True)
    actor_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = StockMovement
        fields = ["id", "product_id", "delta", "reason", "note", "order_id", "actor_id", "created_at"]
        read_only_fields = fields


class StockAdjustOutputSerializer(serializers.Serializer):
    product_id = serializers.UUIDField()
    stock_quantity = serializers.IntegerField(help_text="The new quantity.")
    movement = StockMovementSerializer()


class LowStockQuerySerializer(StrictFieldsMixin, serializers.Serializer):
    threshold = QueryIntegerField(
        required=False, min_value=0, help_text="Defaults to each product's own low-stock threshold."
    )
    page = QueryIntegerField(required=False, min_value=1)
    page_size = QueryIntegerField(required=False, min_value=1)


class LowStockProductSerializer(serializers.ModelSerializer[Product]):
    class Meta:
        model = Product
        fields = ["id", "name", "slug", "stock_quantity", "low_stock_threshold", "is_active"]
        read_only_fields = fields
