"""Schemathesis over the whole OpenAPI schema against the real server (gunicorn + uvicorn, Postgres, Redis).

Every operation, every check (`--checks all`), authenticated as a customer and as a manager; the admin-only
operations as an admin. Settings
and the reasoned exceptions live in ``schemathesis.toml``; the seeded objects' ids reach it through SHOP_QA_*
environment variables. A failure prints schemathesis' report (with `curl` reproductions) and the server log.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.quality.live_server import live_server
from tests.quality.seed import SeedData, seed_api_data
from tests.support import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Fixed so that a failure found in CI replays the same cases locally.
SEED = "20261128"
RUN_TIMEOUT_SECONDS = 900


def _qa_env(data: SeedData, *, token: str) -> dict[str, str]:
    return {
        "SHOP_QA_TOKEN": token,
        "SHOP_QA_CATEGORY_ID": data.category_id,
        "SHOP_QA_EMPTY_CATEGORY_ID": data.empty_category_id,
        "SHOP_QA_PRODUCT_ID": data.product_id,
        "SHOP_QA_DELETABLE_PRODUCT_ID": data.deletable_product_id,
        "SHOP_QA_PENDING_ORDER_ID": data.pending_order_id,
        "SHOP_QA_PAYABLE_ORDER_ID": data.payable_order_id,
        "SHOP_QA_CONFIRMED_ORDER_ID": data.confirmed_order_id,
        "SHOP_QA_USER_ID": str(data.customer.pk),
    }


def _summary(output: str) -> str:
    match = re.search(r"Test cases:\s*\n\s*(.+)", output)
    return match.group(1).strip() if match else "no summary"


# Operations where schemathesis' checks are narrowed in schemathesis.toml, each for a refusal of schema-valid data
# that no OpenAPI schema can express (the reason is written next to it there). The list may only shrink.
ACCEPTED_NARROWINGS = {
    "auth_logout_create": "the refresh token must be one the server issued and has not used up",
    "auth_verify_email_create": "the signed one-time token must be one the server issued",
    "auth_password_reset_confirm_create": "the signed one-time token must be one the server issued",
    "auth_password_change_create": "the current password must be the user's; Django's validators judge the new one",
    "auth_register_create": "Django's password validators (too common, too similar to the e-mail)",
    "orders_create": "generated product ids name no product; the cart may be empty",
    "payments_webhook": "a generated body never carries a valid HMAC signature",
    "products_list": "form-style query parsing: blank values ignored, whitespace trimmed",
    "orders_pay": "generated Idempotency-Key values repeat across different bodies (422 by contract)",
    "cart_merge": "generated Idempotency-Key values repeat across different bodies (422 by contract)",
    "categories_create": "a generated parent id names no category; slugs are unique per parent",
    "categories_partial_update": "a generated parent id names no category; moves under a descendant are cycles",
    "products_create": "a generated category id names no category; slugs are unique",
    "products_partial_update": "a generated category id names no category; slugs are unique",
    "inventory_adjust_create": "a delta of 0 is refused; OpenAPI 3.0 cannot exclude one integer",
    "products_image_create": "the upload must decode as an image",
}
MAX_ACCEPTED_NARROWINGS = 16

ROLES = {"customer": "customer_token", "manager": "manager_token", "admin": "admin_token"}


def _staff_operations() -> list[str]:
    """Operations limited to managers or admins: the ones whose documented answers include 403."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        op["operationId"] for item in schema["paths"].values() for op in item.values() if "403" in op["responses"]
    )


def _selection(role: str) -> list[str]:
    """Each operation runs as the role it is for: a customer everything else, a manager the staff operations,
    an admin the user management only admins may use (403s for other roles are in test_owasp_api_top10)."""
    if role == "customer":
        return [arg for op in _staff_operations() for arg in ("--exclude-operation-id", op)]
    if role == "manager":
        return [arg for op in _staff_operations() for arg in ("--include-operation-id", op)]
    return ["--include-tag", "users"]


def _narrowed_operations() -> set[str]:
    config = tomllib.loads((ROOT / "schemathesis.toml").read_text())
    narrowed: set[str] = set()
    for entry in config.get("operations", []):
        if "checks" in entry:
            ids = entry["include-operation-id"]
            narrowed.update([ids] if isinstance(ids, str) else ids)
    return narrowed


def test_accepted_narrowings_are_listed_and_only_shrink() -> None:
    assert _narrowed_operations() == set(ACCEPTED_NARROWINGS)
    assert len(ACCEPTED_NARROWINGS) <= MAX_ACCEPTED_NARROWINGS


@pytest.mark.parametrize("role", list(ROLES))
def test_schemathesis_finds_no_failure(role: str, tmp_path: Path) -> None:
    data = seed_api_data()
    token = getattr(data, ROLES[role])
    selection = _selection(role)
    schemathesis = str(Path(sys.executable).with_name("schemathesis"))
    with live_server(env={"MEDIA_ROOT": str(tmp_path / "media")}) as server:
        completed = subprocess.run(
            [
                schemathesis,
                "--config-file",
                str(ROOT / "schemathesis.toml"),
                "run",
                f"{server.url}/api/schema/",
                "--checks",
                "all",
                "--seed",
                SEED,
                "--no-color",
                "--output-truncate",
                "false",
                "--generation-database",
                "none",
                *selection,
            ],
            cwd=tmp_path,
            env={**os.environ, **_qa_env(data, token=token)},
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SECONDS,
            check=False,
        )
        server_log = server.output()
    output = completed.stdout + completed.stderr
    print(f"schemathesis as {role}: {_summary(output)}")
    assert completed.returncode == 0, f"{output}\n--- server log (tail) ---\n{server_log}"
