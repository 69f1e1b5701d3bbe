"""Postprocessing of the generated OpenAPI document: what the per-view schemas cannot say on their own.

Registered in ``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]`` (drf-spectacular's documented extension point);
each step is one rule applied to every operation, so a new endpoint is documented the same way without a
decorator of its own.
"""

from __future__ import annotations

from typing import Any

from django.utils.module_loading import autodiscover_modules

from core.errors import ConflictError
from idempotency.services import IDEMPOTENCY_HEADER, MAX_KEY_LENGTH, REPLAYED_HEADER

# No text column of PostgreSQL can hold U+0000, so the API refuses it in every string (400): the schema says so.
NO_NUL = "^[^\\u0000]*$"
NON_BLANK_NO_NUL = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
# Formatted strings (uuid, email, date-time...) exclude U+0000 already; a pattern next to a format would also make
# generators build values from the pattern and miss what the format means.
_UNPATTERNED_FORMATS = {None, "password"}

RETRY_AFTER = {
    "description": "Seconds to wait before retrying.",
    "schema": {"type": "integer", "minimum": 0},
}
SERVICE_UNAVAILABLE = "ServiceUnavailableResponse"
# The 400 envelope (validation or client error, `api.schema.ERROR_400`) and its validation-only variant.
ERROR_400 = "ApiErrorResponse400"
VALIDATION_ERROR_400 = "#/components/schemas/ValidationErrorResponse"
CONFLICT = "ConflictErrorResponse"

_ERROR_BASE: dict[str, Any] = {
    "detail": {"type": "string", "description": "Human-readable message."},
    "attr": {"type": "string", "nullable": True, "description": "The offending input field, or null."},
}


def conflict_errors() -> dict[str, type[ConflictError]]:
    """Every code a 409 can carry, with the error class that declares the keys its errors add.

    Each app declares its conflicts in its ``errors`` module as ``ConflictError`` subclasses (one per code); they
    are imported here the way Django's admin finds ``admin`` modules, so this layer names no app above it.
    """
    autodiscover_modules("errors")
    found: dict[str, type[ConflictError]] = {}
    pending = list(ConflictError.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.code != ConflictError.code:
            found[str(cls.code)] = cls
    return dict(sorted(found.items()))


# Component descriptions written for API clients; any other component description came from a class docstring.
_CLIENT_DESCRIPTIONS = {"ApiClientErrorResponse", "ApiValidationErrorResponse", CONFLICT}


def postprocess_schema(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    schemas: dict[str, Any] = result.setdefault("components", {}).setdefault("schemas", {})
    _add_error_components(schemas)
    for item in result.get("paths", {}).values():
        for operation in item.values():
            _public_security(operation)
            _conflicts(operation)
            _service_unavailable(operation)
            _retry_after(operation)
            _idempotent_replayed(operation)
            _refuse_nul_in_query(operation)
    _order_create_body(result, schemas)
    _password_rules(schemas)
    for name, schema in schemas.items():
        if name.endswith("Request"):
            _refuse_nul(schema)
        if schema.get("type") == "object" and "description" in schema and name not in _CLIENT_DESCRIPTIONS:
            del schema["description"]
    return result


def _public_security(operation: dict[str, Any]) -> None:
    """An operation anonymous callers may use says `security: []`.

    drf-spectacular lists the schemes plus `{}` ("optional"); generated clients (openapi-python-client) then
    demand an authenticated client. A token is still sent and used when the client has one.
    """
    security = operation.get("security")
    if security is not None and {} in security:
        operation["security"] = []


def _add_error_components(schemas: dict[str, Any]) -> None:
    mapping = {}
    for code, error in conflict_errors().items():
        name = error.__name__
        schemas[name] = {
            "type": "object",
            "properties": {
                "code": {"type": "string", "enum": [code]},
                **_ERROR_BASE,
                **{key: dict(field) for key, field in error.error_fields.items()},
            },
            "required": ["code", "detail", "attr", *error.required_error_fields],
        }
        mapping[code] = f"#/components/schemas/{name}"
    schemas[CONFLICT] = {
        "type": "object",
        "description": "A business rule refused the request; each error's `code` names the rule.",
        "properties": {
            "type": {"type": "string", "enum": ["client_error"]},
            "errors": {
                "type": "array",
                "items": {
                    "oneOf": [{"$ref": ref} for ref in mapping.values()],
                    "discriminator": {"propertyName": "code", "mapping": mapping},
                },
            },
        },
        "required": ["type", "errors"],
    }
    schemas[SERVICE_UNAVAILABLE] = {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["server_error"]},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string", "description": "e.g. `database_unavailable`."},
                        **_ERROR_BASE,
                    },
                    "required": ["code", "detail", "attr"],
                },
            },
        },
        "required": ["type", "errors"],
    }


def _json_response(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
        "description": description,
    }


def _conflicts(operation: dict[str, Any]) -> None:
    response = operation.get("responses", {}).get("409")
    if response is not None:
        response["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{CONFLICT}"}}}


def _service_unavailable(operation: dict[str, Any]) -> None:
    """Any operation may meet a database outage: 503, nothing changed, retry after `Retry-After` seconds."""
    responses = operation.setdefault("responses", {})
    if "503" not in responses:
        responses["503"] = _json_response(SERVICE_UNAVAILABLE, "A backing service is unavailable; nothing changed.")


def _retry_after(operation: dict[str, Any]) -> None:
    for status_code in ("429", "503"):
        response = operation.get("responses", {}).get(status_code)
        if response is not None:
            response.setdefault("headers", {})["Retry-After"] = RETRY_AFTER


