from typing import Any

from rest_framework import serializers


class StrictFieldsMixin:
    """Refuse unknown input fields with a 400 instead of silently dropping them.

    Read-only fields of the resource (``role``, ``is_verified``…) count as known: they are
    ignored on input, as DRF does, so clients may send back what they received.
    """

    ignored_fields: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(self.fields) | set(self.ignored_fields)  # type: ignore[attr-defined]
            unknown = sorted(set(data) - known)
            if unknown:
                raise serializers.ValidationError(
                    {name: [serializers.ErrorDetail("Unknown field.", code="unknown_field")] for name in unknown}
                )
        return super().to_internal_value(data)  # type: ignore[misc]
