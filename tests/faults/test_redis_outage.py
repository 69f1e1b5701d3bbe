"""Redis unreachable (every alias at a dead port): catalog from Postgres, carts 503, orders still placed."""

import pytest
from rest_framework.test import APIClient

from tests.factories import ProductFactory, UserFactory
from tests.support import bearer

DEAD = "redis://127.0.0.1:1"


@pytest.fixture
def redis_down(settings):
    # Changing CACHES through the settings fixture resets Django's cache handlers.
    settings.CACHES = {
        alias: {**config, "LOCATION": f"{DEAD}/{index}"}
        for index, (alias, config) in enumerate(settings.CACHES.items())
    }
    from catalog.cache import outages

    outages.clear()
    yield
    outages.clear()


@pytest.mark.django_db
@pytest.mark.usefixtures("redis_down")
def test_catalog_reads_come_from_postgres():
    product = ProductFactory.create(stock=3)
    client = APIClient()
    listing = client.get("/api/v1/products/")
    assert listing.status_code == 200
    assert listing["X-Cache"] == "MISS"
    assert listing.json()["count"] == 1
    detail = client.get(f"/api/v1/products/{product.pk}/")
    assert detail.status_code == 200
    assert detail.json()["price"] == "49.00"


@pytest.mark.django_db
@pytest.mark.usefixtures("redis_down")
def test_carts_answer_503_cart_unavailable():
    product = ProductFactory.create(stock=3)
    client = APIClient()
    response = client.post("/api/v1/cart/items/", {"product_id": str(product.pk), "quantity": 1})
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "cart_unavailable"
    assert client.get("/api/v1/cart/", HTTP_X_CART_TOKEN="x" * 43).status_code == 503


@pytest.mark.django_db
@pytest.mark.usefixtures("redis_down")
def test_orders_and_login_still_work():
    customer = UserFactory.create()
    product = ProductFactory.create(stock=3)
    login = APIClient().post("/api/v1/auth/token/", {"email": customer.email, "password": "correct-horse-battery"})
    assert login.status_code == 200  # throttle history fails open
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=bearer(customer))
    response = client.post("/api/v1/orders/", {"items": [{"product_id": str(product.pk), "quantity": 2}]})
    assert response.status_code == 201
    assert client.get("/api/v1/orders/").json()["count"] == 1
