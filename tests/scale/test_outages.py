"""Pieces of the scaled setup stopped under a running shop: the replica, the broker. Each test brings them back."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.scale import postgres
from tests.scale.conftest import Shop, unique_email, wait_until


def test_replica_stopped_reads_fall_back_to_the_primary_without_errors(shop: Shop, restore: None) -> None:
    product = shop.product()
    replica = shop.replica_cluster()
    postgres.stop_cluster(replica, mode="immediate")
    try:
        client = shop.client()
        statuses = []
        for page in range(1, 7):
            statuses.append(client.get("/api/v1/products/", params={"page": page, "page_size": 5}).status_code)
            statuses.append(client.get(f"/api/v1/products/{product['id']}/").status_code)
            statuses.append(client.get("/api/v1/categories/").status_code)
        assert statuses == [200] * len(statuses)
    finally:
        postgres.start_cluster(replica)
    postgres.wait_for_replay(shop.primary_dsn, shop.replica_dsn, timeout=60)


def _rabbitmq_running() -> bool:
    return subprocess.run(["rabbitmqctl", "-q", "await_startup", "--timeout", "5"], capture_output=True).returncode == 0


@pytest.fixture
def broker_restarted_afterwards() -> Iterator[None]:
    """The machine's RabbitMQ node is shared: it is always started again, and waited for, whatever happens."""
    try:
        yield
    finally:
        subprocess.run(["rabbitmqctl", "-q", "start_app"], capture_output=True, timeout=120)
        wait_until(_rabbitmq_running, timeout=120, what="RabbitMQ back")


def _mailed_to(mail_dir: Path, recipient: str) -> bool:
    return any(recipient in path.read_text(errors="replace") for path in mail_dir.glob("*.log"))


def test_rabbitmq_restarted_loses_no_email(shop: Shop, broker_restarted_afterwards: None) -> None:
    """Registration writes the verification e-mail to the outbox in the request's transaction; with the broker
    down the relay's publish fails and the row stays due, so the mail goes out once RabbitMQ is back."""
    before, during = unique_email(), unique_email()
    client = shop.client()
    body = {"password": "S3cure-pass-word", "first_name": "Scale", "last_name": "Test"}
    assert client.post("/api/v1/auth/register/", json={"email": before, **body}).status_code == 202
    wait_until(lambda: _mailed_to(shop.layout.mail_dir, before), timeout=90, what="mail before the restart")

    subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, capture_output=True, timeout=120)
    try:
        response = client.post("/api/v1/auth/register/", json={"email": during, **body})
        assert response.status_code == 202, response.text
        time.sleep(1)  # the relay runs every five seconds: at least one attempt meets the stopped broker
        assert not _mailed_to(shop.layout.mail_dir, during)
    finally:
        subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, capture_output=True, timeout=120)
    wait_until(lambda: _mailed_to(shop.layout.mail_dir, during), timeout=120, what="mail written while down")
