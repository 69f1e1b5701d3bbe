"""JWT authentication from the cached auth state (accounts.authentication): no user-row read per request, and
revocation exactly as strict as reading the row."""

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient

from accounts import authentication
from accounts.models import Role, User
from tests.factories import UserFactory
from tests.support import client_for

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"
LOW_STOCK = "/api/v1/inventory/low-stock/"


def _user_reads(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if 'FROM "users"' in q["sql"]]


@pytest.mark.parametrize("path", [ME, "/api/v1/orders/"])
def test_an_authenticated_get_reads_no_user_row(customer_client: APIClient, path: str) -> None:
    assert customer_client.get(path).status_code == 200  # fills the state
    with CaptureQueriesContext(connection) as queries:
        response = customer_client.get(path)
    assert response.status_code == 200
    assert _user_reads(queries) == []


def test_me_answers_from_the_state_what_the_row_holds(customer_client: APIClient, customer: User) -> None:
    first = customer_client.get(ME).json()
    with CaptureQueriesContext(connection) as queries:
        cached = customer_client.get(ME).json()
    assert queries.captured_queries == []
    assert cached == first
    assert cached["email"] == customer.email
    assert cached["role"] == customer.role


def test_a_cold_state_is_read_once(customer_client: APIClient) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert customer_client.get(ME).status_code == 200
    assert len(_user_reads(queries)) == 1


def test_deactivation_refuses_the_next_request(customer: User, customer_client: APIClient) -> None:
    assert customer_client.get(ME).status_code == 200
    customer.is_active = False
    customer.save()
    response = customer_client.get(ME)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "user_inactive"


def test_deactivation_by_an_admin_refuses_the_next_request(
    customer: User, customer_client: APIClient, admin_client_api: APIClient
) -> None:
    assert customer_client.get(ME).status_code == 200
    assert admin_client_api.patch(f"/api/v1/users/{customer.pk}/", {"is_active": False}).status_code == 200
    assert customer_client.get(ME).status_code == 401


def test_password_change_refuses_the_old_access_token(customer: User, customer_client: APIClient) -> None:
    assert customer_client.get(ME).status_code == 200
    customer.set_password("Set-by-an-admin-42")
    customer.save(update_fields=["password"])
    response = customer_client.get(ME)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "password_changed"
    assert client_for(customer).get(ME).status_code == 200


def test_deleted_user_is_refused(customer: User, customer_client: APIClient) -> None:
    assert customer_client.get(ME).status_code == 200
    customer.delete()
    assert customer_client.get(ME).status_code == 401


def test_role_change_takes_effect_at_once(admin_client_api: APIClient) -> None:
    user = UserFactory.create()
    client = client_for(user)
    assert client.get(LOW_STOCK).status_code == 403
    assert admin_client_api.patch(f"/api/v1/users/{user.pk}/", {"role": Role.MANAGER}).status_code == 200
    assert client.get(LOW_STOCK).status_code == 200
    assert admin_client_api.patch(f"/api/v1/users/{user.pk}/", {"role": Role.CUSTOMER}).status_code == 200
    assert client.get(LOW_STOCK).status_code == 403


def test_a_bulk_update_deactivating_users_refuses_their_next_request(
    customer: User, customer_client: APIClient
) -> None:
    other = UserFactory.create()
    other_client = client_for(other)
    assert customer_client.get(ME).status_code == 200
    assert other_client.get(ME).status_code == 200
    assert User.objects.filter(pk__in=[customer.pk, other.pk]).update(is_active=False) == 2
    assert customer_client.get(ME).status_code == 401
    assert other_client.get(ME).status_code == 401


def test_bulk_update_of_a_role_takes_effect_at_once(customer: User, customer_client: APIClient) -> None:
    assert customer_client.get(LOW_STOCK).status_code == 403
    customer.role = Role.MANAGER
    User.objects.bulk_update([customer], ["role"])
    assert customer_client.get(LOW_STOCK).status_code == 200


def test_a_bulk_update_of_last_login_keeps_the_state(customer: User, customer_client: APIClient) -> None:
    customer_client.get(ME)
    with CaptureQueriesContext(connection) as queries:
        User.objects.filter(pk=customer.pk).update(last_login=customer.date_joined)
        customer_client.get(ME)
    assert len(_user_reads(queries)) == 0


def test_a_log_in_does_not_drop_the_state(customer: User) -> None:
    customer.save(update_fields=["last_login"])
    client = client_for(customer)
    client.get(ME)
    with CaptureQueriesContext(connection) as queries:
        customer.save(update_fields=["last_login"])
        client.get(ME)
    assert len(_user_reads(queries)) == 0


def test_a_state_stored_under_an_older_generation_is_never_used(customer: User, customer_client: APIClient) -> None:
    """The race the generation closes: a request read the row before a change committed and stores it after."""
    assert customer_client.get(ME).status_code == 200
    redis = authentication._redis()
    stale = json.loads(redis.get(authentication._state_key(customer.pk)))
    User.objects.filter(pk=customer.pk).update(is_active=False)  # the change, committed
    authentication._bump(customer.pk)  # ... and its bump after the commit
    redis.set(authentication._state_key(customer.pk), json.dumps(stale))  # the slow request's late fill
    assert customer_client.get(ME).status_code == 401


def test_redis_down_reads_the_row_and_still_refuses(
    customer: User, customer_client: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert customer_client.get(ME).status_code == 200  # a state is cached ...

    def unreachable() -> Any:
        raise RedisConnectionError("down")

    monkeypatch.setattr(authentication, "_redis", unreachable)
    with CaptureQueriesContext(connection) as queries:
        assert customer_client.get(ME).status_code == 200
    assert len(_user_reads(queries)) == 1  # ... but without Redis the row is read
    User.objects.filter(pk=customer.pk).update(is_active=False)
    assert customer_client.get(ME).status_code == 401


def test_the_cached_user_loads_deferred_fields_and_saves_only_what_it_has(customer: User) -> None:
    client_for(customer).get(ME)
    found = authentication.auth_state_get(customer.pk)
    assert found is not None
    user, _ = found
    assert user.get_deferred_fields() == {"password", "last_login"}
    user.first_name = "Renamed"
    user.save()
    customer.refresh_from_db()
    assert customer.first_name == "Renamed"
    assert customer.check_password("x") is False
    assert customer.password  # untouched by the save
    assert user.check_password(customer.password) is False  # loads the hash when asked


@pytest.mark.django_db(transaction=True)
def test_password_change_through_the_api_refuses_the_old_token_after_commit(customer: User) -> None:
    client = client_for(customer)
    assert client.get(ME).status_code == 200
    response = client.post(
        "/api/v1/auth/password-change/",
        {"current_password": "correct-horse-battery", "new_password": "An0ther-long-passphrase"},
    )
    assert response.status_code == 200, response.content
    assert client.get(ME).status_code == 401
    assert client_for(User.objects.get(pk=customer.pk)).get(ME).status_code == 200
