from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.core import mail
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import Role, User
from tests.factories import UserFactory
from tests.support import run_concurrently

PASSWORD = "S3cure-pass-word"
pytestmark = pytest.mark.django_db


def login(client: APIClient, email: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/token/", {"email": email, "password": password})


def test_register_login_me(api_client):
    r = api_client.post(
        "/api/v1/auth/register/",
        {"email": "Ann@Example.com", "password": PASSWORD, "first_name": "Ann", "last_name": "Lee"},
    )
    assert r.status_code == 202, r.content
    assert set(r.json()) == {"detail"}
    user = User.objects.get(email="Ann@example.com")
    assert (user.role, user.is_verified, user.first_name) == (Role.CUSTOMER, False, "Ann")

    r = login(api_client, "ann@example.COM")  # e-mail login is case-insensitive
    assert r.status_code == 200, r.content
    tokens = r.json()
    assert set(tokens) == {"access", "refresh"}

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = api_client.get("/api/v1/auth/me/")
    assert me.status_code == 200
    assert me.json()["email"] == "Ann@example.com"  # domain part normalised


def test_register_existing_address_answers_like_a_new_one_and_tells_the_owner(
    api_client, django_capture_on_commit_callbacks
):
    owner = UserFactory.create(email="bob@example.com")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        new = api_client.post("/api/v1/auth/register/", {"email": "newbie@example.com", "password": PASSWORD})
        taken = api_client.post("/api/v1/auth/register/", {"email": "BOB@example.com", "password": PASSWORD})
    assert (new.status_code, taken.status_code) == (202, 202)
    assert new.content == taken.content
    assert User.objects.filter(email__iexact="bob@example.com").count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) is False  # nothing about the existing account changed
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"newbie@example.com", "bob@example.com"}
    attempt = by_address["bob@example.com"]
    assert "tried to register" in attempt.subject
    assert "tried to create a new account" in attempt.body
    html = attempt.alternatives[0][0]  # type: ignore[attr-defined]
    assert "tried to create a new account" in html


def test_register_weak_password(api_client):
    r = api_client.post("/api/v1/auth/register/", {"email": "weak@example.com", "password": "123"})
    assert r.status_code == 400
    assert r.json()["type"] == "validation_error"
    assert not User.objects.filter(email="weak@example.com").exists()


def test_register_ignores_privilege_fields(api_client):
    r = api_client.post(
        "/api/v1/auth/register/",
        {"email": "evil@example.com", "password": PASSWORD, "role": "admin", "is_staff": True, "is_verified": True},
    )
    assert r.status_code == 202, r.content
    user = User.objects.get(email="evil@example.com")
    assert user.role == Role.CUSTOMER
    assert user.is_verified is False
    assert user.is_staff is False


def test_me_patch_cannot_change_role_or_verification(customer, customer_client):
    r = customer_client.patch("/api/v1/auth/me/", {"first_name": "New", "role": "admin", "is_verified": False})
    assert r.status_code == 200
    customer.refresh_from_db()
    assert customer.first_name == "New"
    assert customer.role == Role.CUSTOMER
    assert customer.is_verified is True


def test_login_wrong_password_is_401(api_client, customer):
    r = login(api_client, customer.email, "wrong-password")
    assert r.status_code == 401
    assert r.json()["type"] == "client_error"


def test_refresh_rotates_and_reuse_is_refused(api_client, customer):
    refresh = str(RefreshToken.for_user(customer))
    r = api_client.post("/api/v1/auth/token/refresh/", {"refresh": refresh})
    assert r.status_code == 200
    new_pair = r.json()
    assert set(new_pair) == {"access", "refresh"}
    assert new_pair["refresh"] != refresh

    again = api_client.post("/api/v1/auth/token/refresh/", {"refresh": refresh})
    assert again.status_code == 401
    assert again.json()["errors"][0]["code"] == "token_not_valid"


