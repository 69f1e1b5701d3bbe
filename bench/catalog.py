"""Catalog read benchmark: gunicorn + uvicorn workers on a seeded catalog, driven by wrk at 32 connections.

Scenarios: (a) constant-JSON Django view (the framework floor), (b) cached product detail, (c) cached list page,
(d) uncached filtered list (a random price bound per request, so nearly every request misses), (e) uncached
full-text search (random term and price bound), (f) a pure ASGI app answering the floor's JSON (bench/pure_asgi.py:
no framework, the ceiling of the server configuration) served by a second gunicorn with the same command.
(b) and (c) are answered by the pure-ASGI fast path in front of Django (catalog/api/fastpath.py); they are reported
as ratios to both (a) and (f). Writes bench/results/catalog.md and catalog.png.

(d) and (e) also run against a catalog a tenth the size (``--small-products``): a second database next to
DATABASE_URL's (``<name>_small``), seeded by the same command with the same seed and categories, served by a
second server of the same configuration, in rounds interleaved with the full-size ones. Their median latency
ratio shows how the uncached reads grow with the catalog.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/catalog.py [--products 100000] [--duration 10]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, ROOT, WrkResult, cpu_note, django_setup, fetch, run_rounds, server, write_report

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


COLORS = ("red", "blue", "black", "white", "green", "grey")
TERMS = ("hoodie", "wool jacket", "leather boots", "cotton OR linen", '"slim jeans"', "warm -wool", "vintage",
         "waterproof parka", "cashmere sweater", "sneakers")  # fmt: skip
SQL_SAMPLES = 24

FLOOR = "(a) floor: constant JSON"
FILTERED = "(d) uncached filtered list"
SEARCH = "(e) search (uncached)"
# Targets: the uncached reads at this fraction of the floor or more; their median latency growth from the small
# catalog to the full one below this factor.
UNCACHED_TARGET = 0.3
GROWTH_TARGET = 2.0


def _prepare(products: int, seed: int) -> str:
    """Seed when the catalog is smaller than asked; return the id of an active product."""
    django_setup()
    from django.core.management import call_command

    from catalog.models import Product

    if Product.objects.count() < products:
        call_command("seed_catalog", products=products, categories=60, seed=seed, replace=True)
    _vacuum()
    product = Product.objects.filter(is_active=True).order_by("created_at").only("pk").first()
    assert product is not None
    return str(product.pk)


def _vacuum() -> None:
    """As autovacuum would have by then: a freshly loaded table has no visibility map (no index-only scans)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) products")


def _small_catalog(products: int, seed: int) -> str:
    """The URL of a second database holding ``products`` products: created, migrated and seeded when needed."""
    import psycopg

    main = urlsplit(os.environ["DATABASE_URL"])
    name = f"{main.path.lstrip('/')}_small"
    url = urlunsplit(main._replace(path=f"/{name}"))
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            connection.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute("SELECT count(*) FROM products").fetchone()
        if row is None or row[0] != products:
            seed_args = ["--products", str(products), "--categories", "60", "--seed", str(seed), "--replace"]
            subprocess.run([*manage, "seed_catalog", *seed_args], cwd=ROOT, env=env, check=True)
        connection.execute("VACUUM (ANALYZE) products")
    return url


def _sample_queries(rng: random.Random) -> list[tuple[str, dict[str, str]]]:
    """Query strings drawn like the Lua scripts draw them, for (d) and (e)."""
    filtered = [
        {
            "color": rng.choice(COLORS),
            "size": "M",
            "in_stock": "true",
            "ordering": "price",
            "min_price": str(rng.randint(1, 200_000) / 1000),
        }
        for _ in range(SQL_SAMPLES)
    ]
    search = [
        {"search": rng.choice(TERMS), "max_price": str(rng.randint(50_000, 900_000) / 1000)} for _ in range(SQL_SAMPLES)
    ]
    return [(FILTERED, params) for params in filtered] + [(SEARCH, params) for params in search]


