"""Memory stability of one web worker: RSS after 20 000 mixed requests vs. after the first 2 000 (target ≤ +10 %).

One gunicorn + uvicorn worker (so every request lands in the process being measured) serves a mix of cached and
uncached catalog reads, full-text searches, category pages, anonymous cart reads and add-to-cart writes, error
answers (404, 400) and health checks, sent by a pool of client threads. The worker's resident set size is read
after a warm-up, after the first 2 000 requests and then every 2 000 until 20 000. Writes
bench/results/memory.md.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/memory.py [--requests 20000] [--threads 8]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import RESULTS, django_setup, server

CHECKPOINT = 2_000
TARGET_GROWTH = 0.10
SEARCH_TERMS = ["hoodie", "wool jacket", "leather boots", "cotton OR linen", "vintage", "waterproof parka"]
COLORS = ["red", "blue", "black", "white", "green", "grey"]


def _prepare(cart_products: int = 5) -> tuple[list[str], list[str], list[str]]:
    """Ids of active products and categories, plus products with ample stock for add-to-cart."""
    django_setup()
    from django.db import connection

    from catalog.models import Category, Product
    from inventory.services import stock_initialize

    products = [str(pk) for pk in Product.objects.filter(is_active=True).values_list("pk", flat=True)[:500]]
    categories = [str(pk) for pk in Category.objects.values_list("pk", flat=True)[:60]]
    category, _ = Category.objects.get_or_create(slug="bench-memory", parent=None, defaults={"name": "Bench memory"})
    stocked = []
    run = f"bench-memory-{int(time.time())}"
    for index in range(cart_products):
        product = Product.objects.create(name=f"Memory {index}", slug=f"{run}-{index}", price="9.90", category=category)
        stock_initialize(product=product, quantity=1_000_000_000)
        stocked.append(str(product.pk))
    connection.close()
    if not products:
        raise SystemExit("no products: run bench/catalog.py (or make bench) first to seed the catalog")
    return products, categories, stocked


def _request(base: str, rng: random.Random, ids: tuple[list[str], list[str], list[str]], token: str) -> int:
    products, categories, stocked = ids
    roll = rng.random()
    headers = {"X-Cart-Token": token}
    body: bytes | None = None
    if roll < 0.25:
        path = f"/api/v1/products/{rng.choice(products[:20])}/"  # hot, cached
    elif roll < 0.40:
        path = f"/api/v1/products/{rng.choice(products)}/"
    elif roll < 0.55:
        path = f"/api/v1/products/?page={rng.randint(1, 50)}&page_size={rng.choice([10, 20, 50])}"
    elif roll < 0.65:
        path = f"/api/v1/products/?color={rng.choice(COLORS)}&min_price={rng.randint(1, 300)}&ordering=price"
    elif roll < 0.72:
        path = f"/api/v1/products/?search={urllib.parse.quote(rng.choice(SEARCH_TERMS))}"
    elif roll < 0.78:
        path = f"/api/v1/products/?category={rng.choice(categories)}" if categories else "/api/v1/categories/"
    elif roll < 0.83:
        path = "/api/v1/categories/"
    elif roll < 0.89:
        path = "/api/v1/cart/"
    elif roll < 0.94:
        path = "/api/v1/cart/items/"
        body = json.dumps({"product_id": rng.choice(stocked), "quantity": 1}).encode()
        headers["Content-Type"] = "application/json"
    elif roll < 0.97:
        path = rng.choice(["/api/v1/products/not-a-uuid/", "/api/v1/products/?min_price=abc", "/api/v1/nowhere/"])
    else:
        path = "/healthz"
    request = urllib.request.Request(base + path, data=body, headers=headers, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.read()
        return int(error.code)


def _worker_process(base: str) -> psutil.Process:
    port = base.rsplit(":", 1)[1]
    masters = [
        proc
        for proc in psutil.process_iter(["cmdline"])
        if any(f"127.0.0.1:{port}" in part for part in proc.info["cmdline"] or [])
        and "gunicorn" in " ".join(proc.info["cmdline"] or [])
    ]
    children = [child for master in masters for child in master.children()]
    if len(children) != 1:
        raise SystemExit(f"expected exactly one worker, found {len(children)}")
    return children[0]


def _mib(process: psutil.Process) -> float:
    return process.memory_info().rss / (1024 * 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    ids = _prepare()
    rng = random.Random(args.seed)
    started = time.monotonic()
    samples: list[tuple[int, float]] = []
    statuses: dict[int, int] = {}
    with server(workers=1, env={"DATABASE_CONN_MAX_AGE": "0"}) as base:
        worker = _worker_process(base)
        token_request = urllib.request.Request(
            f"{base}/api/v1/cart/items/",
            data=json.dumps({"product_id": ids[2][0], "quantity": 1}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(token_request, timeout=30) as response:
            token = json.loads(response.read())["cart_token"]
        samples.append((0, _mib(worker)))
        done = 0
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            while done < args.requests:
                batch = min(CHECKPOINT, args.requests - done)
                seeds = [rng.random() for _ in range(batch)]
                for status in pool.map(lambda s: _request(base, random.Random(s), ids, token), seeds):
                    statuses[status] = statuses.get(status, 0) + 1
                done += batch
                samples.append((done, _mib(worker)))
                print(f"{done:>6} requests: worker RSS {samples[-1][1]:.1f} MiB", flush=True)
    elapsed = time.monotonic() - started

    baseline = next(rss for count, rss in samples if count == CHECKPOINT)
    final = samples[-1][1]
    growth = (final - baseline) / baseline
    verdict = "✅" if growth <= TARGET_GROWTH else "❌"
    lines = [
        "# Web worker memory under mixed traffic",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs, "
        f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM; load average before the run "
        f"{' / '.join(f'{x:.1f}' for x in LOAD_BEFORE)}.",
        "",
        f"One gunicorn + uvicorn worker (`config.settings.bench`), {args.requests:,} requests from "
        f"{args.threads} client threads in {elapsed:.0f} s: cached and uncached product reads, list pages, "
        "filtered lists, full-text search, category pages, anonymous cart reads and add-to-cart writes, "
        "404/400 answers and health checks.",
        "",
        "| requests served | worker RSS (MiB) | vs. after 2 000 |",
        "|---:|---:|---:|",
        *(f"| {count:,} | {rss:.1f} | {(rss - baseline) / baseline:+.1%} |" for count, rss in samples),
        "",
        f"**RSS after {samples[-1][0]:,} requests: {final:.1f} MiB vs. {baseline:.1f} MiB after 2 000: "
        f"{growth:+.1%} (target ≤ +{TARGET_GROWTH:.0%}) {verdict}**",
        "",
        "Status codes: " + ", ".join(f"{code}: {count:,}" for code, count in sorted(statuses.items())),
    ]
    markdown = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "memory.md").write_text(markdown)
    print(markdown)
    if growth > TARGET_GROWTH:
        raise SystemExit(1)


LOAD_BEFORE = os.getloadavg()

if __name__ == "__main__":
    main()
