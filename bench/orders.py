"""Hot-item order placement vs. the physical ceiling of one hot row, measured in the same run.

1. Baseline: ``pgbench`` at N clients running ``UPDATE products SET stock_quantity = stock_quantity - 1
   WHERE id = <baseline product>`` (a bench-only product whose stock is put back to its ledger sum after).
2. Orders: ``wrk`` at N connections sending ``POST /api/v1/orders/`` for one unit of one hot product
   to a real gunicorn + uvicorn server started here.
Prints both TPS and their ratio, checks 0 oversold / ledger reconciled / 0 deadlocks, and writes
``bench/results/orders.md``.

Usage: DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/orders.py [--clients 32] [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

SERVER_ENV = {
    # Production-like: DEBUG off, persistent DB connections, throttles on with unreachable limits.
    "DJANGO_SETTINGS_MODULE": "config.settings.bench",
    "JWT_ACCESS_MINUTES": "120",
    "GUNICORN_ACCESSLOG": "/dev/null",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, **SERVER_ENV, "PORT": str(port), "WEB_CONCURRENCY": str(workers)}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.asgi:application",
            "-c",
            "config/gunicorn.py",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit("server did not become healthy")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def run_pgbench(*, product_id: str, clients: int, seconds: int) -> float:
    url = urlsplit(os.environ["DATABASE_URL"])
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        # product_id is a UUID this script created itself, not outside input.
        script.write(f"UPDATE products SET stock_quantity = stock_quantity - 1 WHERE id = '{product_id}';\n")  # noqa: S608
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password
    command = [
        "pgbench",
        "-n",
        "-c",
        str(clients),
        "-j",
        str(min(clients, 4)),
        "-T",
        str(seconds),
        "-f",
        script.name,
        "-h",
        url.hostname or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
        url.path.lstrip("/"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    os.unlink(script.name)
    if result.returncode != 0:
        raise SystemExit(f"pgbench failed:\n{result.stderr[-2000:]}")
    output = result.stdout
    match = re.search(r"tps = ([\d.]+)", output)
    if not match:
        raise SystemExit(f"could not read pgbench output:\n{output}")
    return float(match.group(1))


def run_wrk(*, port: int, token: str, product_id: str, clients: int, seconds: int) -> dict[str, float]:
    lua = (
        'wrk.method = "POST"\n'
        f'wrk.body = \'{{"items": [{{"product_id": "{product_id}", "quantity": 1}}]}}\'\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("P50 %d\\nP95 %d\\nP99 %d\\n", latency:percentile(50), '
        "latency:percentile(95), latency:percentile(99)))\n"
        "end\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    threads = min(clients, 2)
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(clients),
        "-d",
        f"{seconds}s",
        "--timeout",
        "30s",
        "-s",
        script.name,
        f"http://127.0.0.1:{port}/api/v1/orders/",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "p50_ms": int(re.search(r"P50 (\d+)", output).group(1)) / 1000,  # type: ignore[union-attr]
        "p95_ms": int(re.search(r"P95 (\d+)", output).group(1)) / 1000,  # type: ignore[union-attr]
        "p99_ms": int(re.search(r"P99 (\d+)", output).group(1)) / 1000,  # type: ignore[union-attr]
        "non_2xx": float(non_2xx.group(1)) if non_2xx else 0.0,
        "requests": float(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "4")))
    args = parser.parse_args()
    for tool in ("pgbench", "wrk"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is required")
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("set DATABASE_URL (and REDIS_URL) to the database the server should use")

    os.environ.update({k: v for k, v in SERVER_ENV.items() if k != "GUNICORN_ACCESSLOG"})
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework_simplejwt.tokens import RefreshToken

    from catalog.models import Product
    from inventory.selectors import inventory_mismatches
    from orders.management.commands.stress_orders import (
        deadlock_count,
        stress_buyers_create,
        stress_products_create,
    )
    from orders.models import OrderItem

    call_command("migrate", verbosity=0)
    stock = 10_000_000
    baseline, hot = stress_products_create(count=2, stock=stock, run_id=f"bench{int(time.time())}")
    ((buyer, _),) = stress_buyers_create(count=1, run_id=f"bench{int(time.time())}")
    token = str(RefreshToken.for_user(buyer).access_token)
    connection.close()

    print(f"pgbench: {args.clients} clients x {args.seconds}s on one row ...", flush=True)
    pgbench_tps = run_pgbench(product_id=str(baseline.pk), clients=args.clients, seconds=args.seconds)
    # The baseline product is bench-only; put its stock back to the ledger sum so check_inventory stays clean.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE products SET stock_quantity = (SELECT SUM(delta) FROM stock_movements WHERE product_id = %s) "
            "WHERE id = %s",
            [baseline.pk, baseline.pk],
        )
    connection.close()

    port = free_port()
    server = start_server(port, args.workers)
    try:
        print(f"orders: {args.clients} connections x {args.seconds}s, {args.workers} workers ...", flush=True)
        deadlocks_before = deadlock_count()
        connection.close()
        started = time.perf_counter()
        wrk = run_wrk(port=port, token=token, product_id=str(hot.pk), clients=args.clients, seconds=args.seconds)
        elapsed = time.perf_counter() - started
    finally:
        stop_server(server)

    placed = OrderItem.objects.filter(product=hot).count()
    final_stock = Product.objects.get(pk=hot.pk).stock_quantity
    oversold = max(0, (stock - final_stock) - placed)
    deadlocks = deadlock_count() - deadlocks_before
    reconciled = not inventory_mismatches(product_ids=[hot.pk, baseline.pk])
    orders_tps = placed / elapsed
    ratio = orders_tps / pgbench_tps if pgbench_tps else 0.0

    rows = [
        ("pgbench hot-row UPDATE TPS", f"{pgbench_tps:,.0f}"),
        ("order placement TPS (HTTP, hot item)", f"{orders_tps:,.1f}"),
        ("ratio (target >= 0.5)", f"{ratio:.3f}"),
        ("orders placed", f"{placed:,}"),
        ("non-2xx responses", f"{wrk['non_2xx']:.0f}"),
        ("oversold units", str(oversold)),
        ("deadlocks", str(deadlocks)),
        ("ledger reconciled", "yes" if reconciled else "NO"),
        ("latency p50 / p95 / p99", f"{wrk['p50_ms']:.1f} / {wrk['p95_ms']:.1f} / {wrk['p99_ms']:.1f} ms"),
    ]
    table = "| metric | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "orders.md").write_text(
        "# Hot-item order placement vs. one hot row\n\n"
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs: {args.clients} clients, "
        f"{args.seconds}s each, server = gunicorn + {args.workers} uvicorn workers (`config.settings.bench`), "
        "load by `wrk`, baseline by `pgbench` on the same PostgreSQL.\n\n"
        f"{table}\n"
    )
    print(f"wrote {RESULTS / 'orders.md'}")
    if oversold or deadlocks or not reconciled:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
