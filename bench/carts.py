"""Anonymous cart benchmark: add-to-cart and cart read at 32 connections against the framework floor.

Scenarios, all on one gunicorn + uvicorn server started here: (a) constant-JSON Django view (the framework
floor), (b) anonymous cart read (``GET cart/``, 5 lines: one Redis HGETALL + one product query), (c) anonymous
add-to-cart (``POST cart/items/`` into one of 64 existing carts: one Redis HGETALL, one product query, one Lua
script call). Writes bench/results/carts.md and carts.png; target: at least 0.6 x the floor for (b) and (c).

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/carts.py [--duration 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import WrkResult, cpu_note, django_setup, fetch, run_wrk, server, server_cpu_seconds, write_report

CART_LINES = 5
CART_POOL = 64
# Far more stock than a run can add, so every add is a 201 and the stock check still runs.
BENCH_STOCK = 1_000_000_000
# Under ASGI each request runs its sync view in a thread of its own: persistent connections would be left
# behind by finished threads (and exhaust PostgreSQL), and without them every request pays a new connection.
# The psycopg pool hands one process-wide set of connections to those threads.
FLOOR = "(a) floor: constant JSON"
# Same view, same throttle, no token: no cart I/O at all. What any sync DRF endpoint costs under ASGI.
EMPTY = "(a2) cart view without a token"
SERVER_ENV = {"DATABASE_CONN_MAX_AGE": "0", "DATABASE_POOL": "true"}

ADD_LUA = """
local tokens = {%(tokens)s}
local body = '%(body)s'
local counter = 0
request = function()
  counter = counter + 1
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["X-Cart-Token"] = tokens[(counter %% #tokens) + 1]
  return wrk.format("POST", "/api/v1/cart/items/", headers, body)
end
"""


def _mean(name: str, runs: list[WrkResult]) -> WrkResult:
    return WrkResult(
        name,
        sum(r.requests_per_second for r in runs) / len(runs),
        sum(r.p50_ms for r in runs) / len(runs),
        sum(r.p99_ms for r in runs) / len(runs),
        sum(r.requests for r in runs),
        sum(r.errors for r in runs),
    )


def _prepare() -> tuple[list[str], list[str]]:
    """Create bench products with ample stock and CART_POOL anonymous carts; return (product ids, tokens)."""
    django_setup()
    from django.db import connection

    from carts.services import cart_item_add
    from catalog.models import Category, Product
    from inventory.services import stock_initialize

    run = f"bench-carts-{int(time.time())}"
    category, _ = Category.objects.get_or_create(slug="bench-carts", parent=None, defaults={"name": "Bench carts"})
    products = []
    for index in range(CART_LINES):
        product = Product.objects.create(
            name=f"Bench cart product {index}", slug=f"{run}-{index}", price="19.90", category=category
        )
        stock_initialize(product=product, quantity=BENCH_STOCK)
        products.append(product)
    tokens = []
    for _ in range(CART_POOL):
        token = None
        for product in products:
            token = cart_item_add(user=None, cart_token=token, product_id=product.pk, quantity=1).cart_token
        assert token is not None
        tokens.append(token)
    connection.close()
    return [str(p.pk) for p in products], tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    args = parser.parse_args()

    product_ids, tokens = _prepare()
    add_lua = ADD_LUA % {
        "tokens": ", ".join(f'"{token}"' for token in tokens),
        "body": json.dumps({"product_id": product_ids[0], "quantity": 1}),
    }
    results: list[WrkResult] = []
    with server(workers=args.workers, env=SERVER_ENV) as base:
        read_url = f"{base}/api/v1/cart/"
        status, _, body = fetch(read_url, headers={"X-Cart-Token": tokens[0]})
        if status != 200 or len(json.loads(body)["items"]) != CART_LINES:
            raise SystemExit(f"cart read is not working: {status} {body!r}")
        floor_url = f"{base}/bench/floor/"
        scenarios: list[tuple[str, str, dict[str, str] | None, str | None]] = [
            (FLOOR, floor_url, None, None),
            (EMPTY, read_url, None, None),
            ("(b) anonymous cart read", read_url, {"X-Cart-Token": tokens[0]}, None),
            ("(c) anonymous add-to-cart", f"{base}/api/v1/cart/items/", None, add_lua),
            (FLOOR, floor_url, None, None),
        ]
        port = int(base.rsplit(":", 1)[1])
        cpu_ms: dict[str, list[float]] = {}
        for name, url, headers, lua in scenarios:
            print(f"→ {name}", flush=True)
            run_wrk(name, url, connections=args.connections, duration_s=2, headers=headers, lua=lua, warmup_s=0)
            cpu_before = server_cpu_seconds(port)
            result = run_wrk(
                name, url, connections=args.connections, duration_s=args.duration, headers=headers, lua=lua, warmup_s=0
            )
            cpu_ms.setdefault(name, []).append((server_cpu_seconds(port) - cpu_before) * 1000 / result.requests)
            results.append(result)
    # The machine is shared with PostgreSQL, Redis and wrk: the floor is measured before and after the cart
    # scenarios and averaged, so drift during the run does not flatter or penalise the ratios.
    floors = [r for r in results if r.name == FLOOR]
    results = [_mean(FLOOR, floors), *(r for r in results if r.name != FLOOR)]

    write_report(
        stem="carts",
        title=f"Anonymous carts, {args.connections} connections, {args.workers} workers",
        results=results,
        baseline=FLOOR,
        targets={"(b) anonymous cart read": 0.6, "(c) anonymous add-to-cart": 0.6},
        notes=[
            f"Server: gunicorn + {args.workers} uvicorn workers (`config/gunicorn.py`), settings "
            "`config.settings.bench` (DEBUG off, JSON renderer, throttles on with unreachable limits) with "
            "`DATABASE_CONN_MAX_AGE=0 DATABASE_POOL=true`: under ASGI each request's sync view runs in a thread "
            "of its own, so persistent connections pile up (one per finished thread) until PostgreSQL refuses "
            "clients, and without a pool every request opens a new connection.",
            f"Load: wrk, 2 threads, {args.connections} connections, {args.duration} s per scenario after a 2 s "
            "warm-up, on the same machine as the server, PostgreSQL and Redis. The floor row is the mean of a run "
            "before and a run after the cart scenarios ({}).".format(
                " and ".join(f"{r.requests_per_second:,.0f} req/s" for r in floors)
            ),
            cpu_note(cpu_ms, floor=FLOOR),
            f"{EMPTY} answers an empty cart without touching the cart store or PostgreSQL: it is the cost of a "
            "sync DRF view under ASGI (a thread per request) plus the anonymous throttle's Redis round trip, "
            "which the async floor view does not pay; (b) and (c) add the cart's own work to it.",
            f"(b) reads one {CART_LINES}-line cart; (c) adds one unit to a line of {CART_POOL} carts in turn.",
        ],
    )


if __name__ == "__main__":
    main()
