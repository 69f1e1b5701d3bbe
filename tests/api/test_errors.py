"""Every failure answers in the one envelope: {"type", "errors": [{"code", "detail", "attr"}]}."""

import uuid

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def assert_envelope(response, status: int, error_type: str, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["type"] == error_type
    assert body["errors"]
    for error in body["errors"]:
        assert set(error) >= {"code", "detail", "attr"}
    if code is not None:
        assert body["errors"][0]["code"] == code
    return body


def test_unknown_url_is_json_404(api_client):
    assert_envelope(api_client.get("/api/v1/nope/"), 404, "client_error", "not_found")
    assert_envelope(Client().get("/not-an-api-page"), 404, "client_error", "not_found")


def test_bad_uuid_in_path_is_404(admin_client_api):
    assert_envelope(admin_client_api.get("/api/v1/users/not-a-uuid/"), 404, "client_error", "not_found")
    assert_envelope(admin_client_api.get(f"/api/v1/users/{uuid.uuid4()}/"), 404, "client_error", "not_found")


def test_method_not_allowed_is_405(customer_client):
    assert_envelope(customer_client.delete("/api/v1/auth/me/"), 405, "client_error", "method_not_allowed")


def test_malformed_json_is_400(api_client):
    r = api_client.post("/api/v1/auth/register/", data='{"email": ', content_type="application/json")
    assert_envelope(r, 400, "client_error", "parse_error")


def test_wrong_content_type_is_415(api_client):
    r = api_client.post("/api/v1/auth/register/", data="email=x", content_type="text/plain")
    assert_envelope(r, 415, "client_error", "unsupported_media_type")


def test_unknown_field_is_400(api_client):
    r = api_client.post(
        "/api/v1/auth/register/", {"email": "u@example.com", "password": "S3cure-pass-word", "favourite": "x"}
    )
    body = assert_envelope(r, 400, "validation_error", "unknown_field")
    assert body["errors"][0]["attr"] == "favourite"


def test_invalid_email_and_overlong_strings_are_400(api_client):
    r = api_client.post("/api/v1/auth/register/", {"email": "not-an-email", "password": "S3cure-pass-word"})
    assert assert_envelope(r, 400, "validation_error")["errors"][0]["attr"] == "email"
    r = api_client.post(
        "/api/v1/auth/register/",
        {"email": "long@example.com", "password": "S3cure-pass-word", "first_name": "x" * 5000},
    )
    assert assert_envelope(r, 400, "validation_error")["errors"][0]["attr"] == "first_name"


def test_json_array_body_is_400(api_client):
    r = api_client.post("/api/v1/auth/register/", data="[1, 2]", content_type="application/json")
    assert_envelope(r, 400, "validation_error")


@pytest.mark.urls("tests.urls_errors")
def test_unhandled_exception_in_api_view_is_500_envelope_without_details():
    client = Client(raise_request_exception=False)
    body = assert_envelope(client.get("/boom/"), 500, "server_error", "error")
    assert "secret" not in str(body)


@pytest.mark.urls("tests.urls_errors")
def test_unhandled_exception_in_plain_view_is_500_envelope():
    client = Client(raise_request_exception=False)
    response = client.get("/plain-boom/")
    body = assert_envelope(response, 500, "server_error")
    assert "secret" not in response.content.decode()
    assert "Traceback" not in str(body)
