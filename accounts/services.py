"""Account writes: registration, verification, password reset, profile and role changes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.errors import InvalidTokenError, WrongPasswordError
from accounts.models import Role, User
from accounts.tokens import refresh_tokens_revoke_all
from emails.services import email_enqueue

VERIFY_SALT = "accounts.email-verification"


def _validate_new_password(password: str, *, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def _verification_token(user: User) -> str:
    return signing.dumps({"uid": str(user.pk), "email": user.email.lower()}, salt=VERIFY_SALT)


def verification_email_send(*, user: User) -> None:
    token = _verification_token(user)
    link = f"{settings.FRONTEND_URL}/verify-email?token={token}"
    email_enqueue(
        to=[user.email],
        template="verify_email",
        context={
            "user": user,
            "token": token,
            "link": link,
            "max_age_days": settings.EMAIL_VERIFICATION_MAX_AGE // 86400,
        },
    )


@transaction.atomic
def user_register(*, email: str, password: str, first_name: str = "", last_name: str = "") -> None:
    """Create a customer (the role is never taken from input) and send the verification e-mail.

    An address that already has an account gets an e-mail telling its owner instead, and the caller answers the
    same either way, so registration does not reveal which addresses have accounts. Both paths hash the password
    and queue one e-mail, so they also take about as long.
    """
    email = User.objects.normalize_email(email).strip()
    _validate_new_password(password, user=User(email=email, first_name=first_name, last_name=last_name))
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        make_password(password)  # the work a new account costs, so timing does not tell the two apart
        registration_attempt_email_send(user=existing)
        return
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, password, first_name=first_name, last_name=last_name, role=Role.CUSTOMER
            )
    except IntegrityError:  # a concurrent registration of the same address won the unique index
        return
    verification_email_send(user=user)


def registration_attempt_email_send(*, user: User) -> None:
    email_enqueue(
        to=[user.email],
        template="registration_attempt",
        context={"email": user.email, "reset_link": f"{settings.FRONTEND_URL}/reset-password"},
    )


def user_verify_email(*, token: str) -> User:
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
        user = User.objects.get(pk=data["uid"], is_active=True)
    except (signing.BadSignature, User.DoesNotExist, ValidationError, KeyError, ValueError, TypeError) as exc:
        raise InvalidTokenError(attr="token") from exc
    if user.email.lower() != data.get("email"):  # the address changed since the mail was sent
        raise InvalidTokenError(attr="token")
    if not user.is_verified:
        user.is_verified = True
        user.save(update_fields=["is_verified"])
    return user


def password_reset_request(*, email: str) -> None:
    """Mail a reset link if the account exists; callers always answer 202 so accounts are not revealed."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    email_enqueue(
        to=[user.email],
        template="password_reset",
        context={"uid": uid, "token": token, "link": f"{settings.FRONTEND_URL}/reset-password?uid={uid}&token={token}"},
    )


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    try:
        user = User.objects.select_for_update().get(pk=force_str(urlsafe_base64_decode(uid)), is_active=True)
    except (User.DoesNotExist, ValidationError, ValueError, TypeError, OverflowError) as exc:
        raise InvalidTokenError(attr="token") from exc
    if not default_token_generator.check_token(user, token):
        raise InvalidTokenError(attr="token")
    _validate_new_password(new_password, user=user, field="new_password")
    _password_set(user=user, password=new_password)
    return user


def _password_set(*, user: User, password: str) -> None:
    """Store a new password and end every session it guarded.

    Refresh tokens are blacklisted here; access tokens (and any refresh token issued elsewhere) carry a digest of
    the old password hash, which JWTAuthentication and the refresh endpoint compare with the current one.
    """
    user.set_password(password)
    user.save(update_fields=["password"])
    refresh_tokens_revoke_all(user=user)


@transaction.atomic
def password_change(*, request: Any, user: User, current_password: str, new_password: str) -> dict[str, str]:
    """Change the password after checking the current one; returns a fresh token pair for the caller.

    The current password is checked through ``authenticate(request, ...)``, so the log-in lock-out covers it.
    Every other session of the user ends (refresh and access tokens).
    """
    if authenticate(request, username=user.email, password=current_password) is None:
        raise WrongPasswordError(attr="current_password")
    _validate_new_password(new_password, user=user, field="new_password")
    _password_set(user=user, password=new_password)
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def user_update_profile(*, user: User, data: dict[str, Any]) -> User:
    allowed = {"first_name", "last_name"}
    for field, value in data.items():
        if field in allowed:
            setattr(user, field, value)
    user.save(update_fields=[f for f in data if f in allowed] or None)
    return user


def user_update_by_admin(*, user: User, data: dict[str, Any]) -> User:
    allowed = {"first_name", "last_name", "role", "is_active", "is_verified"}
    fields = [f for f in data if f in allowed]
    for field in fields:
        setattr(user, field, data[field])
    if fields:
        user.save(update_fields=fields)
    return user


def refresh_token_blacklist(*, refresh: str) -> None:
    """Log out: the refresh token (and so the session it started) can no longer be used."""
    try:
        RefreshToken(refresh).blacklist()  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidTokenError("The refresh token is invalid or already used.", attr="refresh") from exc


def demo_users_ensure() -> list[tuple[str, str, str]]:
    """Create the demo admin, manager and customer once; return (role, email, password) for each."""
    demo = [
        (Role.ADMIN, "admin@example.com", "admin-pass-123"),
        (Role.MANAGER, "manager@example.com", "manager-pass-123"),
        (Role.CUSTOMER, "customer@example.com", "customer-pass-123"),
    ]
    for role, email, password in demo:
        if not User.objects.filter(email__iexact=email).exists():
            User.objects.create_user(email, password, role=role, is_verified=True)
    return [(str(role), email, password) for role, email, password in demo]