def _sql_of_misses(directory: Path) -> dict[str, list[Path]]:
    """One pgbench script per sampled request: the SQL statements its cache miss runs, captured as it runs them."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from catalog.cache import generations_bump

    client = Client(HTTP_HOST="127.0.0.1")
    scripts: dict[str, list[Path]] = {FILTERED: [], SEARCH: []}
    for index, (name, params) in enumerate(_sample_queries(random.Random(7))):
        generations_bump()  # a miss, whatever was cached
        with CaptureQueriesContext(connection) as captured:
            if client.get("/api/v1/products/", params).status_code != 200:
                raise SystemExit(f"{name}: {params} did not answer 200")
        statements = [query["sql"] for query in captured.captured_queries if "products" in query["sql"]]
        script = directory / f"{index}.sql"
        script.write_text("".join(f"{statement.replace(chr(10), ' ')};\n" for statement in statements))
        scripts[name].append(script)
    return scripts


def _pgbench(name: str, scripts: list[Path], *, connections: int, duration_s: int) -> WrkResult | None:
    """The statements of the sampled misses alone, run by pgbench at the same concurrency: what PostgreSQL
    itself can serve, the ceiling of an uncached read (None when pgbench is not installed)."""
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        return None
    command = [pgbench, "-n", f"-c{connections}", "-j2", f"-T{duration_s}"]
    command += [argument for script in scripts for argument in ("-f", str(script))]
    completed = subprocess.run(
        [*command, os.environ["DATABASE_URL"]], check=True, capture_output=True, text=True, cwd=ROOT
    )
    tps = float(re.search(r"tps = ([\d.]+)", completed.stdout).group(1))  # type: ignore[union-attr]
    latency = float(re.search(r"latency average = ([\d.]+) ms", completed.stdout).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"number of transactions actually processed: (\d+)", completed.stdout).group(1))  # type: ignore[union-attr]
    failed = re.search(r"number of failed transactions: (\d+)", completed.stdout)
    return WrkResult(name, tps, latency, latency, done, int(failed.group(1)) if failed else 0)


def _growth_notes(results: list[WrkResult], small_products: int, products: int) -> list[str]:
    by_name = {result.name: result for result in results}
    notes = []
    for name in (FILTERED, SEARCH):
        small, full = by_name[f"{name}, {small_products:,} products"], by_name[name]
        growth = full.p50_ms / small.p50_ms if small.p50_ms else float("inf")
        verdict = "✅" if growth < GROWTH_TARGET else "❌"
        notes.append(
            f"{name}: median latency {small.p50_ms:.1f} ms at {small_products:,} products, {full.p50_ms:.1f} ms "
            f"at {products:,}: × {growth:.2f} (target < {GROWTH_TARGET:.0f}) {verdict}"
        )
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--small-products", type=int, default=10_000, help="the small catalog of (d) and (e)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duration", type=int, default=6, help="seconds per scenario and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of (a)-(c); medians reported")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    args = parser.parse_args()

    product_id = _prepare(args.products, args.seed)
    small_url = _small_catalog(args.small_products, args.seed)
    results: list[WrkResult] = []
    small_env = {"DATABASE_URL": small_url}
    with (
        server(workers=args.workers) as base,
        server(workers=args.workers, app=PURE_APP, port_offset=1) as pure,
        server(workers=args.workers, env=small_env, port_offset=2) as small,
    ):
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
        small_name = f", {args.small_products:,} products"
        results += run_rounds(
            [
                (FILTERED, f"{base}/api/v1/products/", FILTERED_LUA),
                (SEARCH, f"{base}/api/v1/products/", SEARCH_LUA),
                (FILTERED + small_name, f"{small}/api/v1/products/", FILTERED_LUA),
                (SEARCH + small_name, f"{small}/api/v1/products/", SEARCH_LUA),
            ],
            rounds=args.rounds,
            cpu_ms=cpu_ms,
            port=int(base.rsplit(":", 1)[1]),  # each scenario's CPU is that of the server its URL names
            **wrk,
        )

    with tempfile.TemporaryDirectory() as directory:
        for name, scripts in _sql_of_misses(Path(directory)).items():
            print(f"→ {name}: its SQL alone (pgbench)", flush=True)
            ceiling = _pgbench(
                f"{name}: its SQL alone (pgbench)", scripts, connections=args.connections, duration_s=args.duration
            )
            if ceiling is not None:
                results.append(ceiling)

    growth = _growth_notes(results, args.small_products, args.products)
    write_report(
        stem="catalog",
        title=f"Catalog reads, {args.products:,} products, {args.connections} connections, {args.workers} workers",
        results=results,
        baseline=FLOOR,
        targets={**dict.fromkeys(CACHED, FLOOR_TARGET), FILTERED: UNCACHED_TARGET, SEARCH: UNCACHED_TARGET},
        notes=[
            _pure_asgi_ratios(results),
            f"Server: gunicorn + {args.workers} uvicorn workers (`config/gunicorn.py`), settings "
            "`config.settings.bench` (DEBUG off, JSON renderer, throttles on with unreachable limits).",
            f"Load: wrk, 2 threads, {args.connections} connections, {args.duration} s per scenario after a 2 s "
            "warm-up, on the same machine as the server, PostgreSQL and Redis. (a)-(c) and (f) run interleaved in "
            f"{args.rounds} rounds and each row is its median round, so the floor and the cached reads are "
            "measured under the same conditions; (d) and (e) likewise, at both catalog sizes.",
            cpu_note(cpu_ms, floor=FLOOR),
            "(f) runs on a second gunicorn started with the same command, worker class and worker count, serving "
            "`bench/pure_asgi.py` (no framework); the cached reads' targets are ≥ "
            f"{FLOOR_TARGET:g} × (a) and ≥ {PURE_ASGI_TARGET:g} × (f).",
            "(d) and (e) draw a random price bound per request, so nearly every request misses the cache "
            "(and then pays for writing the entry). Both tables were vacuumed first, as autovacuum would have.",
            f"Growth with the catalog: the rows marked {small_name.lstrip(', ')} read a second database seeded "
            f"the same way (same seed, 60 categories, {args.small_products:,} products) through a second server "
            "of the same configuration, with the same request scripts, interleaved with the full-size rounds.",
            *growth,
            f"The pgbench rows run the SQL statements that {SQL_SAMPLES} sampled misses of (d) and of (e) ran "
            "(captured as they ran, one script per request, drawn at random by pgbench) against the full-size "
            f"database at {args.connections} connections: what PostgreSQL alone serves, the ceiling of an "
            "uncached read on this machine; their latency columns are pgbench's average.",
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
