from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    list_display = ("email", "first_name", "last_name", "role", "is_verified", "is_active", "date_joined")
    list_filter = ("role", "is_verified", "is_active")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("-date_joined",)
    fields = ("email", "first_name", "last_name", "role", "is_verified", "is_active", "date_joined", "last_login")
    readonly_fields = ("date_joined", "last_login")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Only admins change roles or account state (managers do not reach this page: accounts/roles.py).
        if getattr(request.user, "role", None) != "admin":
            return self.fields
        return self.readonly_fields
