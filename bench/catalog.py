"""Catalog read benchmark: gunicorn + uvicorn workers on a seeded catalog, driven by wrk at 32 connections.

Scenarios: (a) constant-JSON Django view (the framework floor), (b) cached product detail, (c) cached list page,
(d) uncached filtered list (a random price bound per request, so nearly every request misses), (e) uncached
full-text search (random term and price bound), (f) a pure ASGI app answering the floor's JSON (bench/pure_asgi.py:
no framework, the ceiling of the server configuration) served by a second gunicorn with the same command.
(b) and (c) are answered by the pure-ASGI fast path in front of Django (catalog/api/fastpath.py); they are reported
as ratios to both (a) and (f). Writes bench/results/catalog.md and catalog.png.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/catalog.py [--products 100000] [--duration 10]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import WrkResult, cpu_note, django_setup, fetch, run_rounds, run_wrk, server, write_report

FLOOR = "(a) floor: constant JSON"
PURE_ASGI = "(f) pure ASGI: constant JSON"
CACHED = ("(b) cached detail", "(c) cached list")
# Targets: the cached reads against the project's Django floor, and against the server's own ceiling.
FLOOR_TARGET = 5.0
PURE_ASGI_TARGET = 0.15

LIST_QUERY = "/api/v1/products/?page_size=20"
PURE_APP = "bench.pure_asgi:application"
FILTERED_LUA = """
math.randomseed(os.time())
local colors = {"red", "blue", "black", "white", "green", "grey"}
request = function()
  local path = "/api/v1/products/?color=" .. colors[math.random(#colors)] .. "&size=M&in_stock=true"
    .. "&ordering=price&min_price=" .. (math.random(1, 200000) / 1000)
  return wrk.format("GET", path)
end
"""
SEARCH_LUA = """
math.randomseed(os.time() + 1)
local terms = {"hoodie", "wool jacket", "leather boots", "cotton OR linen", "\\"slim jeans\\"", "warm -wool",
               "vintage", "waterproof parka", "cashmere sweater", "sneakers"}
request = function()
  local path = "/api/v1/products/?search=" .. terms[math.random(#terms)]:gsub(" ", "+"):gsub('"', "%%22")
    .. "&max_price=" .. (math.random(50000, 900000) / 1000)
  return wrk.format("GET", path)
end
"""


def _prepare(products: int, seed: int) -> str:
    """Seed when the catalog is smaller than asked; return the id of an active product."""
    django_setup()
    from django.core.management import call_command

    from catalog.models import Product

    if Product.objects.count() < products:
        call_command("seed_catalog", products=products, categories=60, seed=seed, replace=True)
    product = Product.objects.filter(is_active=True).order_by("created_at").only("pk").first()
    assert product is not None
    return str(product.pk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duration", type=int, default=6, help="seconds per scenario and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of (a)-(c); medians reported")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    args = parser.parse_args()

    product_id = _prepare(args.products, args.seed)
    results: list[WrkResult] = []
    with server(workers=args.workers) as base, server(workers=args.workers, app=PURE_APP, port_offset=1) as pure:
        detail = f"{base}/api/v1/products/{product_id}/"
        listing = f"{base}{LIST_QUERY}"
        for url in (detail, listing):
            fetch(url)  # fill the cache
            # Each worker answers its first hits through Django, which shows the fast path the headers to answer.
            for _ in range(4 * args.workers):
                status, headers, _ = fetch(url)
            if status != 200 or headers.get("X-Cache") != "HIT":
                raise SystemExit(f"cache not warm for {url}: {status} {headers}")
        wrk = {"connections": args.connections, "duration_s": args.duration}
        cpu_ms: dict[str, list[float]] = {}
        results += run_rounds(
            [
                (FLOOR, f"{base}/bench/floor/", None),
                ("(b) cached detail", detail, None),
                ("(c) cached list", listing, None),
                (PURE_ASGI, f"{pure}/", None),
            ],
            rounds=args.rounds,
            cpu_ms=cpu_ms,
            port=int(base.rsplit(":", 1)[1]),
            **wrk,
        )
        for name, lua in (("(d) uncached filtered list", FILTERED_LUA), ("(e) search (uncached)", SEARCH_LUA)):
            print(f"→ {name}", flush=True)
            results.append(run_wrk(name, f"{base}/api/v1/products/", lua=lua, **wrk))

    write_report(
        stem="catalog",
        title=f"Catalog reads, {args.products:,} products, {args.connections} connections, {args.workers} workers",
        results=results,
        baseline=FLOOR,
        targets=dict.fromkeys(CACHED, FLOOR_TARGET),
        notes=[
            _pure_asgi_ratios(results),
            f"Server: gunicorn + {args.workers} uvicorn workers (`config/gunicorn.py`), settings "
            "`config.settings.bench` (DEBUG off, JSON renderer, throttles on with unreachable limits).",
            f"Load: wrk, 2 threads, {args.connections} connections, {args.duration} s per scenario after a 2 s "
            "warm-up, on the same machine as the server, PostgreSQL and Redis. (a)-(c) and (f) run interleaved in "
            f"{args.rounds} rounds and each row is its median round, so the floor and the cached reads are "
            "measured under the same conditions.",
            cpu_note(cpu_ms, floor=FLOOR),
            "(f) runs on a second gunicorn started with the same command, worker class and worker count, serving "
            "`bench/pure_asgi.py` (no framework); the cached reads' targets are ≥ "
            f"{FLOOR_TARGET:g} × (a) and ≥ {PURE_ASGI_TARGET:g} × (f).",
            "(d) and (e) draw a random price bound per request, so nearly every request misses the cache "
            "(and then pays for writing the entry).",
        ],
    )


def _pure_asgi_ratios(results: list[WrkResult]) -> str:
    """The cached reads as ratios to the pure ASGI app (f), with their target."""
    ceiling = next(r.requests_per_second for r in results if r.name == PURE_ASGI)
    parts = []
    for result in results:
        if result.name in CACHED:
            ratio = result.requests_per_second / ceiling if ceiling else 0.0
            verdict = "✅" if ratio >= PURE_ASGI_TARGET else "❌"
            parts.append(f"{result.name} {ratio:.3f} × (f) (target ≥ {PURE_ASGI_TARGET:g} {verdict})")
    return "Against the pure ASGI app (f): " + "; ".join(parts) + "."


if __name__ == "__main__":
    main()
