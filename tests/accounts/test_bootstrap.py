"""`make run`'s start-up: demo users, the demo catalog on an empty database only, and a banner with the real port."""

import os
import subprocess
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import User
from catalog.models import Category, Product
from tests.support import ROOT

pytestmark = pytest.mark.django_db


def _bootstrap() -> str:
    from io import StringIO

    out = StringIO()
    call_command("bootstrap", stdout=out)
    return out.getvalue()


def test_bootstrap_seeds_the_demo_catalog_once_and_prints_the_real_port(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SEED_DEMO, settings.SEED_DEMO_PRODUCTS, settings.SERVER_PORT = True, 20, 18642

    with django_capture_on_commit_callbacks(execute=True):
        out = _bootstrap()

    assert Product.objects.count() == 20
    assert Category.objects.count() == 30
    assert not Product.objects.filter(image="").exists()  # every product got its picture (eager tasks here)
    assert User.objects.filter(email__in=["admin@example.com", "manager@example.com"]).count() == 2
    for path in ("/api/v1/", "/api/docs/", "/admin/", "/healthz"):
        assert f"http://localhost:18642{path}" in out
    assert ":8000" not in out

    snapshot = list(Product.objects.order_by("pk").values_list("pk", "updated_at"))
    again = _bootstrap()
    assert "nothing seeded" in again
    assert list(Product.objects.order_by("pk").values_list("pk", "updated_at")) == snapshot


def test_seed_demo_off_leaves_the_catalog_empty(settings: Any) -> None:
    settings.SEED_DEMO = False
    _bootstrap()
    assert not Product.objects.exists()
    assert not Category.objects.exists()


@pytest.mark.parametrize(("given", "expected"), [(None, "8000"), ("18643", "18643")])
def test_make_exports_one_port_to_every_process(given: str | None, expected: str) -> None:
    env = {key: value for key, value in os.environ.items() if key not in {"PORT", "MAKEFLAGS", "MFLAGS"}}
    if given is not None:
        env["PORT"] = given
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "--eval=port: ; @sh -c 'echo $$PORT'", "port"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == expected