def test_logout_blacklists_refresh(customer, customer_client, api_client):
    refresh = str(RefreshToken.for_user(customer))
    assert customer_client.post("/api/v1/auth/logout/", {"refresh": refresh}).status_code == 204
    assert api_client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}).status_code == 401


def test_logout_with_garbage_token_is_400(customer_client):
    r = customer_client.post("/api/v1/auth/logout/", {"refresh": "not-a-token"})
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "invalid_token"


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_refresh_yields_at_most_one_pair(customer):
    refresh = str(RefreshToken.for_user(customer))
    statuses = run_concurrently(
        8, lambda _: APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh}).status_code, reraise=True
    )
    assert sorted(statuses) == [200] + [401] * 7


class TestBadTokens:
    def test_unauthenticated_is_401_not_403(self, api_client):
        r = api_client.get("/api/v1/auth/me/")
        assert r.status_code == 401
        assert r.json()["errors"][0]["code"] == "not_authenticated"
        assert "Bearer" in r.headers["WWW-Authenticate"]

    def test_tampered_token(self, api_client, customer):
        token = str(AccessToken.for_user(customer))
        header, payload, signature = token.split(".")
        tampered = f"{header}.{payload}.{signature[::-1]}"
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tampered}")
        r = api_client.get("/api/v1/auth/me/")
        assert r.status_code == 401
        assert len(r.json()["errors"]) == 1

    def test_expired_token(self, api_client, customer):
        token = AccessToken.for_user(customer)
        token.set_exp(lifetime=-timedelta(seconds=1))
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        assert api_client.get("/api/v1/auth/me/").status_code == 401

    def test_refresh_token_used_as_access(self, api_client, customer):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(customer)}")
        assert api_client.get("/api/v1/auth/me/").status_code == 401

    def test_token_signed_with_another_key(self, api_client, customer):
        forged = jwt.encode(
            {"token_type": "access", "user_id": str(customer.pk), "exp": 9999999999, "jti": "x"},
            "another-key",
            algorithm="HS256",
        )
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
        assert api_client.get("/api/v1/auth/me/").status_code == 401


class TestRBAC:
    def test_customer_on_users_is_403(self, customer_client):
        r = customer_client.get("/api/v1/users/")
        assert r.status_code == 403
        assert r.json()["errors"][0]["code"] == "permission_denied"

    def test_manager_on_users_is_403(self, manager_client):
        assert manager_client.get("/api/v1/users/").status_code == 403

    def test_anonymous_on_users_is_401(self, api_client):
        assert api_client.get("/api/v1/users/").status_code == 401

    def test_admin_lists_and_changes_role(self, admin_client_api, customer):
        r = admin_client_api.get("/api/v1/users/")
        assert r.status_code == 200
        assert {"count", "next", "previous", "results"} <= set(r.json())
        r = admin_client_api.patch(f"/api/v1/users/{customer.pk}/", {"role": "manager"})
        assert r.status_code == 200
        assert r.json()["role"] == "manager"
        customer.refresh_from_db()
        assert customer.role == Role.MANAGER
        assert customer.is_staff

    def test_admin_invalid_role_is_400(self, admin_client_api, customer):
        r = admin_client_api.patch(f"/api/v1/users/{customer.pk}/", {"role": "god"})
        assert r.status_code == 400
        assert r.json()["errors"][0]["attr"] == "role"

    def test_users_list_query_count(self, admin_client_api, django_assert_max_num_queries):
        UserFactory.create_batch(30)
        with django_assert_max_num_queries(4):
            r = admin_client_api.get("/api/v1/users/?page_size=100")
        assert r.status_code == 200
        assert len(r.json()["results"]) == 31

    def test_manager_admin_permissions_follow_role(self, manager, admin_user, customer):
        assert manager.is_staff
        assert not manager.is_superuser
        assert manager.has_perm("catalog.change_product")
        assert not manager.has_perm("accounts.change_user")
        assert not manager.has_perm("accounts.view_user")
        assert admin_user.has_perm("accounts.change_user")
        assert not customer.is_staff
        assert not customer.has_perm("catalog.view_product")


