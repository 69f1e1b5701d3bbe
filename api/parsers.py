"""The API's one JSON parser: DRF's, with the nesting-depth and NUL checks of :func:`api.input_limits.json_loads`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as BaseJSONParser
from rest_framework.utils import json as drf_json

from api.input_limits import json_loads


class JSONParser(BaseJSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
            parse_constant = drf_json.strict_constant if self.strict else None
            return json_loads(text, parse_constant=parse_constant)
        except ParseError:
            raise
        except ValueError as exc:  # UnicodeDecodeError is a ValueError too
            raise ParseError(f"JSON parse error - {exc}") from None
