from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import StrictFieldsMixin
from catalog.errors import CatalogErrorCode
from catalog.models import Category, Product
from core.errors import CoreErrorCode

SCALAR_TYPES = (str, int, float, bool)


class CategorySerializer(serializers.ModelSerializer[Category]):
    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent", "created_at", "updated_at"]


class CategoryWriteSerializer(StrictFieldsMixin, serializers.ModelSerializer[Category]):
    ignored_fields = ("id", "created_at", "updated_at")
    slug = serializers.SlugField(max_length=140, required=False, allow_blank=True)

    class Meta:
        model = Category
        fields = ["name", "slug", "parent"]
        # Uniqueness per parent is checked by the service, which also covers the race with a unique index.
        validators: list[Any] = []


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "example": {"small": "https://shop.example.com/media/x.jpg"},
    }
)
class ThumbnailsField(serializers.Field):
    def to_representation(self, value: dict[str, str]) -> dict[str, str]:
        return {label: default_storage.url(path) for label, path in value.items()}


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": 50,
        "additionalProperties": {
            "oneOf": [{"type": "string", "maxLength": 200}, {"type": "number"}, {"type": "boolean"}]
        },
        "example": {"color": "red", "size": "M"},
    }
)
class AttributesField(serializers.JSONField):
    """A flat object of scalar values (e.g. ``{"color": "red", "size": "M"}``): what the filters can match."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError("Expected an object of name: value pairs.", code=CoreErrorCode.INVALID)
        if len(value) > 50:
            raise serializers.ValidationError("At most 50 attributes.", code=CatalogErrorCode.TOO_MANY_ATTRIBUTES)
        for name, item in value.items():
            if not name or len(name) > 64:
                raise serializers.ValidationError("Attribute names are 1-64 characters.", code=CoreErrorCode.INVALID)
            if not isinstance(item, SCALAR_TYPES) or (isinstance(item, str) and len(item) > 200):
                raise serializers.ValidationError(
                    f"Attribute {name!r} must be a string (≤ 200 characters), number or boolean.",
                    code=CoreErrorCode.INVALID,
                )
        return value


class ProductSerializer(serializers.ModelSerializer[Product]):
    """Rendered without the request, so cached bodies hold no per-request data: media URLs are the storage's own,
    absolute (PUBLIC_ORIGIN + MEDIA_URL, or the bucket's), whichever path answers."""

    thumbnails = ThumbnailsField(read_only=True)
    attributes = AttributesField(read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "price",
            "stock_quantity",
            "category",
            "attributes",
            "is_active",
            "image",
            "thumbnails",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProductWriteSerializer(StrictFieldsMixin, serializers.ModelSerializer[Product]):
    """Create and update input. ``stock_quantity`` is accepted on create only (it opens the ledger)."""

    ignored_fields = ("id", "image", "thumbnails", "created_at", "updated_at")
    slug = serializers.SlugField(max_length=220, required=False, allow_blank=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    attributes = AttributesField(required=False)
    stock_quantity = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False, default=0)

    class Meta:
        model = Product
        fields = ["name", "slug", "description", "price", "stock_quantity", "category", "attributes", "is_active"]
        validators: list[Any] = []


class ProductUpdateSerializer(ProductWriteSerializer):
    """PATCH input: every field optional; ``stock_quantity`` is refused with code ``read_only``."""

    class Meta(ProductWriteSerializer.Meta):
        fields = ["name", "slug", "description", "price", "category", "attributes", "is_active"]

    stock_quantity = None  # type: ignore[assignment]

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and "stock_quantity" in data:
            raise serializers.ValidationError(
                {
                    "stock_quantity": [
                        serializers.ErrorDetail(
                            "Stock is changed through POST /api/v1/inventory/{id}/adjust/.",
                            code=CatalogErrorCode.READ_ONLY,
                        )
                    ]
                }
            )
        return super().to_internal_value(data)


class ProductImageSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    image = serializers.ImageField()

    def validate_image(self, value: Any) -> Any:
        if value.size > settings.PRODUCT_IMAGE_MAX_BYTES:
            limit_mb = settings.PRODUCT_IMAGE_MAX_BYTES // (1024 * 1024)
            raise serializers.ValidationError(
                f"Images are limited to {limit_mb} MB.", code=CatalogErrorCode.FILE_TOO_LARGE
            )
        return value
