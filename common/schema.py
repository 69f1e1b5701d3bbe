from typing import Any

from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema

# adrf names async viewset actions alist/aretrieve/...; map them back so the schema documents
# lists as paginated lists with their filters and operation ids do not collide.
_ASYNC_ACTIONS = {
    "alist": "list",
    "aretrieve": "retrieve",
    "acreate": "create",
    "aupdate": "update",
    "apartial_update": "partial_update",
    "adestroy": "destroy",
}


class AutoSchema(StandardizedErrorsAutoSchema):
    def _is_list_view(self, serializer: Any = None) -> bool:
        action = getattr(self.view, "action", None)
        if action in _ASYNC_ACTIONS:
            self.view.action = _ASYNC_ACTIONS[action]
        return super()._is_list_view(serializer)
