"""Limits on hostile input, each checked in one place before a parser, a view or the database sees it.

- JSON nesting depth: :func:`json_loads` (used by the API's JSON parser and by every raw body parsed outside
  DRF) measures the depth with a linear scan before decoding, so no body reaches the recursive decoder deep.
- NUL characters: PostgreSQL refuses them in text and JSONB; :mod:`api.middleware` refuses them in the path,
  query string, headers and form fields, :func:`json_loads` in JSON keys and strings.
- Integers in query parameters: :func:`positive_int` accepts ASCII digits only (``str.isdigit`` and ``int`` also
  take ``²`` or Arabic-Indic digits).
- Numbers against their column: :func:`column_check` derives the bounds from the model field.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from rest_framework.exceptions import ParseError, ValidationError

from api.error_codes import ApiErrorCode
from core.errors import CoreErrorCode

JSON_MAX_DEPTH = 32
_ASCII_DIGITS = frozenset("0123456789")


class JsonTooDeep(ParseError):
    default_detail = f"JSON nesting is limited to {JSON_MAX_DEPTH} levels."
    default_code = ApiErrorCode.JSON_TOO_DEEP


class NullCharacter(ParseError):
    default_detail = "NUL characters (\\u0000) are not accepted."
    default_code = ApiErrorCode.NULL_CHARACTER


_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """Deepest nesting of ``[``/``{`` outside strings, without recursion and without decoding.

    Safe on any input (malformed JSON is the decoder's business afterwards), and linear in C rather than a
    Python loop per character: escaped backslashes, then escaped quotes are dropped, so every remaining ``"``
    opens or closes a string; splitting on them leaves the text outside strings at even positions; the depth is
    the highest running sum of +1 per opening and -1 per closing bracket.
    """
    if "[" not in text and "{" not in text:
        return 0
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    outside = "".join(unescaped.split('"')[::2])
    brackets = _NOT_BRACKET.sub("", outside)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def contains_nul(value: Any) -> bool:
    """Whether a decoded JSON value holds a NUL in any key or string, walked without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    return True
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
    return False


def json_loads(data: str | bytes, *, limit: int = JSON_MAX_DEPTH, **kwargs: Any) -> Any:
    """``json.loads`` that refuses nesting beyond ``limit`` (:class:`JsonTooDeep`) and NULs (:class:`NullCharacter`).

    Malformed JSON still raises ``ValueError`` as ``json.loads`` does.
    """
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    # Both checks are skipped at C speed when they cannot find anything: a body with at most ``limit`` opening
    # brackets cannot nest deeper, and a NUL reaches a decoded string only as the escape \u0000 (the strict
    # decoder refuses a raw one).
    if text.count("[") + text.count("{") > limit and json_depth(text) > limit:
        raise JsonTooDeep()
    value = json.loads(text, **kwargs)
    if "\\u0000" in text and contains_nul(value):
        raise NullCharacter()
    return value


def positive_int(raw: str, *, name: str, maximum: int | None = None) -> int:
    """A query parameter that must be an integer ≥ 1 written in ASCII digits; anything else is a 400 naming it.

    With ``maximum``, larger values are clamped to it (any number of digits is accepted, few are converted).
    """
    if not raw or not _ASCII_DIGITS.issuperset(raw) or not raw.strip("0"):
        raise ValidationError({name: ["A positive integer is required."]}, code=CoreErrorCode.INVALID)
    digits = raw.lstrip("0")
    if maximum is not None and len(digits) > len(str(maximum)):
        return maximum
    value = int(digits)
    return min(value, maximum) if maximum is not None else value
