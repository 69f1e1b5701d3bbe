"""Numbers against their column: :func:`column_check` derives the bounds from the model field."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection, models

from core.errors import CoreErrorCode, DomainError


def column_bounds(model: type[models.Model], field_name: str) -> tuple[Decimal | int | None, Decimal | int | None]:
    """(lowest, highest) value the column of ``model.field_name`` stores; None where the column has no bound."""
    field = model._meta.get_field(field_name)
    if isinstance(field, models.DecimalField):
        places = field.decimal_places or 0
        highest = Decimal(10) ** (field.max_digits - places) - Decimal(10) ** -places if field.max_digits else None
        return (-highest if highest is not None else None), highest
    if isinstance(field, models.IntegerField):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        return low, high
    return None, None


def column_check(model: type[models.Model], field_name: str, value: Decimal | int, *, attr: str | None = None) -> None:
    """Refuse ``value`` with 400 ``out_of_range`` (naming the limit) when it does not fit its column."""
    low, high = column_bounds(model, field_name)
    label = attr or field_name
    if high is not None and value > high:
        raise DomainError(
            f"{label} would be {value}, above the largest value stored ({high}).",
            code=CoreErrorCode.OUT_OF_RANGE,
            attr=attr,
        )
    if low is not None and value < low:
        raise DomainError(
            f"{label} would be {value}, below the smallest value stored ({low}).",
            code=CoreErrorCode.OUT_OF_RANGE,
            attr=attr,
        )