def _idempotent_replayed(operation: dict[str, Any]) -> None:
    keys = [
        parameter
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "header" and parameter.get("name") == IDEMPOTENCY_HEADER
    ]
    if not keys:
        return
    for parameter in keys:
        # Surrounding whitespace is dropped, so a blank key counts as no key.
        parameter["schema"] = {**parameter["schema"], "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": r"\S"}
    for status_code, response in operation.get("responses", {}).items():
        if status_code.startswith("2"):
            response.setdefault("headers", {})[REPLAYED_HEADER] = {
                "description": "`true` when this is the stored answer to an earlier request with the same key.",
                "schema": {"type": "string", "enum": ["true"]},
            }


def _refuse_nul_in_query(operation: dict[str, Any]) -> None:
    """Query-string parameters refuse U+0000 like body strings: the server answers them 400 `null_character`.

    That answer comes from the middleware as a `client_error`, so an operation with query parameters documents a
    400 that admits one (not only the `validation_error` of its filters).
    """
    query = [p for p in operation.get("parameters", []) if p.get("in") == "query" and isinstance(p.get("schema"), dict)]
    for parameter in query:
        _refuse_nul(parameter["schema"])
    if not query:
        return
    responses = operation.setdefault("responses", {})
    documented = responses.get("400", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "400" not in responses or documented.get("$ref") == VALIDATION_ERROR_400:
        responses["400"] = _json_response(ERROR_400, "Invalid input, or a NUL character in the query string.")


# What a pattern's wildcards become so that they no longer match U+0000 (outside character classes).
_NUL_FREE_ESCAPES = {"S": "[^\\s\\u0000]", "W": "[^\\w\\u0000]", "D": "[^\\d\\u0000]"}


def _nul_free(pattern: str) -> str:
    """``pattern`` narrowed to strings without U+0000.

    Its wildcards (``.``, ``\\S``, ``\\W``, ``\\D`` and negated classes ``[^…]``) stop matching U+0000; a pattern not
    anchored at both ends (JSON Schema patterns search) is then wrapped so the rest of the string is NUL-free too.
    """
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            out.append(_NUL_FREE_ESCAPES[escaped] if not in_class and escaped in _NUL_FREE_ESCAPES else char + escaped)
            index += 2
            continue
        if in_class:
            in_class = char != "]" or out[-1] in ("[", "[^", "[^\\u0000")
            out.append(char)
        elif char == "[":
            in_class = True
            negated = pattern.startswith("[^", index)
            out.append("[^\\u0000" if negated else "[")
            index += 2 if negated else 1
            continue
        else:
            out.append("[^\\u0000\\n]" if char == "." else char)
        index += 1
    narrowed = "".join(out)
    if narrowed.startswith("^") and narrowed.endswith("$") and not narrowed.endswith("\\$") and "|" not in narrowed:
        return narrowed
    return f"^[^\\u0000]*(?:{narrowed})[^\\u0000]*$"


def _refuse_nul(schema: dict[str, Any]) -> None:
    """Strings without a format or enum of their own say they refuse U+0000 (combined with their own pattern)."""
    if schema.get("type") == "string" and "enum" not in schema and schema.get("format") in _UNPATTERNED_FORMATS:
        pattern = schema.get("pattern")
        if pattern is None:
            schema["pattern"] = NO_NUL
        elif pattern == r"\S":
            schema["pattern"] = NON_BLANK_NO_NUL
        elif pattern not in (NO_NUL, NON_BLANK_NO_NUL):
            schema["pattern"] = _nul_free(pattern)
    for prop in schema.get("properties", {}).values():
        _refuse_nul(prop)
    if isinstance(schema.get("items"), dict):
        _refuse_nul(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        _refuse_nul(schema["additionalProperties"])
    for variant in schema.get("oneOf", []):
        _refuse_nul(variant)


def _order_create_body(result: dict[str, Any], schemas: dict[str, Any]) -> None:
    """An order is placed from explicit `items` or from the cart (`from_cart: true`), never both nor neither."""
    body = schemas.get("OrderCreateInputRequest")
    if body is None:
        return
    items = body["properties"]["items"]
    schemas["OrderFromItemsRequest"] = {
        "type": "object",
        "properties": {
            "items": items,
            "from_cart": {"type": "boolean", "enum": [False], "default": False},
        },
        "required": ["items"],
        "additionalProperties": False,
    }
    schemas["OrderFromCartRequest"] = {
        "type": "object",
        "properties": {
            "from_cart": {"type": "boolean", "enum": [True], "description": "Place the order from your cart."}
        },
        "required": ["from_cart"],
        "additionalProperties": False,
    }
    schemas["OrderCreateInputRequest"] = {
        "oneOf": [
            {"$ref": "#/components/schemas/OrderFromItemsRequest"},
            {"$ref": "#/components/schemas/OrderFromCartRequest"},
        ]
    }
    for item in result.get("paths", {}).values():
        for operation in item.values():
            request_body = operation.get("requestBody", {})
            refs = [media.get("schema", {}).get("$ref") for media in request_body.get("content", {}).values()]
            if "#/components/schemas/OrderCreateInputRequest" in refs:
                request_body["required"] = True


PASSWORD_FIELDS = ("password", "new_password")


def _password_rules(schemas: dict[str, Any]) -> None:
    """New passwords state the minimum length the password validators enforce."""
    from django.contrib.auth.password_validation import MinimumLengthValidator, get_default_password_validators

    min_length = max(
        (v.min_length for v in get_default_password_validators() if isinstance(v, MinimumLengthValidator)),
        default=None,
    )
    if min_length is None:
        return
    for name, schema in schemas.items():
        if not name.endswith("Request") or name.startswith("TokenObtain"):
            continue
        for field in PASSWORD_FIELDS:
            prop = schema.get("properties", {}).get(field)
            if prop is not None and prop.get("type") == "string":
                prop["minLength"] = min_length
