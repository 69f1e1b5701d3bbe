import re
from typing import Any

from django.http import QueryDict
from rest_framework import serializers

from api.error_codes import ApiErrorCode
from core.errors import CoreErrorCode

_DECIMAL_SHAPE = re.compile(r"-?\d+(?:\.\d+)?")


def decimal_pattern(field: serializers.DecimalField) -> str:
    """The one spelling of a money/decimal value the API accepts, e.g. ``"49.00"`` (also used in the schema).

    DRF alone would also take ``49``, ``" 49 "`` or ``"4.9e1"``; input must be a plain decimal string, and
    anything outside this pattern (a sign, too many digits or places) is refused.
    """
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    places = field.decimal_places
    whole = f"{{1,{field.max_digits - places}}}" if field.max_digits is not None and places is not None else "+"
    fraction = rf"(?:\.\d{{1,{places}}})?" if places else ""
    return rf"^{sign}\d{whole}{fraction}$"


def _expected_json_type(field: serializers.Field, value: Any) -> str | None:
    """The JSON type ``field`` documents when ``value`` (parsed JSON) has another; None when it matches."""
    if value is None:
        return None  # allow_null is the field's own business
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "boolean"
    if isinstance(field, serializers.IntegerField):
        return None if isinstance(value, int) and not isinstance(value, bool) else "integer"
    if isinstance(field, serializers.FloatField):
        return None if isinstance(value, int | float) and not isinstance(value, bool) else "number"
    if isinstance(field, serializers.DecimalField):
        # The shape only; sign, digits and places get DRF's own precise errors (min_value, max_digits...).
        ok = isinstance(value, str) and _DECIMAL_SHAPE.fullmatch(value) is not None
        return None if ok else 'decimal string such as "49.00"'
    if isinstance(field, serializers.RelatedField):
        # DRF would read "" as null; the schema documents an id or null.
        return None if isinstance(value, str) and value else "string id"
    if isinstance(field, serializers.CharField | serializers.UUIDField):
        return None if isinstance(value, str) else "string"
    if isinstance(field, serializers.MultipleChoiceField):
        return None if isinstance(value, list) else "array"
    if isinstance(field, serializers.ChoiceField) and all(isinstance(key, str) for key in field.choices):
        return None if isinstance(value, str) else "string"
    if isinstance(field, serializers.ListSerializer | serializers.ListField):
        return None if isinstance(value, list) else "array"
    if isinstance(field, serializers.BaseSerializer | serializers.DictField):
        return None if isinstance(value, dict) else "object"
    return None


class StrictFieldsMixin:
    """Refuse unknown input fields and values of the wrong JSON type with a 400.

    Read-only fields of the resource (``role``, ``is_verified``…) count as known: they are
    ignored on input, as DRF does, so clients may send back what they received.
    JSON bodies must use the types the schema documents: DRF would quietly turn ``0`` into ``"0"``
    or ``"5"`` into ``5``, so an input the schema calls invalid would be accepted.
    """

    ignored_fields: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            fields = self.fields  # type: ignore[attr-defined]
            known = set(fields) | set(self.ignored_fields)
            unknown = sorted(set(data) - known)
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [serializers.ErrorDetail("Unknown field.", code=ApiErrorCode.UNKNOWN_FIELD)]
                        for name in unknown
                    }
                )
            if not isinstance(data, QueryDict):  # form and multipart values are all strings
                wrong = {
                    name: expected
                    for name, value in data.items()
                    if name in fields
                    and not fields[name].read_only
                    and (expected := _expected_json_type(fields[name], value)) is not None
                }
                if wrong:
                    raise serializers.ValidationError(
                        {
                            name: [serializers.ErrorDetail(f"Expected a JSON {expected}.", code=CoreErrorCode.INVALID)]
                            for name, expected in wrong.items()
                        }
                    )
        return super().to_internal_value(data)  # type: ignore[misc]


_ASCII_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)


class QueryIntegerField(serializers.IntegerField):
    """An integer query parameter: ASCII digits (and a sign) only.

    DRF's IntegerField goes through ``int()``, which also reads ``١٢`` (Arabic-Indic digits) or ``1.0``.
    """

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, str) or not _ASCII_INTEGER.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)
