"""`make bench`: seed a 100 000-product catalog once, run every benchmark, write bench/results/README.md.

Runs bench/catalog.py, bench/stack.py, bench/servers.py, bench/sizing.py, bench/carts.py, bench/orders.py,
bench/memory.py, bench/observability.py (what the metrics cost) and bench/peer.py (django-oscar side by side) one
after the other against the database in DATABASE_URL (each starts its own servers), then collects their Markdown
reports into one page with the date, the machine (CPU, cores, memory) and the load average around the run: the
figures are only comparable with the load they were measured under.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/run_all.py [--products 100000] [--skip memory]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import RESULTS, ROOT, django_setup

BENCHES = ("catalog", "stack", "servers", "sizing", "carts", "orders", "memory", "observability", "peer")
CHARTS = {"catalog": "catalog.png", "carts": "carts.png"}


def _seed(products: int, seed: int) -> None:
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    from catalog.models import Product

    call_command("migrate", verbosity=0)
    if Product.objects.count() < products:
        print(f"seeding {products:,} products …", flush=True)
        call_command("seed_catalog", products=products, categories=60, seed=seed, replace=True)
    connection.close()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip", action="append", default=[], choices=BENCHES)
    args = parser.parse_args()

    started = datetime.now(UTC)
    load_before = _load()
    _seed(args.products, args.seed)
    outcomes: dict[str, tuple[int, float]] = {}
    for name in BENCHES:
        if name in args.skip:
            continue
        print(f"\n=== bench/{name}.py ===", flush=True)
        extra = ["--products", str(args.products)] if name in {"catalog", "observability", "peer"} else []
        begin = time.monotonic()
        completed = subprocess.run([sys.executable, str(ROOT / "bench" / f"{name}.py"), *extra], cwd=ROOT, check=False)
        outcomes[name] = (completed.returncode, time.monotonic() - begin)

    memory = psutil.virtual_memory().total / 2**30
    lines = [
        "# Benchmark results",
        "",
        f"Run by `make bench` on {started:%Y-%m-%d %H:%M} UTC: {_cpu_model()}, {os.cpu_count()} cores, "
        f"{memory:.1f} GiB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}.",
        f"Load average (1/5/15 min) before the run: {load_before}; after: {_load()}. The server, PostgreSQL, Redis "
        "and the load generator share the machine; every ratio is to a floor measured in the same run, so "
        "ratios compare across machines better than absolute figures.",
        "",
        "| benchmark | exit status | duration |",
        "|---|---|---:|",
        *(
            f"| `bench/{name}.py` | {'ok' if code == 0 else f'failed ({code})'} | {seconds:.0f} s |"
            for name, (code, seconds) in outcomes.items()
        ),
        "",
    ]
    skipped = [name for name in BENCHES if name not in outcomes and (RESULTS / f"{name}.md").exists()]
    if skipped:
        lines += [
            "Not run this time (`--skip`), their latest reports below, each with its own date and load: "
            + ", ".join(f"`bench/{name}.py`" for name in skipped)
            + ".",
            "",
        ]
    for name in BENCHES:
        report = RESULTS / f"{name}.md"
        if not report.exists() or (name not in outcomes and name not in skipped):
            continue
        body = report.read_text().strip().splitlines()
        # Each report starts with its own H1; nest it under this page.
        lines += ["#" + body[0], *body[1:], ""]
        if name in CHARTS and (RESULTS / CHARTS[name]).exists():
            lines += [f"![{name} chart]({CHARTS[name]})", ""]
    (RESULTS / "README.md").write_text("\n".join(lines).rstrip() + "\n")
    print(f"\nwrote {RESULTS / 'README.md'}")
    if any(code != 0 for code, _ in outcomes.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
