"""Worker sizing, measured: how many sync views a worker runs at once, and what slow provider calls do to the other
requests of the same worker.

One server, gunicorn + 2 uvicorn workers (the production command, ``config.settings.bench``: DEBUG off, the
psycopg pool of ``DATABASE_POOL_MAX_SIZE`` connections per worker), the fake provider's ``tok_slow`` card answering
in ``PAYMENT_FAKE_SLOW_SECONDS`` (0.5 s). Each payment is a signed-in sync view (``POST orders/{id}/pay/``) that
holds its pooled connection through the provider call.
(1) 12 concurrent payments (12 buyers, one order each): the wall time says how many ran at once;
(2) four times the pool's size in concurrent payments, while two probes measure the other requests: a signed-in
    sync read that queries (``GET orders/``) and the async floor view (no database), against the same probes on the
    idle server.
Writes bench/results/sizing.md.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/sizing.py
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import RESULTS, django_setup, server

SETTINGS = "config.settings.bench"
SLOW_SECONDS = 0.5
POOL_SIZE = 10


def call(
    base: str, method: str, path: str, token: str | None = None, body: object = None, key: str = ""
) -> tuple[int, float, bytes]:
    """One request on its own connection: status, seconds, body."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    started = time.perf_counter()
    try:
        connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = connection.getresponse()
        content = response.read()
        return response.status, time.perf_counter() - started, content
    finally:
        connection.close()


def _buyers(count: int, run_id: str) -> tuple[str, list[str]]:
    from django.db import connection

    from orders.management.commands.stress_orders import stress_buyers_create, stress_products_create

    (product,) = stress_products_create(count=1, stock=10_000_000, run_id=run_id)
    tokens = [token for _, token in stress_buyers_create(count=count, run_id=run_id)]
    connection.close()
    return str(product.pk), tokens


def _orders(base: str, product_id: str, tokens: list[str]) -> list[tuple[str, str]]:
    body = {"items": [{"product_id": product_id, "quantity": 1}]}
    placed = []
    for token in tokens:
        status, _, content = call(base, "POST", "/api/v1/orders/", token, body)
        if status != 201:
            raise SystemExit(f"order placement answered {status}: {content[:300]!r}")
        placed.append((token, json.loads(content)["id"]))
    return placed


def _pay_all(base: str, orders: list[tuple[str, str]]) -> tuple[float, list[tuple[int, float]]]:
    def pay(order: tuple[str, str]) -> tuple[int, float]:
        token, order_id = order
        body = {"provider": "fake", "payment_token": "tok_slow"}
        status, seconds, _ = call(base, "POST", f"/api/v1/orders/{order_id}/pay/", token, body, key=f"pay-{order_id}")
        return status, seconds

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(orders)) as pool:
        results = list(pool.map(pay, orders))
    return time.perf_counter() - started, results


def _probe(run: Callable[[], tuple[int, float, bytes]], stop: threading.Event, into: list[tuple[int, float]]) -> None:
    while not stop.is_set():
        status, seconds, _ = run()
        into.append((status, seconds))
        time.sleep(0.02)


def _summary(samples: list[tuple[int, float]]) -> str:
    if not samples:
        return "no sample"
    times = sorted(seconds * 1000 for _, seconds in samples)
    errors = sum(1 for status, _ in samples if status >= 400)
    return f"{len(samples)} requests, median {statistics.median(times):.0f} ms, max {times[-1]:.0f} ms, errors {errors}"


def _probed(
    base: str, probes: dict[str, Callable[[], tuple[int, float, bytes]]], work: Callable[[], object]
) -> dict[str, list[tuple[int, float]]]:
    """Run the probes (each one request at a time) while ``work`` runs; their samples by name."""
    samples: dict[str, list[tuple[int, float]]] = {name: [] for name in probes}
    stop = threading.Event()
    threads = [threading.Thread(target=_probe, args=(run, stop, samples[name])) for name, run in probes.items()]
    for thread in threads:
        thread.start()
    try:
        work()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return samples


def _statuses(results: list[tuple[int, float]]) -> str:
    counted: dict[int, int] = {}
    for status, _ in results:
        counted[status] = counted.get(status, 0) + 1
    return ", ".join(f"{count} × {status}" for status, count in sorted(counted.items()))


def _latencies(results: list[tuple[int, float]]) -> str:
    times = [seconds for _, seconds in results]
    return f"median {statistics.median(times):.2f} s, max {max(times):.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ.update({"JWT_ACCESS_MINUTES": "120"})
    django_setup(SETTINGS)
    run_id = f"sizing{int(time.time())}"
    many = 4 * POOL_SIZE
    big_pool = many // args.workers + 5
    product_id, tokens = _buyers(12 + 2 * many + 1, run_id)
    reader = tokens[-1]
    rows: list[str] = []
    for pool, buyers in ((POOL_SIZE, tokens[: 12 + many]), (big_pool, tokens[12 + many : 12 + 2 * many])):
        env = {
            "PAYMENT_FAKE_SLOW_SECONDS": str(SLOW_SECONDS),
            "DATABASE_POOL_MAX_SIZE": str(pool),
            "JWT_ACCESS_MINUTES": "120",  # every buyer pays once: the payments throttle (10/min a user) stays
        }
        with server(workers=args.workers, env=env) as base:
            placed = _orders(base, product_id, buyers)
            probes: dict[str, Callable[[], tuple[int, float, bytes]]] = {
                "read": lambda base=base: call(base, "GET", "/api/v1/orders/", reader),  # type: ignore[misc]
                "floor": lambda base=base: call(base, "GET", "/bench/floor/"),  # type: ignore[misc]
            }
            if pool == POOL_SIZE:
                idle = _probed(base, probes, lambda: time.sleep(3))
                wall_12, results_12 = _pay_all(base, placed[:12])
                rows += [
                    f"| 12 concurrent payments, pool {pool}: wall time | {wall_12:.2f} s ({_statuses(results_12)}); "
                    f"one at a time per worker would take {12 * SLOW_SECONDS / args.workers:.1f} s, all at once "
                    f"{SLOW_SECONDS:.1f} s plus the work |",
                    f"| 12 concurrent payments: each one's latency | {_latencies(results_12)} |",
                    f"| signed-in sync read (`GET orders/`), idle server | {_summary(idle['read'])} |",
                    f"| async floor view (no database), idle server | {_summary(idle['floor'])} |",
                ]
                placed = placed[12:]
            outcome: dict[str, tuple[float, list[tuple[int, float]]]] = {}
            busy = _probed(base, probes, lambda: outcome.setdefault("pay", _pay_all(base, placed)))  # noqa: B023
            wall, results = outcome["pay"]
            rows += [
                f"| {many} concurrent payments ({many // args.workers} per worker), pool {pool}: wall time | "
                f"{wall:.2f} s ({_statuses(results)}); each one {_latencies(results)} |",
                f"| signed-in sync read during them, pool {pool} | {_summary(busy['read'])} |",
                f"| async floor view during them, pool {pool} | {_summary(busy['floor'])} |",
            ]

    lines = [
        "# Worker sizing: sync views, slow provider calls and the connection pool",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs: gunicorn + {args.workers} "
        f"uvicorn workers, `config.settings.bench`, `tok_slow` answering in {SLOW_SECONDS} s; the pool size "
        "(`DATABASE_POOL_MAX_SIZE`, connections per worker) as given. Each payment is a signed-in sync view "
        "holding its pooled connection through the provider call; probes send one request at a time.",
        "",
        "| measurement | result |",
        "|---|---|",
        *rows,
    ]
    markdown = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sizing.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