class TestLoginThrottle:
    def test_sixth_attempt_in_a_minute_is_429(self, api_client, customer):
        for _ in range(5):
            assert login(api_client, customer.email, "wrong").status_code == 401
        r = login(api_client, customer.email, "wrong")
        assert r.status_code == 429
        assert int(r.headers["Retry-After"]) > 0
        assert r.json()["errors"][0]["code"] == "throttled"
        # Another e-mail from the same IP has its own budget.
        assert login(api_client, "someone-else@example.com", "wrong").status_code == 401


class TestEmailVerification:
    def _token_from_mail(self) -> str:
        body = mail.outbox[-1].body
        return body.split("token to the API: ")[1].split()[0]

    def test_register_sends_mail_and_token_verifies(self, api_client, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            r = api_client.post("/api/v1/auth/register/", {"email": "v@example.com", "password": PASSWORD})
        assert r.status_code == 202
        assert mail.outbox[-1].to == ["v@example.com"]
        r = api_client.post("/api/v1/auth/verify-email/", {"token": self._token_from_mail()})
        assert r.status_code == 200
        assert r.json()["is_verified"] is True
        assert User.objects.get(email="v@example.com").is_verified

    def test_bad_token(self, api_client):
        r = api_client.post("/api/v1/auth/verify-email/", {"token": "garbage"})
        assert r.status_code == 400
        assert r.json()["errors"][0]["code"] == "invalid_token"

    def test_expired_token(self, api_client, settings, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            api_client.post("/api/v1/auth/register/", {"email": "old@example.com", "password": PASSWORD})
        settings.EMAIL_VERIFICATION_MAX_AGE = -1
        r = api_client.post("/api/v1/auth/verify-email/", {"token": self._token_from_mail()})
        assert r.status_code == 400

    def test_resend(self, auth_client, django_capture_on_commit_callbacks):
        user = UserFactory.create(is_verified=False)
        with django_capture_on_commit_callbacks(execute=True):
            r = auth_client(user).post("/api/v1/auth/verify-email/resend/")
        assert r.status_code == 202
        assert mail.outbox[-1].to == [user.email]


class TestPasswordReset:
    def test_full_flow(self, api_client, customer, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            r = api_client.post("/api/v1/auth/password-reset/", {"email": customer.email.upper()})
        assert r.status_code == 202
        body = mail.outbox[-1].body
        uid = body.split("uid: ")[1].split()[0]
        token = body.split("token: ")[1].split()[0]
        r = api_client.post(
            "/api/v1/auth/password-reset/confirm/", {"uid": uid, "token": token, "new_password": "Brand-new-pass-9"}
        )
        assert r.status_code == 200
        assert login(api_client, customer.email, "Brand-new-pass-9").status_code == 200
        # The token is single-use: the password hash changed.
        r = api_client.post(
            "/api/v1/auth/password-reset/confirm/", {"uid": uid, "token": token, "new_password": "Other-pass-99x"}
        )
        assert r.status_code == 400
        assert r.json()["errors"][0]["code"] == "invalid_token"

    def test_unknown_email_still_202_and_no_mail(self, api_client, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            r = api_client.post("/api/v1/auth/password-reset/", {"email": "nobody@example.com"})
        assert r.status_code == 202
        assert mail.outbox == []

    def test_bad_uid(self, api_client):
        r = api_client.post(
            "/api/v1/auth/password-reset/confirm/", {"uid": "!!", "token": "x", "new_password": "Brand-new-pass-9"}
        )
        assert r.status_code == 400
        assert r.json()["errors"][0]["code"] == "invalid_token"


def test_jwt_lifetimes():
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] == timedelta(minutes=10)
    assert settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"] == timedelta(days=7)
