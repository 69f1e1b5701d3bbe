"""The project's OpenAPI generator: drf-standardized-errors' error responses, adjusted to what the API sends.

- Error bodies: the generated per-field validation schema enumerates field names and codes, but the API also
  answers ``unknown_field`` for any extra key, list indexes in ``attr`` (``items.0.quantity``) and domain codes
  such as ``order_not_found`` (404) or ``invalid_token`` (400). 400, 401, 404 and 413 are documented as the
  envelope with a free-form ``code`` instead; the codes an operation can return are named in its description.
- Input serializers built on ``StrictFieldsMixin`` refuse unknown keys, so their request schemas say
  ``additionalProperties: false``.
- Requests the API refuses for a reason the generic schema does not state are stated: non-empty lists
  (``minItems``), non-blank text (``pattern: \\S``) and the one decimal spelling accepted. These use
  drf-spectacular's extension classes; document-wide rules live in ``api.schema_hooks``.
- A PATCH that a view validates whole (``patch_is_partial = False``) keeps its required fields and its name.

All of it goes through documented extension points: drf-standardized-errors' settings (``ALLOWED_ERROR_STATUS_CODES``,
``ERROR_SCHEMAS``), drf-spectacular's extension classes (each starting from the default mapping, as the extension
base classes themselves do), postprocessing hooks, and the public ``get_description``. No private method of an
AutoSchema is overridden (tests/api/test_schema_extension_points.py).
"""

import copy
from typing import Any

from django.urls import Resolver404, resolve
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import PolymorphicProxySerializer, inline_serializer
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ValidationErrorEnum
from rest_framework import serializers
from rest_framework_simplejwt.views import TokenViewBase

from api.serializers import StrictFieldsMixin, decimal_pattern

_BODY_METHODS = ("POST", "PUT", "PATCH")


class ApiErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `not_found`, `order_not_found`.")
    detail = serializers.CharField(help_text="Human-readable message.")
    attr = serializers.CharField(
        allow_null=True, help_text="The offending input field (`items.0.quantity` for list items), or null."
    )


class ApiClientErrorResponseSerializer(serializers.Serializer[Any]):
    """The error envelope for client errors. Domain errors may add keys to an error (e.g. `product_id`)."""

    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = ApiErrorSerializer(many=True)  # type: ignore[assignment]


class ApiValidationErrorResponseSerializer(serializers.Serializer[Any]):
    """The error envelope for invalid input: one error per problem, `attr` naming the field."""

    type = serializers.ChoiceField(choices=ValidationErrorEnum.choices)
    errors = ApiErrorSerializer(many=True)  # type: ignore[assignment]


class DomainErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable error code, e.g. `insufficient_stock`.")
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)
    product_id = serializers.UUIDField(required=False, help_text="Set on per-product stock errors.")
    requested = serializers.IntegerField(required=False)
    available = serializers.IntegerField(required=False)
    current_status = serializers.CharField(required=False, help_text="Set on `invalid_transition`.")
    order_status = serializers.CharField(required=False, help_text="With `order_not_payable`: the order's status.")


# The error envelope as views document it next to a business-rule failure (409 conflicts, 502 provider
# errors; payments also lists its 400s here). Built inline because a serializer field called ``errors``
# would shadow ``Serializer.errors``.
DomainErrorResponseSerializer = inline_serializer(
    name="DomainErrorResponse",
    fields={
        "type": serializers.ChoiceField(choices=["validation_error", "client_error", "server_error"]),
        "errors": DomainErrorSerializer(many=True),
    },
)


ERROR_400 = PolymorphicProxySerializer(
    component_name="ApiErrorResponse400",
    serializers={
        ValidationErrorEnum.VALIDATION_ERROR.value: ApiValidationErrorResponseSerializer,
        ClientErrorEnum.CLIENT_ERROR.value: ApiClientErrorResponseSerializer,
    },
    resource_type_field_name="type",
)


class AutoSchema(StandardizedErrorsAutoSchema):
    def get_description(self) -> str:  # type: ignore[override]  # drf-spectacular narrows DRF's signature
        # Docstrings are written for maintainers; what clients read is given with ``extend_schema(description=…)``.
        return ""


# Marks a PATCH body documented whole (see StrictSerializerSchema); ``whole_body_patches`` removes the mark.
WHOLE_BODY_PATCH = "x-whole-body-patch"


def whole_body_patches(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """A PATCH body validated whole is named like the whole body (``X``, not drf-spectacular's ``PatchedX``)."""
    schemas: dict[str, Any] = result.get("components", {}).get("schemas", {})
    renamed = {
        f"#/components/schemas/{name}": name.removeprefix("Patched")
        for name, schema in schemas.items()
        if schema.pop(WHOLE_BODY_PATCH, False)
    }
    if not renamed:
        return result
    for ref, name in renamed.items():
        schemas[name] = schemas.pop(ref.rsplit("/", 1)[1])
    # Components are in name order, as drf-spectacular builds them.
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    _rename_refs(result.get("paths", {}), {ref: f"#/components/schemas/{name}" for ref, name in renamed.items()})
    return result


def _rename_refs(node: Any, refs: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and value in refs:
                node[key] = refs[value]
            else:
                _rename_refs(value, refs)
    elif isinstance(node, list):
        for value in node:
            _rename_refs(value, refs)


def error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """The error responses drf-standardized-errors' settings cannot narrow on their own (a postprocessing hook).

    Its ``ALLOWED_ERROR_STATUS_CODES`` adds 413 to every operation; only operations that take a body can send one.
    simplejwt's token views authenticate nobody (the credentials or the refresh token are in the body), so no
    401 is generated for them, yet a wrong credential or token is a 401: it is listed after the 400.
    """
    paths: dict[str, Any] = result.get("paths", {})
    # The 401 the package generates for authenticated operations (same envelope, same examples).
    generated_401 = {"application/json": {"schema": {"$ref": f"#/components/schemas/{_CLIENT_ERROR}"}}}
    unauthorized = next(
        (
            response
            for item in paths.values()
            for operation in item.values()
            if (response := operation.get("responses", {}).get("401"))
            and response.get("description") == ""
            and {media: {"schema": content.get("schema")} for media, content in response["content"].items()}
            == generated_401
        ),
        None,
    )
    for path, item in paths.items():
        token_view = _is_token_view(path)
        for method, operation in item.items():
            responses: dict[str, Any] = operation.get("responses", {})
            if method.upper() not in _BODY_METHODS:
                responses.pop("413", None)
            if token_view and unauthorized is not None and "401" not in responses:
                codes = list(responses)
                at = codes.index("400") + 1 if "400" in codes else 0
                operation["responses"] = {
                    **{code: responses[code] for code in codes[:at]},
                    "401": copy.deepcopy(unauthorized),
                    **{code: responses[code] for code in codes[at:]},
                }
    return result


_CLIENT_ERROR = "ApiClientErrorResponse"


def _is_token_view(path: str) -> bool:
    if "{" in path:
        return False
    try:
        view = resolve(path).func
    except Resolver404:
        return False
    view_class = getattr(view, "cls", None)
    return isinstance(view_class, type) and issubclass(view_class, TokenViewBase)


# Field- and serializer-level refinements, through drf-spectacular's extension classes (registered on definition).
# Each starts from what drf-spectacular would generate, the way its documentation describes.


class DecimalFieldSchema(OpenApiSerializerFieldExtension):
    """The one decimal spelling the API accepts (see ``decimal_pattern``)."""

    target_class = serializers.DecimalField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if schema.get("type") == "string":
            schema["pattern"] = decimal_pattern(self.target)
        return schema


class FileFieldSchema(OpenApiSerializerFieldExtension):
    """Media URLs are rendered without the request (cached bodies hold no host): a path, not a full URI."""

    target_class = serializers.FileField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if schema.get("format") == "uri":
            schema["format"] = "uri-reference"
        return schema


class CharFieldSchema(OpenApiSerializerFieldExtension):
    """Input text that is trimmed and may not be blank must hold a non-space character."""

    target_class = serializers.CharField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        if (
            direction == "request"
            and not field.read_only
            and field.trim_whitespace
            and not field.allow_blank
            and schema.get("type") == "string"
            and "pattern" not in schema
            and "format" not in schema
        ):
            schema["pattern"] = r"\S"
        return schema


class StrictSerializerSchema(OpenApiSerializerExtension):
    """Input serializers built on ``StrictFieldsMixin`` refuse unknown keys and empty lists marked non-empty."""

    target_class = StrictFieldsMixin
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        serializer = self.target
        whole_patch = (
            direction == "request"
            and auto_schema.method == "PATCH"
            and getattr(auto_schema.view, "patch_is_partial", True) is False
            and getattr(serializer, "partial", False)
        )
        if whole_patch:
            # drf-spectacular documents every PATCH body as partial (all fields optional); a view that validates the
            # whole body on PATCH says so with ``patch_is_partial = False`` and keeps its required fields. The
            # component is named like the whole body by ``whole_body_patches``.
            serializer = copy.copy(force_instance(serializer))
            serializer.partial = False
        schema = auto_schema._map_serializer(serializer, direction, bypass_extensions=True)
        if whole_patch:
            schema[WHOLE_BODY_PATCH] = True
        if direction != "request":
            return schema
        properties = schema.get("properties", {})
        for name, field in force_instance(self.target).fields.items():
            if isinstance(field, serializers.ListSerializer) and not field.allow_empty and name in properties:
                properties[name].setdefault("minItems", 1)
        schema["additionalProperties"] = False
        return schema
