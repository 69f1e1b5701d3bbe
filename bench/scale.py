"""The scaled setup measured: requests per second through nginx with one web node and with two, Celery tasks per
second per worker process, and the hot-row ceiling of PostgreSQL (pgbench updating one product's stock against
updates spread over many products). Writes bench/results/scale.md.

    .venv/bin/python bench/scale.py [--rounds 3] [--duration 8]

It brings up its own scaled setup (scripts/scale/topology.py) on SCALE_PORT_BASE (default 19900) with one uvicorn
worker per node (so one node is one core's worth of server, and the nodes are what scales), throttles out of reach,
and stops it at the end. One node and two nodes are measured in interleaved rounds (nginx is re-pointed between
them); each row is the median round, and the ratio is to one node in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import RESULTS, ROOT, WrkResult, run_wrk

PGBENCH_CLIENTS = (1, 8, 32)


def topology(command: str, **env: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.scale.topology", command],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"scale {command} failed:\n{result.stdout}\n{result.stderr}")
    last = result.stdout.strip().splitlines()[-1]
    return dict(json.loads(last))


def wait_idle(vhost: str, timeout: float = 300) -> None:
    """Until the worker has drawn the demo catalog's pictures: measuring meanwhile would measure that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(
            ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "messages"], capture_output=True, text=True
        ).stdout
        if all(line.split()[-1] == "0" for line in out.splitlines() if line.strip() and line.split()[-1].isdigit()):
            return
        time.sleep(2)


def http_rounds(base_url: str, env: dict[str, str], rounds: int, duration: int) -> dict[str, list[WrkResult]]:
    """Cached product detail through nginx, alternating one node and two nodes in each round."""
    import urllib.request

    with urllib.request.urlopen(f"{base_url}/api/v1/products/?page_size=1", timeout=10) as response:
        product = json.loads(response.read())["results"][0]["id"]
    url = f"{base_url}/api/v1/products/{product}/"
    results: dict[str, list[WrkResult]] = {"1 node": [], "2 nodes": []}
    for _ in range(rounds):
        for label, nodes in (("1 node", "1"), ("2 nodes", "2")):
            topology("up", **env, SCALE_WEB_NODES=nodes)
            results[label].append(run_wrk(label, url, connections=32, duration_s=duration))
    return results


