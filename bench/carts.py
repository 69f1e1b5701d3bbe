"""Anonymous cart benchmark: add-to-cart and cart read at 32 connections against the framework floor.

Scenarios, all on one gunicorn + uvicorn server started here: (a) constant-JSON Django view (the framework
floor), (b) anonymous cart read (``GET cart/``, 5 lines: one Redis HGETALL + one product query), (c) anonymous
add-to-cart (``POST cart/items/`` into one of 64 existing carts: one Redis HGETALL, one product query, one Lua
script call). Writes bench/results/carts.md and carts.png; target ≥ 0.6 × floor for (b) and (c).

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

from bench.common import WrkResult, django_setup, fetch, run_wrk, server, write_report  # noqa: E402

CART_LINES = 5
CART_POOL = 64
# Far more stock than a run can add, so every add is a 201 and the stock check still runs.
BENCH_STOCK = 1_000_000_000

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
    # As in production (base settings): under ASGI every request runs its sync view in a thread of its own,
    # so persistent connections would be left open by threads that are gone and exhaust PostgreSQL.
    with server(workers=args.workers, env={"DATABASE_CONN_MAX_AGE": "0"}) as base:
        read_url = f"{base}/api/v1/cart/"
        status, _, body = fetch(read_url, headers={"X-Cart-Token": tokens[0]})
        assert status == 200 and len(json.loads(body)["items"]) == CART_LINES, (status, body)
        scenarios: list[tuple[str, str, dict[str, str] | None, str | None]] = [
            ("(a) floor: constant JSON", f"{base}/bench/floor/", None, None),
            ("(b) anonymous cart read", read_url, {"X-Cart-Token": tokens[0]}, None),
            ("(c) anonymous add-to-cart", f"{base}/api/v1/cart/items/", None, add_lua),
        ]
        for name, url, headers, lua in scenarios:
            print(f"→ {name}", flush=True)
            results.append(
                run_wrk(name, url, connections=args.connections, duration_s=args.duration, headers=headers, lua=lua)
            )

    write_report(
        stem="carts",
        title=f"Anonymous carts, {args.connections} connections, {args.workers} workers",
        results=results,
        baseline="(a) floor: constant JSON",
        targets={"(b) anonymous cart read": 0.6, "(c) anonymous add-to-cart": 0.6},
        notes=[
            f"Server: gunicorn + {args.workers} uvicorn workers (`config/gunicorn.py`), settings "
            "`config.settings.bench` (DEBUG off, JSON renderer, throttles on with unreachable limits) with "
            "`DATABASE_CONN_MAX_AGE=0` as in production: under ASGI each request's sync view runs in its own "
            "thread, so persistent connections pile up (one per finished thread) and exhaust PostgreSQL.",
            f"Load: wrk, 2 threads, {args.connections} connections, {args.duration} s per scenario after a 2 s "
            "warm-up, on the same machine as the server, PostgreSQL and Redis.",
            f"(b) reads one {CART_LINES}-line cart; (c) adds one unit to a line of {CART_POOL} carts in turn. "
            "Each cart request also pays the anonymous throttle's Redis round trip.",
        ],
    )


if __name__ == "__main__":
    main()
