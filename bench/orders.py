"""Hot-item order placement vs. the physical ceiling of one hot row and vs. the authenticated write floor, measured
in the same run.

1. Baseline: ``pgbench`` at N clients running ``UPDATE products SET stock_quantity = stock_quantity - 1
   WHERE id = <baseline product>`` (a bench-only product whose stock is put back to its ledger sum after).
2. Write floor: ``wrk`` at N connections sending ``POST /bench/write-floor/`` (bench/urls.py: the same JWT
   authentication, permission and throttles, one row inserted in a transaction) to a real gunicorn + uvicorn server
   started here.
3. Orders: ``wrk`` at N connections sending ``POST /api/v1/orders/`` for one unit of one hot product to the same
   server.
Prints the TPS, placement ÷ write floor (target >= 0.5) and placement ÷ pgbench, the server CPU per request and the
SQL statements per request of both, checks 0 oversold / ledger reconciled / 0 deadlocks / 0 errors, and writes
``bench/results/orders.md``. ``BENCH_PORTS=first-last`` keeps the server on a port range.

Usage: DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/orders.py [--clients 32] [--seconds 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
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

from bench.common import free_port, server_cpu_seconds  # noqa: E402

FLOOR_PATH = "/bench/write-floor/"
ORDERS_PATH = "/api/v1/orders/"

SERVER_ENV = {
    # Production-like: DEBUG off, persistent DB connections, throttles on with unreachable limits.
    "DJANGO_SETTINGS_MODULE": "config.settings.bench",
    "JWT_ACCESS_MINUTES": "120",
    "GUNICORN_ACCESSLOG": "/dev/null",
}


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


def run_wrk(*, port: int, token: str, path: str, body: str, clients: int, seconds: int) -> dict[str, float]:
    lua = (
        'wrk.method = "POST"\n'
        f"wrk.body = '{body}'\n"
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
        f"http://127.0.0.1:{port}{path}",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return {
        "p50_ms": int(re.search(r"P50 (\d+)", output).group(1)) / 1000,  # type: ignore[union-attr]
        "p95_ms": int(re.search(r"P95 (\d+)", output).group(1)) / 1000,  # type: ignore[union-attr]
        "p99_ms": int(re.search(r"P99 (\d+)", output).group(1)) / 1000,  # type: ignore[union-attr]
        "non_2xx": float(non_2xx.group(1)) if non_2xx else 0.0,
        "socket_errors": float(sum(int(n) for n in socket_errors.groups())) if socket_errors else 0.0,
        "requests": float(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10, help="per run; each round runs the floor and placement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (the machine's load shifts)")
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

    from bench.urls import WRITE_FLOOR_KEY_PREFIX
    from catalog.models import Product
    from idempotency.models import IdempotencyKey
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

    order_body = json.dumps({"items": [{"product_id": str(hot.pk), "quantity": 1}]})
    statements = {
        "write floor": statements_per_request(token=token, path=FLOOR_PATH, body="{}"),
        "order placement": statements_per_request(token=token, path=ORDERS_PATH, body=order_body),
    }
    connection.close()

    port = free_port()
    server = start_server(port, args.workers)
    runs: dict[str, list[dict[str, float]]] = {"write floor": [], "order placement": []}
    try:
        deadlocks_before = deadlock_count()
        placed_before = OrderItem.objects.filter(product=hot).count()
        stock_before = Product.objects.get(pk=hot.pk).stock_quantity
        connection.close()
        for round_number in range(1, args.rounds + 1):
            for name, path, body in (("write floor", FLOOR_PATH, "{}"), ("order placement", ORDERS_PATH, order_body)):
                print(
                    f"round {round_number}/{args.rounds}, {name}: {args.clients} connections x {args.seconds}s, "
                    f"{args.workers} workers ...",
                    flush=True,
                )
                cpu_before = server_cpu_seconds(port)
                started = time.perf_counter()
                run = run_wrk(port=port, token=token, path=path, body=body, clients=args.clients, seconds=args.seconds)
                run["elapsed"] = time.perf_counter() - started
                run["cpu_s"] = server_cpu_seconds(port) - cpu_before
                runs[name].append(run)
    finally:
        stop_server(server)

    placed = OrderItem.objects.filter(product=hot).count() - placed_before
    final_stock = Product.objects.get(pk=hot.pk).stock_quantity
    oversold = max(0, (stock_before - final_stock) - placed)
    deadlocks = deadlock_count() - deadlocks_before
    reconciled = not inventory_mismatches(product_ids=[hot.pk, baseline.pk])
    floor, orders = _total(runs["write floor"]), _total(runs["order placement"])
    floor_tps = floor["requests"] / floor["elapsed"]
    # Placed orders, not answers: a refusal would not count (there are none unless errors says so).
    orders_tps = placed / orders["elapsed"]
    errors = int(floor["non_2xx"] + floor["socket_errors"] + orders["non_2xx"] + orders["socket_errors"])
    ratio = orders_tps / floor_tps if floor_tps else 0.0
    round_ratios = [
        (o["requests"] / o["elapsed"]) / (f["requests"] / f["elapsed"])
        for f, o in zip(runs["write floor"], runs["order placement"], strict=True)
    ]
    pg_ratio = orders_tps / pgbench_tps if pgbench_tps else 0.0
    IdempotencyKey.objects.filter(key__startswith=WRITE_FLOOR_KEY_PREFIX).delete()

    def mark(ok: bool) -> str:
        return "✅" if ok else "❌"

    rows = [
        ("pgbench hot-row UPDATE TPS", f"{pgbench_tps:,.0f}"),
        ("authenticated write floor req/s", f"{floor_tps:,.1f}"),
        ("order placement TPS (HTTP, hot item)", f"{orders_tps:,.1f}"),
        ("**placement ÷ write floor** (target >= 0.5)", f"**{ratio:.2f}** {mark(ratio >= 0.5)}"),
        ("placement ÷ write floor per round", " / ".join(f"{r:.2f}" for r in round_ratios)),
        ("placement ÷ pgbench hot row", f"{pg_ratio:.3f}"),
        ("server CPU per request: write floor / placement", f"{floor['cpu_ms']:.2f} / {orders['cpu_ms']:.2f} ms"),
        (
            "SQL statements per request: write floor / placement",
            f"{statements['write floor']} / {statements['order placement']}",
        ),
        ("orders placed", f"{placed:,}"),
        ("errors (non-2xx + socket), both runs", f"{errors} {mark(errors == 0)}"),
        ("oversold units", f"{oversold} {mark(oversold == 0)}"),
        ("deadlocks", f"{deadlocks} {mark(deadlocks == 0)}"),
        ("ledger reconciled", "yes ✅" if reconciled else "NO ❌"),
        ("write floor latency p50 / p95 / p99 (worst round)", _latency(floor)),
        ("placement latency p50 / p95 / p99 (worst round)", _latency(orders)),
    ]
    table = "| metric | value |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    notes = RESULTS / "orders-notes.md"
    (RESULTS / "orders.md").write_text(
        "# Hot-item order placement vs. the authenticated write floor and one hot row\n\n"
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs: {args.clients} clients, "
        f"{args.rounds} interleaved rounds of {args.seconds}s per scenario, "
        f"server = gunicorn + {args.workers} uvicorn workers (`config.settings.bench`), "
        "load by `wrk`, baseline by `pgbench` on the same PostgreSQL. The write floor is `POST /bench/write-floor/` "
        "(bench/urls.py): the same JWT authentication, permission and throttles, one row inserted in a "
        "transaction. Server CPU is the gunicorn processes' user + system time over the run; PostgreSQL's is not "
        "in it. Statements are counted in process through the same URLs (warm auth state).\n\n"
        f"{table}\n" + (f"\n{notes.read_text()}" if notes.exists() else "")
    )
    print(f"wrote {RESULTS / 'orders.md'}")
    if oversold or deadlocks or errors or not reconciled:
        raise SystemExit(1)


def _total(runs: list[dict[str, float]]) -> dict[str, float]:
    """The rounds of one scenario together: sums, CPU per request over all of them, the worst round's latencies."""
    total = {key: sum(run[key] for run in runs) for key in ("requests", "elapsed", "cpu_s", "non_2xx", "socket_errors")}
    total["cpu_ms"] = total["cpu_s"] * 1000 / max(total["requests"], 1)
    for key in ("p50_ms", "p95_ms", "p99_ms"):
        total[key] = max(run[key] for run in runs)
    return total


def _latency(run: dict[str, float]) -> str:
    return f"{run['p50_ms']:.1f} / {run['p95_ms']:.1f} / {run['p99_ms']:.1f} ms"


def statements_per_request(*, token: str, path: str, body: str) -> int:
    """SQL statements of one request through the real URLs and middleware, in this process (auth state warm)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get("/api/v1/auth/me/")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(path, body, content_type="application/json")
    if response.status_code != 201:
        raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]!r}")
    return len(queries.captured_queries)


if __name__ == "__main__":
    main()
