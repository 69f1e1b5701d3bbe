from typing import Any

from rest_framework import serializers
from rest_framework_simplejwt.serializers import TokenRefreshSerializer

from accounts.models import Role, User
from accounts.tokens import refresh_rotate
from api.serializers import StrictFieldsMixin

_READ_ONLY_USER_FIELDS = ("id", "role", "is_verified", "is_active", "is_staff", "date_joined")


class UserSerializer(StrictFieldsMixin, serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ("id", "email", "first_name", "last_name", "role", "is_verified", "date_joined")
        read_only_fields = fields


class RegisterSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    # Privilege fields a client might try to set are accepted and ignored, never applied.
    ignored_fields = (*_READ_ONLY_USER_FIELDS, "is_superuser")

    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class MeUpdateSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    ignored_fields = (*_READ_ONLY_USER_FIELDS, "email")

    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class AdminUserUpdateSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    ignored_fields = ("id", "email", "date_joined")

    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(required=False)
    is_verified = serializers.BooleanField(required=False)


class TokenSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    token = serializers.CharField(max_length=1024)


class RefreshInputSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    refresh = serializers.CharField(max_length=2048)


class EmailInputSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer[Any]):
    access = serializers.CharField()
    refresh = serializers.CharField()


class LockedTokenRefreshSerializer(TokenRefreshSerializer):
    """Refresh with rotation and reuse detection (accounts.tokens.refresh_rotate)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return refresh_rotate(raw=attrs["refresh"])


class PasswordChangeSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class RegisterAcceptedSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
