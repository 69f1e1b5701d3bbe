"""A client generated from the live OpenAPI schema works, anonymously and signed in, and type-checks strictly.

openapi-python-client generates ``shop_client`` from ``/api/schema/`` of the real server (gunicorn + uvicorn);
``client_journey.py`` then runs a customer's and a manager's journey through it and ``mypy --strict`` checks that
script against the generated types: anonymous operations must accept the plain ``Client``, a 409 must narrow to
its error model, bodies and headers must be declared for the calls to be writable at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.factories import CategoryFactory, ProductFactory, UserFactory
from tests.quality.live_server import live_server
from tests.support import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOURNEY = ROOT / "tests" / "quality" / "client_journey.py"
PASSWORD = "correct-horse-battery"  # the factories' password
TIMEOUT_SECONDS = 300


def _run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_generated_python_client_runs_the_journey_and_type_checks(tmp_path: Path) -> None:
    manager = UserFactory.create(manager=True)
    category = CategoryFactory.create()
    product = ProductFactory.create(category=category, stock=50, attributes={"color": "red", "size": "M"})
    (tmp_path / "config.yml").write_text("post_hooks: []\n")
    with live_server(env={"MEDIA_ROOT": str(tmp_path / "media")}) as server:
        with urllib.request.urlopen(f"{server.url}/api/schema/?format=json", timeout=30) as response:  # noqa: S310
            (tmp_path / "openapi.json").write_bytes(response.read())
        generated = _run(
            [
                _bin("openapi-python-client"),
                "generate",
                "--path",
                "openapi.json",
                "--meta",
                "none",
                "--output-path",
                "shop_client",
                "--config",
                "config.yml",
                "--fail-on-warning",
            ],
            cwd=tmp_path,
        )
        assert generated.returncode == 0, generated.stdout + generated.stderr
        env = {
            **os.environ,
            "PYTHONPATH": str(tmp_path),
            "SHOP_URL": server.url,
            "SHOP_PRODUCT_ID": str(product.pk),
            "SHOP_MANAGER_EMAIL": manager.email,
            "SHOP_MANAGER_PASSWORD": PASSWORD,
        }
        journey = _run([sys.executable, str(JOURNEY)], cwd=tmp_path, env=env)
        assert journey.returncode == 0, f"{journey.stdout}{journey.stderr}\n--- server log ---\n{server.output()}"
        assert "journey ok" in journey.stdout
    # Strict typing of the script against the generated package (whose own code is not ours to lint).
    typed = _run(
        [
            _bin("mypy"),
            "--strict",
            "--follow-imports=silent",
            "--no-incremental",
            "--config-file",
            os.devnull,
            str(JOURNEY),
        ],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(tmp_path)},
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr
