"""Role-based permissions used by every app."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


def _role_in(request: Request, roles: set[str]) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and getattr(user, "role", None) in roles)


class IsAdmin(BasePermission):
    message = "Only administrators may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return _role_in(request, {"admin"})


class IsManagerOrAdmin(BasePermission):
    message = "Only managers and administrators may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return _role_in(request, {"admin", "manager"})
