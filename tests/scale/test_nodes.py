"""Two stateless web nodes behind nginx: spreading, carts, rate limits and the catalog cache shared between them."""

from __future__ import annotations

import random
from decimal import Decimal

from tests.scale.conftest import MANAGER, Shop, fresh_address, unique_email


def test_scale_up_prints_the_topology(shop: Shop) -> None:
    assert set(shop.summary) == {"base_url", "primary_dsn", "replica_dsns", "nodes", "sentinels"}
    assert len(shop.nodes) == 2
    assert len(shop.summary["replica_dsns"]) == 1
    assert len(shop.summary["sentinels"]) == 3


def test_requests_spread_over_both_nodes(shop: Shop) -> None:
    client = shop.client()
    served_by = []
    for _ in range(12):
        response = client.get("/api/v1/products/", params={"page_size": 1})
        assert response.status_code == 200
        served_by.append(response.headers["X-Served-By"])
    assert set(served_by) == set(shop.nodes)


def test_every_node_answers_healthz_and_nginx_passes_it_on(shop: Shop) -> None:
    for node in shop.nodes:
        assert shop.client(node).get("/healthz").json()["status"] == "ok"
    assert shop.client().get("/healthz").status_code == 200


def test_a_cart_created_through_one_node_is_read_through_the_other(shop: Shop) -> None:
    product = shop.product()
    first, second = shop.nodes
    created = shop.client(first).post("/api/v1/cart/items/", json={"product_id": product["id"], "quantity": 2})
    assert created.status_code == 201, created.text
    token = created.headers["X-Cart-Token"]

    read = shop.client(second).get("/api/v1/cart/", headers={"X-Cart-Token": token})
    assert read.status_code == 200
    assert [(item["product_id"], item["quantity"]) for item in read.json()["items"]] == [(product["id"], 2)]


def test_the_login_rate_limit_holds_across_nodes(shop: Shop) -> None:
    """THROTTLE_LOGIN (5/min per client address and e-mail), counted in the Redis both nodes share: the sixth
    attempt is refused whichever node gets it."""
    client = shop.client()
    email = unique_email()
    answers = []
    for _ in range(6):
        response = client.post("/api/v1/auth/token/", json={"email": email, "password": "wrong-pass-1"})
        answers.append((response.status_code, response.headers["X-Served-By"]))
    assert [status for status, _ in answers] == [401] * 5 + [429]
    assert {node for _, node in answers[:5]} == set(shop.nodes)


def test_nginx_passes_the_client_address_the_nodes_trust(shop: Shop) -> None:
    """The nodes believe X-Forwarded-For only from nginx: a forged header sent through nginx does not give a
    client a fresh rate-limit bucket (nginx appends the real address, the one the nodes read)."""
    source = fresh_address()
    email = unique_email()
    statuses = []
    for n in range(6):
        client = shop.client(source=source)
        response = client.post(
            "/api/v1/auth/token/",
            json={"email": email, "password": "wrong-pass-1"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
        statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429]


def test_a_product_write_invalidates_the_cache_every_node_serves(shop: Shop) -> None:
    product = shop.product()
    path = f"/api/v1/products/{product['id']}/"
    nodes = [shop.client(node) for node in shop.nodes]
    for client in nodes:  # fill (and hit) the cache on both nodes
        for _ in range(2):
            assert client.get(path).json()["price"] == product["price"]

    new_price = str(Decimal(product["price"]) + Decimal(random.randint(1, 900)) / 100)
    token = shop.token(*MANAGER)
    response = shop.client().patch(path, json={"price": new_price}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text

    for client in nodes:
        assert client.get(path).json()["price"] == new_price
