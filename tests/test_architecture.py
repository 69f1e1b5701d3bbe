"""The layer contract in .importlinter holds: no app imports one above it (function-local imports included), no app
imports the benchmarks or the project configuration, and only the bench settings reach the bench-only code."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_bench_views_are_mounted_by_the_bench_settings_only() -> None:
    with pytest.raises(Resolver404):
        resolve("/bench/floor/")
    assert resolve("/bench/floor/", urlconf="bench.urls").url_name == "bench-floor"
    assert resolve("/bench/cart-io/", urlconf="bench.urls").url_name == "bench-cart-io"
    assert resolve("/api/v1/products/", urlconf="bench.urls").url_name == resolve("/api/v1/products/").url_name
    settings = ast.parse((ROOT / "config" / "settings" / "bench.py").read_text())
    urlconfs = [
        node.value.value
        for node in ast.walk(settings)
        if isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == "ROOT_URLCONF" for target in node.targets)
        and isinstance(node.value, ast.Constant)
    ]
    assert urlconfs == ["bench.urls"]
