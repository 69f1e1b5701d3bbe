"""The project's OpenAPI generator: drf-standardized-errors' error responses, adjusted to what the API sends.

- adrf names async viewset actions alist/aretrieve/...; they are mapped back so lists are documented as
  paginated lists with their filters and operation ids do not collide.
- Error bodies: the generated per-field validation schema enumerates field names and codes, but the API also
  answers ``unknown_field`` for any extra key, list indexes in ``attr`` (``items.0.quantity``) and domain codes
  such as ``order_not_found`` (404) or ``invalid_token`` (400). 400, 401, 404 and 413 are documented as the
  envelope with a free-form ``code`` instead; the codes an operation can return are named in its description.
- Input serializers built on ``StrictFieldsMixin`` refuse unknown keys, so their request schemas say
  ``additionalProperties: false``.
- Requests the API refuses for a reason the generic schema does not state are stated: non-empty lists
  (``minItems``), non-blank text (``pattern: \\S``) and the one decimal spelling accepted. These use
  drf-spectacular's extension classes; document-wide rules live in ``api.schema_hooks``.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import PolymorphicProxySerializer, inline_serializer
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ValidationErrorEnum
from rest_framework import serializers
from rest_framework_simplejwt.views import TokenViewBase

from api.serializers import StrictFieldsMixin, decimal_pattern

_ASYNC_ACTIONS = {
    "alist": "list",
    "aretrieve": "retrieve",
    "acreate": "create",
    "aupdate": "update",
    "apartial_update": "partial_update",
    "adestroy": "destroy",
}
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

    def _is_list_view(self, serializer: Any = None) -> bool:
        action = getattr(self.view, "action", None)
        if action in _ASYNC_ACTIONS:
            self.view.action = _ASYNC_ACTIONS[action]
        return super()._is_list_view(serializer)

    def _get_allowed_error_status_codes(self) -> list[str]:
        return [*super()._get_allowed_error_status_codes(), "413"]

    def _should_add_error_response(self, responses: dict[str, Any], status_code: str) -> bool:
        if status_code == "413" and self.method not in _BODY_METHODS:
            return False
        return super()._should_add_error_response(responses, status_code)

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> Any:
        if self.method == "PATCH" and getattr(self.view, "patch_is_partial", True) is False:
            # drf-spectacular documents every PATCH body as partial (all fields optional); a view that validates
            # the whole body on PATCH says so with ``patch_is_partial = False`` and keeps its required fields.
            self.method = "PUT"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        return super()._get_request_for_media_type(serializer, direction)

    def _should_add_http401_error_response(self) -> bool:
        # simplejwt's token views check the credentials or the refresh token in the body: a wrong one is a 401.
        return isinstance(self.view, TokenViewBase) or super()._should_add_http401_error_response()

    def _get_error_response_serializer(self, status_code: str) -> Any:
        if status_code == "400":
            return ERROR_400
        if status_code in ("401", "404", "413"):
            return ApiClientErrorResponseSerializer
        return super()._get_error_response_serializer(status_code)


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
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction != "request":
            return schema
        properties = schema.get("properties", {})
        for name, field in force_instance(self.target).fields.items():
            if isinstance(field, serializers.ListSerializer) and not field.allow_empty and name in properties:
                properties[name].setdefault("minItems", 1)
        schema["additionalProperties"] = False
        return schema
