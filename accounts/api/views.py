from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenRefreshView

from accounts import selectors, services
from accounts.api.serializers import (
    AdminUserUpdateSerializer,
    EmailInputSerializer,
    MeUpdateSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    RefreshInputSerializer,
    RegisterAcceptedSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    TokenSerializer,
    UserSerializer,
)
from accounts.models import User
from accounts.permissions import IsAdmin
from api.throttling import (
    AnonRateThrottle,
    PasswordResetAccountRateThrottle,
    PasswordResetRateThrottle,
)

REGISTER_ACCEPTED = "Check your inbox: we have sent a message to this address."


class RegisterView(APIView):
    permission_classes = [AllowAny]

    """Always 202 with the same body for a valid request, whether or not the address already has an account.

    A new address gets the verification e-mail; an existing one gets an e-mail telling its owner of the attempt.
    """

    @extend_schema(request=RegisterSerializer, responses={202: RegisterAcceptedSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_register(**serializer.validated_data)
        return Response({"detail": REGISTER_ACCEPTED}, status=status.HTTP_202_ACCEPTED)


class RefreshView(TokenRefreshView):
    """Rotates the refresh token. Presenting a refresh token that was already rotated revokes its whole family:
    the successor tokens stop working too (401)."""

    @extend_schema(responses={200: TokenPairSerializer}, auth=[])
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class LogoutView(APIView):
    """Revokes the presented refresh token. Access tokens are not tracked: the one in use stays valid until it
    expires (`ACCESS_TOKEN_LIFETIME`, 10 minutes by default); a password change ends it at once."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=RefreshInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.refresh_token_blacklist(refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    """Current + new password. Every refresh and access token of the user issued before stops working; the
    answer carries a new token pair for the caller. Failed checks count towards the log-in lock-out."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=PasswordChangeSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = services.password_change(request=request, user=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return Response(tokens)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UserSerializer})
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(request.user).data)  # type: ignore[arg-type]

    @extend_schema(request=MeUpdateSerializer, responses={200: UserSerializer})
    def patch(self, request: Request) -> Response:
        serializer = MeUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, data=serializer.validated_data)  # type: ignore[arg-type]
        return Response(UserSerializer(user).data)


class VerifyEmailView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(request=TokenSerializer, responses={200: UserSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        serializer = TokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_verify_email(token=serializer.validated_data["token"])
        return Response(UserSerializer(user).data)


class VerifyEmailResendView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={202: OpenApiResponse(description="Verification e-mail queued.")})
    def post(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        if not user.is_verified:
            services.verification_email_send(user=user)
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [AnonRateThrottle, PasswordResetRateThrottle, PasswordResetAccountRateThrottle]

    @extend_schema(
        request=EmailInputSerializer,
        responses={202: OpenApiResponse(description="Always accepted, whether or not the account exists.")},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = EmailInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(email=serializer.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [AnonRateThrottle, PasswordResetRateThrottle, PasswordResetAccountRateThrottle]

    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={200: OpenApiResponse(description="Password changed.")},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_confirm(**serializer.validated_data)
        return Response({"detail": "Password changed."})


class UserListView(generics.ListAPIView[User]):
    permission_classes = [IsAdmin]
    serializer_class = UserSerializer

    def get_queryset(self) -> QuerySet[User]:
        return selectors.user_list()


class UserDetailView(generics.RetrieveAPIView[User]):
    permission_classes = [IsAdmin]
    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[User]:
        return selectors.user_list()

    @extend_schema(request=AdminUserUpdateSerializer, responses={200: UserSerializer})
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = self.get_object()
        serializer = AdminUserUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_by_admin(user=user, data=serializer.validated_data)
        return Response(UserSerializer(user).data)
