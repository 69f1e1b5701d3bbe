"""The error codes of the catalog (products and categories) and its domain errors."""

from __future__ import annotations

from core.errors import ConflictError, ErrorCode


class CatalogErrorCode(ErrorCode):
    PRODUCT_NOT_FOUND = "product_not_found"
    # The product does not exist or is not for sale (carts and orders refuse it, or drop it with a notice).
    PRODUCT_UNAVAILABLE = "product_unavailable"
    SLUG_TAKEN = "slug_taken"
    CATEGORY_CYCLE = "category_cycle"
    CATEGORY_IN_USE = "category_in_use"
    TOO_MANY_ATTRIBUTES = "too_many_attributes"
    TOO_MANY_VALUES = "too_many_values"
    INVALID_ATTR = "invalid_attr"
    READ_ONLY = "read_only"
    FILE_TOO_LARGE = "file_too_large"


class CategoryInUseError(ConflictError):
    code = CatalogErrorCode.CATEGORY_IN_USE
    default_detail = "The category still has products or subcategories."
