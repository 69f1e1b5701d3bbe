"""Client identity behind proxies, log-in lock-out, password-reset limits and token revocation."""

import time
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts.lockout import _key, lockout_failure
from api.client_ip import client_ip
from api.throttling import LoginRateThrottle
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"  # UserFactory's
pytestmark = pytest.mark.django_db


def login(client: APIClient, email: str, password: str = PASSWORD, **extra: Any):
    return client.post("/api/v1/auth/token/", {"email": email, "password": password}, **extra)


def client_from(address: str) -> APIClient:
    return APIClient(REMOTE_ADDR=address)


@pytest.fixture
def loose_login_throttle(monkeypatch):
    """Lock-out tests: keep the per-minute log-in rate limit out of the way."""
    monkeypatch.setitem(LoginRateThrottle.THROTTLE_RATES, "login", "1000/min")


# --- Client identity ---------------------------------------------------------------------------------------


def _request(remote: str, xff: str | None = None):
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if xff is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = xff
    return request


def test_forwarded_header_ignored_unless_the_peer_is_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request("198.51.100.9", "1.2.3.4")) == "198.51.100.9"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(_request("198.51.100.9", "1.2.3.4")) == "198.51.100.9"  # peer is not a proxy
    assert client_ip(_request("10.1.2.3", "1.2.3.4")) == "1.2.3.4"


