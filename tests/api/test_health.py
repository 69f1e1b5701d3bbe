import pytest
from django.db import connections


@pytest.mark.django_db
def test_healthz_reports_each_dependency(api_client):
    r = api_client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


@pytest.mark.django_db(transaction=True)
def test_healthz_503_when_database_is_unreachable(api_client):
    connection = connections["default"]
    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: connection refused
    try:
        r = api_client.get("/healthz")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "unavailable"
    assert body["database"] != "ok"
    assert body["cache"] == "ok"


@pytest.mark.django_db
def test_healthz_degraded_cache_is_still_200(api_client, settings):
    # Changing CACHES through the settings fixture resets Django's cache handlers (setting_changed).
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/1"},
    }
    r = api_client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["cache"] != "ok"


@pytest.mark.django_db
def test_healthz_broker_down_is_reported_but_not_fatal(api_client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    r = api_client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["broker"] != "ok"
    assert r.json()["database"] == "ok"