def worker_rate(primary_dsn: str, env: dict[str, str], tasks: int = 400) -> float:
    """Tasks per second the one worker (2 processes) drains: the outbox relay, a short transaction each."""
    script = f"""
import time, django
django.setup()
from config.celery import app
with app.connection_for_write() as conn:
    producer = app.amqp.Producer(conn)
    for _ in range({tasks}):
        app.send_task("emails.outbox_relay", producer=producer)
    start = time.monotonic()
    while True:
        _, count, _ = conn.default_channel.queue_declare("celery", passive=True)
        if count == 0:
            break
        time.sleep(0.05)
print({tasks} / (time.monotonic() - start))
"""
    child_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    state = Path(env["SCALE_DIR"])
    child_env |= {
        "DJANGO_SECRET_KEY": (state / "secret_key").read_text().strip(),
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "PUBLIC_ORIGIN": "http://localhost",
        "DATABASE_URL": primary_dsn,
        "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:5672/shop_scale_{env['SCALE_PORT_BASE']}",
    }
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=child_env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def pgbench(primary_dsn: str, clients: int, script: str, duration: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(
            [
                "pgbench",
                "-n",
                "-c",
                str(clients),
                "-j",
                str(min(2, clients)),
                "-T",
                str(duration),
                "-f",
                handle.name,
                primary_dsn,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    line = next(line for line in out.splitlines() if line.startswith("tps ="))
    return float(line.split()[2])


def hot_row(primary_dsn: str, duration: int) -> list[tuple[int, float, float]]:
    import psycopg

    with psycopg.connect(primary_dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT id FROM products WHERE is_active ORDER BY id LIMIT 200").fetchall()
        conn.execute("CREATE TABLE IF NOT EXISTS bench_hot_ids (n int PRIMARY KEY, id uuid NOT NULL)")
        conn.execute("TRUNCATE bench_hot_ids")
        with conn.cursor().copy("COPY bench_hot_ids (n, id) FROM STDIN") as copy:
            for n, (product_id,) in enumerate(rows, start=1):
                copy.write_row((n, product_id))
    # One transaction per sale, as placing an order does: lock the row, take one off, give it back (stays >= 0).
    update = "UPDATE products SET stock_quantity = stock_quantity {sign} 1 WHERE id = (SELECT id FROM bench_hot_ids "
    sale = (
        "BEGIN;\n" + update.format(sign="+") + "WHERE n = {n});\n" + update.format(sign="-") + "WHERE n = {n});\nEND;\n"
    )
    one = sale.format(n="1")
    spread = f"\\set n random(1, {len(rows)})\n" + sale.format(n=":n")
    figures = []
    for clients in PGBENCH_CLIENTS:
        single = pgbench(primary_dsn, clients, one, duration)
        figures.append((clients, single, pgbench(primary_dsn, clients, spread, duration)))
    with psycopg.connect(primary_dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_hot_ids")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8)
    args = parser.parse_args()
    state = tempfile.mkdtemp(prefix="shop-bench-scale-")
    Path(state).chmod(0o755)  # PostgreSQL runs as an unprivileged user under root: it must reach its directory
    env = {
        "SCALE_DIR": state,
        "SCALE_PORT_BASE": os.environ.get("SCALE_PORT_BASE", "19900"),
        "WEB_CONCURRENCY": "1",
        "THROTTLE_ANON": "100000000/min",
        "THROTTLE_USER": "100000000/min",
        "GUNICORN_ACCESSLOG": "/dev/null",
        "SCALE_PG_FAST": "0",
    }
    load_before = os.getloadavg()[0]
    summary = topology("up", **env)
    try:
        primary = str(summary["primary_dsn"])
        wait_idle(f"shop_scale_{env['SCALE_PORT_BASE']}")
        http = http_rounds(str(summary["base_url"]), env, args.rounds, args.duration)
        tasks = worker_rate(primary, env)
        hot = hot_row(primary, args.duration)
    finally:
        topology("down", **env)
    load_after = os.getloadavg()[0]

    median = {label: sorted(rs, key=lambda r: r.requests_per_second)[len(rs) // 2] for label, rs in http.items()}
    one = median["1 node"].requests_per_second
    lines = [
        "# The scaled setup: web nodes behind nginx, a Celery worker, the hot row",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs, load average "
        f"{load_before:.1f} before and {load_after:.1f} after; ratios are to the same run's figures.",
        "",
        "## Cached product detail through nginx (one uvicorn worker per node)",
        "",
        "| nodes | req/s | p50 (ms) | p99 (ms) | × one node | errors | rounds (req/s) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for label, result in median.items():
        rounds = ", ".join(f"{r.requests_per_second:.0f}" for r in http[label])
        rps = result.requests_per_second
        lines.append(
            f"| {label} | {rps:.0f} | {result.p50_ms:.1f} | {result.p99_ms:.1f} | {rps / one:.2f} "
            f"| {result.errors} | {rounds} |"
        )
    lines += [
        "",
        f"wrk: 2 threads, 32 connections, {args.duration} s per round after a 2 s warm-up, {args.rounds} interleaved "
        "rounds; every piece (nginx, nodes, PostgreSQL primary and replica, Redis, Sentinels, RabbitMQ, wrk) on the "
        "same machine.",
        "",
        "## Celery worker",
        "",
        f"One worker, 2 processes, RabbitMQ quorum queue: {tasks:.0f} tasks/s "
        "(`emails.outbox_relay`, one short PostgreSQL transaction each; 400 tasks queued, then drained).",
        "",
        "## Hot row: pgbench on the primary",
        "",
        "Each transaction takes one off a product's stock and gives it back (two row updates, as a sale locks and "
        "updates its product); *one row*: every client on the same product, *spread*: a random one of 200.",
        "",
        "| clients | one row (tps) | spread (tps) | one row ÷ spread |",
        "|---:|---:|---:|---:|",
    ]
    for clients, single, spread in hot:
        lines.append(f"| {clients} | {single:.0f} | {spread:.0f} | {single / spread:.2f} |")
    lines += ["", f"pgbench -n -j 2 -T {args.duration}, synchronous_commit on, fsync on.", ""]
    report = "\n".join(lines)
    (RESULTS / "scale.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
