"""Anonymous cart benchmark: add-to-cart and cart read at 32 connections against the framework floor.

Scenarios, all on one gunicorn + uvicorn server started here: (a) constant-JSON Django view (the framework
floor), (a2) the cart view without a token (DRF and the throttle, no cart I/O), (a3) the add-to-cart's I/O alone
in a plain async view (throttle script, HGETALL, product query, write script), (b) anonymous cart read
(``GET cart/``, 5 lines: one Redis HGETALL + one product query), (c) anonymous add-to-cart (``POST cart/items/``
into one of 64 existing carts: one Redis HGETALL, one product query, one Lua script call). Writes
bench/results/carts.md and carts.png; target: at least 0.6 x the floor for (b) and (c).

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/carts.py [--duration 6] [--rounds 5] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import cpu_note, django_setup, fetch, run_rounds, server, write_report

CART_LINES = 5
CART_POOL = 64
# Far more stock than a run can add, so every add is a 201 and the stock check still runs.
BENCH_STOCK = 1_000_000_000
# Under ASGI each request's sync work runs in a thread of its own: persistent connections would be left
# behind by finished threads (and exhaust PostgreSQL), and without them every request pays a new connection.
# The psycopg pool hands one process-wide set of connections to those threads.
FLOOR = "(a) floor: constant JSON"
# Same view, same throttle, no token: no cart I/O at all. The fixed cost of the cart endpoints.
EMPTY = "(a2) cart view without a token"
# The add-to-cart's I/O in a plain async view (bench/urls.py): the ceiling for any add-to-cart endpoint.
IO = "(a3) add-to-cart's I/O alone"
READ = "(b) anonymous cart read"
ADD = "(c) anonymous add-to-cart"
SERVER_ENV = {"DATABASE_CONN_MAX_AGE": "0", "DATABASE_POOL": "true"}

READ_LUA = """
wrk.headers["X-Cart-Token"] = "%(token)s"
"""

ADD_LUA = """
local tokens = {%(tokens)s}
local body = '%(body)s'
local counter = 0
request = function()
  counter = counter + 1
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["X-Cart-Token"] = tokens[(counter %% #tokens) + 1]
  return wrk.format("POST", "%(path)s", headers, body)
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
    parser.add_argument("--duration", type=int, default=6, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median kept)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    args = parser.parse_args()

    product_ids, tokens = _prepare()

    def add_lua(path: str) -> str:
        """wrk script adding one unit of the first product to the carts in turn, POSTed to ``path``."""
        body = json.dumps({"product_id": product_ids[0], "quantity": 1})
        return ADD_LUA % {"tokens": ", ".join(f'"{token}"' for token in tokens), "body": body, "path": path}

    cpu_ms: dict[str, list[float]] = {}
    with server(workers=args.workers, env=SERVER_ENV) as base:
        read_url = f"{base}/api/v1/cart/"
        status, _, body = fetch(read_url, headers={"X-Cart-Token": tokens[0]})
        if status != 200 or len(json.loads(body)["items"]) != CART_LINES:
            raise SystemExit(f"cart read is not working: {status} {body!r}")
        results = run_rounds(
            [
                (FLOOR, f"{base}/bench/floor/", None),
                (EMPTY, read_url, None),
                (IO, f"{base}/bench/cart-io/", add_lua("/bench/cart-io/")),
                (READ, read_url, READ_LUA % {"token": tokens[0]}),
                (ADD, f"{base}/api/v1/cart/items/", add_lua("/api/v1/cart/items/")),
            ],
            rounds=args.rounds,
            cpu_ms=cpu_ms,
            port=int(base.rsplit(":", 1)[1]),
            connections=args.connections,
            duration_s=args.duration,
        )

    write_report(
        stem="carts",
        title=f"Anonymous carts, {args.connections} connections, {args.workers} workers",
        results=results,
        baseline=FLOOR,
        targets={READ: 0.6, ADD: 0.6},
        notes=[
            f"Server: gunicorn + {args.workers} uvicorn workers (`config/gunicorn.py`), settings "
            "`config.settings.bench` (DEBUG off, JSON renderer, throttles on with unreachable limits) with "
            "`DATABASE_CONN_MAX_AGE=0 DATABASE_POOL=true` (under ASGI sync work runs in a thread per request, "
            "so persistent connections would pile up; the pool shares one set).",
            f"Load: wrk, 2 threads, {args.connections} connections, {args.duration} s per run after a 2 s "
            f"warm-up, on the same machine as the server, PostgreSQL and Redis. The scenarios run interleaved, "
            f"{args.rounds} rounds; each row is its median round.",
            cpu_note(cpu_ms, floor=FLOOR),
            "Anonymous cart calls run on the event loop (`api.views.AnonymousAsyncAPIView`): the throttle and "
            "the cart hash through redis.asyncio, the product query in one hop to the request's thread, which "
            f"hands its pooled connection back at once. {EMPTY} answers an empty cart without touching the cart "
            "store or PostgreSQL (content negotiation plus the throttle's round trip); (b) and (c) add the cart's "
            f"own work to it. {IO} makes the same calls as (c) through the same functions (the anonymous "
            "throttle's script, HGETALL, the product query, the write script) in a plain async Django view answering "
            "the floor's constant JSON: the most any add-to-cart endpoint doing that work can reach; (c) adds DRF "
            "(negotiation, parsing, validation, the error envelope, rendering) and the cart's own logic to it.",
            f"(b) reads one {CART_LINES}-line cart (one HGETALL, one product query); (c) adds one unit to a line "
            f"of {CART_POOL} carts in turn (one HGETALL, one product query, one script call).",
        ],
    )


if __name__ == "__main__":
    main()