def test_client_is_taken_hops_from_the_right(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.TRUSTED_PROXY_HOPS = 2  # CDN -> load balancer -> app
    # The client wrote "6.6.6.6"; the CDN appended the client's real address; the load balancer the CDN's.
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.5, 192.0.2.77")) == "203.0.113.5"
    # Fewer entries than proxies, or garbage: never a client-chosen identity.
    assert client_ip(_request("10.0.0.2", "203.0.113.5")) == "10.0.0.2"
    assert client_ip(_request("10.0.0.2", "not-an-ip, 192.0.2.77")) == "10.0.0.2"
    assert client_ip(_request("::ffff:198.51.100.1")) == "198.51.100.1"


def test_spoofed_forwarded_for_does_not_bypass_the_login_limit(customer):
    client = client_from("198.51.100.20")
    statuses = [login(client, customer.email, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(1, 7)]
    assert statuses == [200] * 5 + [429]


def test_trusted_proxy_hop_is_honoured_for_the_login_limit(settings, customer):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = client_from("10.0.0.1")
    # Six different clients behind the proxy each have their own budget...
    assert [login(proxy, customer.email, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(6)] == [
        200
    ] * 6
    # ...and one client cannot escape its own by writing entries left of the proxy's.
    statuses = [
        login(proxy, customer.email, HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 198.51.100.50").status_code for n in range(6)
    ]
    assert statuses == [200] * 5 + [429]


def test_gunicorn_does_not_rewrite_the_client_address():
    from config import gunicorn

    assert gunicorn.forwarded_allow_ips == ""


# --- Lock-out --------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("loose_login_throttle")
def test_api_login_locks_the_pair_and_not_the_account(customer):
    attacker = client_from("198.51.100.66")
    assert [login(attacker, customer.email, "wrong-guess").status_code for _ in range(5)] == [401] * 5
    locked = login(attacker, customer.email)  # even the right password
    assert locked.status_code == 429
    assert locked.json()["type"] == "client_error"
    assert locked.json()["errors"][0]["code"] == "throttled"
    assert "Too many failed log-in attempts" in locked.json()["errors"][0]["detail"]
    assert 55 <= int(locked["Retry-After"]) <= 60
    # The owner, from anywhere else, is not locked out.
    assert login(client_from("203.0.113.10"), customer.email).status_code == 200


@pytest.mark.usefixtures("loose_login_throttle")
def test_lock_out_backs_off_exponentially(customer):
    attacker = client_from("198.51.100.67")
    for _ in range(5):
        login(attacker, customer.email, "wrong-guess")
    waits = [int(login(attacker, customer.email)["Retry-After"])]
    redis = get_redis_connection("throttle")
    key = _key(customer.email, _request("198.51.100.67"))
    for _ in range(3):
        redis.hset(key, "until", time.time() - 1)  # the lock-out ran out
        assert login(attacker, customer.email, "wrong-guess").status_code == 401  # one more guess, then locked
        waits.append(int(login(attacker, customer.email)["Retry-After"]))
    assert [round(wait / 60) for wait in waits] == [1, 2, 4, 8]


def test_back_off_is_capped(settings):
    request = _request("198.51.100.68")
    for _ in range(settings.LOCKOUT_FAILURES + 20):
        lockout_failure(username="someone@example.com", request=request)
    until = float(get_redis_connection("throttle").hget(_key("someone@example.com", request), "until"))
    assert until - time.time() <= settings.LOCKOUT_MAX_SECONDS


@pytest.mark.usefixtures("loose_login_throttle")
def test_successful_login_clears_the_pair(customer):
    client = client_from("198.51.100.69")
    for _ in range(4):
        login(client, customer.email, "wrong-guess")
    assert login(client, customer.email).status_code == 200
    assert [login(client, customer.email, "wrong-guess").status_code for _ in range(4)] == [401] * 4


def test_admin_login_is_locked_per_account_and_client(admin_user):
    url = reverse("admin:login")
    form = {"username": admin_user.email, "password": "wrong-guess", "next": "/admin/"}
    attacker = Client(REMOTE_ADDR="198.51.100.70")
    assert [attacker.post(url, form).status_code for _ in range(5)] == [200] * 5  # the form with its error
    locked = attacker.post(url, {**form, "password": PASSWORD})
    assert locked.status_code == 429
    assert "Retry-After" in locked
    assert b"Too many log-in attempts" in locked.content
    assert "_auth_user_id" not in attacker.session
    owner = Client(REMOTE_ADDR="203.0.113.11")
    assert owner.post(url, {**form, "password": PASSWORD}).status_code == 302


def test_password_change_counts_towards_the_lock_out(customer, customer_client):
    body = {"current_password": "wrong-guess", "new_password": "An0ther-long-passphrase"}
    responses = [customer_client.post("/api/v1/auth/password-change/", body) for _ in range(6)]
    assert [r.status_code for r in responses] == [400] * 5 + [429]
    assert responses[0].json()["errors"][0]["code"] == "wrong_password"
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


# --- Password reset limits ---------------------------------------------------------------------------------


def test_reset_request_is_limited_per_target_account(customer):
    statuses = [
        client_from(f"198.51.100.{n}").post("/api/v1/auth/password-reset/", {"email": customer.email}).status_code
        for n in range(1, 7)
    ]
    assert statuses == [202] * 5 + [429]
    other = client_from("198.51.100.99").post("/api/v1/auth/password-reset/", {"email": "other@example.com"})
    assert other.status_code == 202


def test_reset_request_is_limited_per_client():
    client = client_from("198.51.100.80")
    statuses = [
        client.post("/api/v1/auth/password-reset/", {"email": f"u{n}@example.com"}).status_code for n in range(11)
    ]
    assert statuses == [202] * 10 + [429]


def test_reset_confirm_is_limited_per_target_account(customer):
    uid = urlsafe_base64_encode(force_bytes(customer.pk))
    body = {"uid": uid, "token": "guessed-token", "new_password": "An0ther-long-passphrase"}
    statuses = [
        client_from(f"198.51.100.{n}").post("/api/v1/auth/password-reset/confirm/", body).status_code
        for n in range(1, 7)
    ]
    assert statuses == [400] * 5 + [429]


# --- Tokens ------------------------------------------------------------------------------------------------


def refresh(client: APIClient, token: str):
    return client.post("/api/v1/auth/token/refresh/", {"refresh": token})


def test_reusing_a_rotated_refresh_token_revokes_its_family(customer):
    client = APIClient()
    first = login(client, customer.email).json()
    other_session = login(client, customer.email).json()
    second = refresh(client, first["refresh"]).json()
    third = refresh(client, second["refresh"]).json()
    reused = refresh(client, first["refresh"])  # a thief replays the stolen, already rotated token
    assert reused.status_code == 401
    assert reused.json()["errors"][0]["code"] == "token_not_valid"
    assert refresh(client, third["refresh"]).status_code == 401  # the successor dies too
    assert refresh(client, other_session["refresh"]).status_code == 200  # another log-in is another family


def _me(access: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/v1/auth/me/").status_code


def test_password_change_ends_every_earlier_token(customer):
    client = APIClient()
    old = login(client, customer.email).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")
    r = client.post(
        "/api/v1/auth/password-change/", {"current_password": PASSWORD, "new_password": "An0ther-long-passphrase"}
    )
    assert r.status_code == 200, r.content
    fresh = r.json()
    assert _me(old["access"]) == 401
    assert refresh(APIClient(), old["refresh"]).status_code == 401
    assert _me(fresh["access"]) == 200
    assert refresh(APIClient(), fresh["refresh"]).status_code == 200
    assert login(APIClient(), customer.email, "An0ther-long-passphrase").status_code == 200


def test_password_reset_ends_every_earlier_token(customer):
    old = login(APIClient(), customer.email).json()
    customer.refresh_from_db()  # the log-in moved last_login, which reset tokens depend on
    body = {
        "uid": urlsafe_base64_encode(force_bytes(customer.pk)),
        "token": default_token_generator.make_token(customer),
        "new_password": "An0ther-long-passphrase",
    }
    assert APIClient().post("/api/v1/auth/password-reset/confirm/", body).status_code == 200
    assert _me(old["access"]) == 401
    assert refresh(APIClient(), old["refresh"]).status_code == 401


def test_password_set_anywhere_ends_access_tokens(customer):
    access = login(APIClient(), customer.email).json()["access"]
    customer.set_password("Set-by-an-admin-42")  # e.g. the admin's password form
    customer.save()
    assert _me(access) == 401


@pytest.mark.parametrize("fate", ["deactivated", "deleted"])
def test_refresh_of_a_gone_user_is_401_in_the_envelope(fate):
    user = UserFactory.create()
    token = login(APIClient(), user.email).json()["refresh"]
    if fate == "deleted":
        user.delete()
    else:
        user.is_active = False
        user.save()
    r = refresh(APIClient(), token)
    assert r.status_code == 401
    assert r.json()["type"] == "client_error"
    assert r.json()["errors"][0]["code"] == "token_not_valid"
