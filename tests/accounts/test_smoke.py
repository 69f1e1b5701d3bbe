import pytest


@pytest.mark.django_db
def test_register_login_me(api_client):
    r = api_client.post("/api/v1/auth/register/", {"email": "A@Example.com", "password": "S3cure-pass-word"})
    assert r.status_code == 201, r.content
    r = api_client.post("/api/v1/auth/token/", {"email": "a@example.com", "password": "S3cure-pass-word"})
    assert r.status_code == 200, r.content
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {r.json()['access']}")
    assert api_client.get("/api/v1/auth/me/").json()["role"] == "customer"
