"""`make bench-peer`: this shop against django-oscar + django-oscar-api, same machine, same data size, same server.

Builds the peer's own virtual environment from PyPI (bench/oscar_peer/requirements.txt, under .data/peer/venv), a
minimal Oscar project (bench/oscar_peer/oscar_shop) on its own PostgreSQL database, seeds both shops with the same
number of products, starts both with the same server command (gunicorn + 2 uvicorn workers) and measures in
interleaved rounds, ours then the peer's for each operation:

- anonymous product detail (a random product of 1 000 per request),
- product list page 1 (20 per page on both),
- anonymous add-to-basket (a pool of anonymous baskets/carts, one unit added per request),
- one-item authenticated checkout (32 customers, each placing orders in a loop; Oscar's API needs two calls per
  order: add the product to the customer's basket, then check the basket out; ours takes the item in the order).

It prints and writes bench/results/peer.md: req/s (orders/s for checkout), p50, p99, errors, server CPU per
request and ours/peer per operation. Everything it starts it stops; the peer's database stays for the next run.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/peer.py [--products 100000] [--rounds 3] [--seconds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    RESULTS,
    ROOT,
    WrkResult,
    django_setup,
    free_port,
    run_wrk,
    server,
    server_cpu_seconds,
)

PEER = ROOT / "bench" / "oscar_peer"
PEER_VENV = ROOT / ".data" / "peer" / "venv"
PEER_PYTHON = PEER_VENV / "bin" / "python"
CUSTOMERS = 32
BASKETS = 64
SAMPLE = 1000
SERVER_ENV = {"DATABASE_CONN_MAX_AGE": "0", "DATABASE_POOL": "true", "JWT_ACCESS_MINUTES": "120"}
OPERATIONS = ("anonymous product detail", "product list page 1", "anonymous add-to-basket", "checkout, one item")

RANDOM_PATH_LUA = """
local paths = {%(paths)s}
math.randomseed(7)
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""

ROTATING_POST_LUA = """
local values = {%(values)s}
local body = '%(body)s'
local counter = 0
request = function()
  counter = counter + 1
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["%(header)s"] = values[(counter %% #values) + 1]
  return wrk.format("POST", "%(path)s", headers, body)
end
"""


def _lua_list(values: list[str]) -> str:
    return ", ".join(f'"{value}"' for value in values)


def peer_venv() -> None:
    """Create or refresh the peer's virtual environment when its requirements changed."""
    requirements = PEER / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = PEER_VENV / ".requirements-sha256"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("building the peer's virtual environment (django-oscar, django-oscar-api) …", flush=True)
    if not PEER_PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run([str(PEER_PYTHON), "-m", "pip", "install", "--quiet", "-r", str(requirements)], check=True)
    stamp.write_text(digest)


def peer_env() -> dict[str, str]:
    """The peer's database: a database of its own on the server in DATABASE_URL."""
    from urllib.parse import urlsplit

    url = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop"))
    return {
        **os.environ,
        "PYTHONPATH": str(PEER),
        "DJANGO_SETTINGS_MODULE": "oscar_shop.settings",
        "PEER_DATABASE_NAME": os.environ.get("PEER_DATABASE_NAME", "shop_peer"),
        "PEER_DATABASE_HOST": url.hostname or "127.0.0.1",
        "PEER_DATABASE_PORT": str(url.port or 5432),
        "PEER_DATABASE_USER": url.username or "postgres",
    }


def peer_prepare(products: int) -> dict[str, list]:
    env = peer_env()
    subprocess.run(
        [
            str(PEER_PYTHON),
            "-c",
            "import os, psycopg; from psycopg import sql\n"
            "name = os.environ['PEER_DATABASE_NAME']\n"
            "with psycopg.connect(host=os.environ['PEER_DATABASE_HOST'], port=os.environ['PEER_DATABASE_PORT'], "
            "user=os.environ['PEER_DATABASE_USER'], dbname='postgres', autocommit=True) as c:\n"
            "    if not c.execute('SELECT 1 FROM pg_database WHERE datname = %s', [name]).fetchone():\n"
            "        c.execute(sql.SQL('CREATE DATABASE {}').format(sql.Identifier(name)))\n",
        ],
        env=env,
        check=True,
    )
    subprocess.run([str(PEER_PYTHON), "-m", "django", "migrate", "-v0"], cwd=PEER, env=env, check=True)
    print(f"seeding the peer with {products:,} products (once) …", flush=True)
    completed = subprocess.run(
        [str(PEER_PYTHON), "seed.py", "--products", str(products), "--customers", str(CUSTOMERS)],
        cwd=PEER,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seeded: dict[str, list] = json.loads(completed.stdout.strip().splitlines()[-1])
    return seeded


@contextmanager
def peer_server(workers: int) -> Iterator[str]:
    port = free_port()
    command = [
        str(PEER_VENV / "bin" / "gunicorn"),
        "oscar_shop.asgi:application",
        "-k",
        "uvicorn.workers.UvicornWorker",
        "-w",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "/dev/null",
    ]
    log = tempfile.TemporaryFile()  # noqa: SIM115 - the server writes to it until it stops
    process = subprocess.Popen(command, cwd=PEER, env=peer_env(), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"peer server exited:\n{log.read().decode(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{base}/api/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def ours_prepare(products: int) -> dict[str, list[str]]:
    """Seed our shop to the same size; 1 000 products with ample stock, anonymous carts and customers' tokens."""
    os.environ.update(SERVER_ENV)
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    from carts.services import cart_item_add
    from catalog.models import Product
    from orders.management.commands.stress_orders import stress_buyers_create, stress_products_create

    call_command("migrate", verbosity=0)
    if Product.objects.count() < products:
        print(f"seeding ours with {products:,} products …", flush=True)
        call_command("seed_catalog", products=products, categories=60, seed=7, replace=True)
    run = f"peer{int(time.time())}"
    sample = [str(pk) for pk in Product.objects.filter(is_active=True).values_list("pk", flat=True)[:SAMPLE]]
    stocked = stress_products_create(count=100, stock=10_000_000, run_id=run)
    buyers = stress_buyers_create(count=CUSTOMERS, run_id=run)
    carts: list[str] = []
    for _ in range(BASKETS):
        token = cart_item_add(user=None, cart_token=None, product_id=stocked[0].pk, quantity=1).cart_token
        assert token is not None
        carts.append(token)
    connection.close()
    return {
        "sample": sample,
        "stocked": [str(product.pk) for product in stocked],
        "tokens": [token for _, token in buyers],
        "carts": carts,
    }


def vacuum_analyze() -> None:
    """``VACUUM (ANALYZE)`` both databases after seeding, as autovacuum would have in time: neither shop is measured
    with its freshly bulk-loaded tables unplanned (a table never analysed gets sequential scans)."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    env = peer_env()
    ours = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop").replace(
        "postgres://", "postgresql://", 1
    )
    peer = make_conninfo(
        host=env["PEER_DATABASE_HOST"],
        port=env["PEER_DATABASE_PORT"],
        user=env["PEER_DATABASE_USER"],
        dbname=env["PEER_DATABASE_NAME"],
    )
    for conninfo in (ours, peer):
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute("VACUUM (ANALYZE)")


def peer_sessions(base: str, product_id: int) -> list[str]:
    """BASKETS anonymous Oscar sessions, each with a basket holding one line already."""
    cookies = []
    body = json.dumps({"url": f"{base}/api/products/{product_id}/", "quantity": 1})
    for _ in range(BASKETS):
        with httpx.Client() as client:
            answer = client.post(
                f"{base}/api/basket/add-product/", content=body, headers={"Content-Type": "application/json"}
            )
            answer.raise_for_status()
            cookies.append(f"sessionid={client.cookies['sessionid']}")
    return cookies


@dataclass
class LoopResult:
    done: int = 0
    errors: int = 0
    latencies: list[float] | None = None


async def _customers(
    place: Callable[[httpx.AsyncClient, str, int], Awaitable[bool]], tokens: list[str], seconds: float
) -> LoopResult:
    """Each customer places one-item orders back to back for ``seconds``; counts orders, errors and latencies."""
    result = LoopResult(latencies=[])
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))

    async def customer(client: httpx.AsyncClient, token: str, index: int) -> None:
        rng = random.Random(index)
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                ok = await place(client, token, rng.randrange(1_000_000))
            except httpx.HTTPError:
                ok = False
            if ok:
                result.done += 1
                assert result.latencies is not None
                result.latencies.append(time.monotonic() - started)
            else:
                result.errors += 1

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await asyncio.gather(*(customer(client, token, n) for n, token in enumerate(tokens)))
    return result


def checkout_ours(base: str, data: dict[str, list[str]]) -> Callable[[httpx.AsyncClient, str, int], Awaitable[bool]]:
    stocked = data["stocked"]

    async def place(client: httpx.AsyncClient, token: str, pick: int) -> bool:
        answer = await client.post(
            f"{base}/api/v1/orders/",
            json={"items": [{"product_id": stocked[pick % len(stocked)], "quantity": 1}]},
            headers={"Authorization": f"Bearer {token}"},
        )
        return answer.status_code == 201

    return place


def checkout_peer(base: str, product_ids: list[int]) -> Callable[[httpx.AsyncClient, str, int], Awaitable[bool]]:
    address = {
        "country": f"{base}/api/countries/NL/",
        "first_name": "Bench",
        "last_name": "Customer",
        "line1": "Street 1",
        "line4": "Town",
        "postcode": "1234AB",
    }

    async def place(client: httpx.AsyncClient, token: str, pick: int) -> bool:
        headers = {"Authorization": f"Token {token}"}
        product = product_ids[pick % len(product_ids)]
        basket = await client.post(
            f"{base}/api/basket/add-product/",
            json={"url": f"{base}/api/products/{product}/", "quantity": 1},
            headers=headers,
        )
        if basket.status_code != 200:
            return False
        order = await client.post(
            f"{base}/api/checkout/",
            json={"basket": basket.json()["url"], "shipping_address": address},
            headers=headers,
        )
        return order.status_code == 200

    return place


def measure_loop(
    name: str, place: Callable[[httpx.AsyncClient, str, int], Awaitable[bool]], tokens: list[str], seconds: int
) -> WrkResult:
    asyncio.run(_customers(place, tokens, 2))  # warm-up, not recorded
    started = time.monotonic()
    outcome = asyncio.run(_customers(place, tokens, seconds))
    elapsed = time.monotonic() - started
    latencies = sorted(outcome.latencies or [0.0])
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return WrkResult(
        name, outcome.done / elapsed, statistics.median(latencies) * 1000, p99 * 1000, outcome.done, outcome.errors
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    peer_venv()
    peer_data = peer_prepare(args.products)
    ours = ours_prepare(args.products)
    vacuum_analyze()
    peer_ids: list[int] = peer_data["product_ids"]

    runs: dict[tuple[str, str], list[WrkResult]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    with server(workers=args.workers, env=SERVER_ENV) as our_base, peer_server(args.workers) as peer_base:
        peer_cookies = peer_sessions(peer_base, peer_ids[0])
        our_port, peer_port = int(our_base.rsplit(":", 1)[1]), int(peer_base.rsplit(":", 1)[1])
        wrk = {"connections": args.connections, "duration_s": args.seconds}
        scenarios: dict[str, dict[str, Callable[[], WrkResult]]] = {
            OPERATIONS[0]: {
                "ours": lambda: run_wrk(
                    "ours",
                    our_base,
                    lua=RANDOM_PATH_LUA % {"paths": _lua_list([f"/api/v1/products/{pk}/" for pk in ours["sample"]])},
                    **wrk,
                ),
                "peer": lambda: run_wrk(
                    "peer",
                    peer_base,
                    lua=RANDOM_PATH_LUA % {"paths": _lua_list([f"/api/products/{pk}/" for pk in peer_ids])},
                    **wrk,
                ),
            },
            OPERATIONS[1]: {
                "ours": lambda: run_wrk("ours", f"{our_base}/api/v1/products/?page=1", **wrk),
                "peer": lambda: run_wrk("peer", f"{peer_base}/api/products/?page=1", **wrk),
            },
            OPERATIONS[2]: {
                "ours": lambda: run_wrk(
                    "ours",
                    f"{our_base}/api/v1/cart/items/",
                    lua=ROTATING_POST_LUA
                    % {
                        "values": _lua_list(ours["carts"]),
                        "header": "X-Cart-Token",
                        "body": json.dumps({"product_id": ours["stocked"][0], "quantity": 1}),
                        "path": "/api/v1/cart/items/",
                    },
                    **wrk,
                ),
                "peer": lambda: run_wrk(
                    "peer",
                    f"{peer_base}/api/basket/add-product/",
                    lua=ROTATING_POST_LUA
                    % {
                        "values": _lua_list(peer_cookies),
                        "header": "Cookie",
                        "body": json.dumps({"url": f"{peer_base}/api/products/{peer_ids[0]}/", "quantity": 1}),
                        "path": "/api/basket/add-product/",
                    },
                    **wrk,
                ),
            },
            OPERATIONS[3]: {
                "ours": lambda: measure_loop("ours", checkout_ours(our_base, ours), ours["tokens"], args.seconds),
                "peer": lambda: measure_loop(
                    "peer", checkout_peer(peer_base, peer_ids), peer_data["tokens"], args.seconds
                ),
            },
        }
        for round_number in range(args.rounds):
            for operation, sides in scenarios.items():
                for side, run in sides.items():
                    print(f"round {round_number + 1}: {operation} — {side}", flush=True)
                    port = our_port if side == "ours" else peer_port
                    before = server_cpu_seconds(port)
                    result = run()
                    runs.setdefault((operation, side), []).append(result)
                    if result.requests:
                        cpu.setdefault((operation, side), []).append(
                            (server_cpu_seconds(port) - before) * 1000 / result.requests
                        )

    write(args, runs, cpu)


def _median(results: list[WrkResult]) -> WrkResult:
    ordered = sorted(results, key=lambda result: result.requests_per_second)
    middle = ordered[len(ordered) // 2]
    errors = sum(result.errors for result in results)
    return WrkResult(middle.name, middle.requests_per_second, middle.p50_ms, middle.p99_ms, middle.requests, errors)


def write(
    args: argparse.Namespace, runs: dict[tuple[str, str], list[WrkResult]], cpu: dict[tuple[str, str], list[float]]
) -> None:
    lines = [
        "# This shop vs django-oscar + django-oscar-api",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs, {args.products:,} products "
        f"in each shop, both served by gunicorn + {args.workers} uvicorn workers on the same machine and "
        "PostgreSQL; operations interleaved (ours, then the peer's), "
        f"{args.rounds} rounds of {args.seconds} s, median round shown (errors summed over the rounds).",
        "",
        "| operation | ours req/s | peer req/s | ours / peer | ours p50 / p99 (ms) | peer p50 / p99 (ms) "
        "| errors ours / peer | server CPU per request ours / peer (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ratios = []
    for operation in OPERATIONS:
        our, peer = _median(runs[(operation, "ours")]), _median(runs[(operation, "peer")])
        ratio = our.requests_per_second / peer.requests_per_second if peer.requests_per_second else 0.0
        ratios.append(ratio)
        our_cpu = statistics.mean(cpu.get((operation, "ours"), [0.0]))
        peer_cpu = statistics.mean(cpu.get((operation, "peer"), [0.0]))
        lines.append(
            f"| {operation} | {our.requests_per_second:,.0f} | {peer.requests_per_second:,.0f} | {ratio:.1f}× "
            f"| {our.p50_ms:.0f} / {our.p99_ms:.0f} | {peer.p50_ms:.0f} / {peer.p99_ms:.0f} "
            f"| {our.errors} / {peer.errors} | {our_cpu:.1f} / {peer_cpu:.1f} |"
        )
    geometric = statistics.geometric_mean(ratios) if all(ratios) else 0.0
    lines += [
        "",
        f"Geometric mean of ours / peer: {geometric:.1f}×.",
        "",
        "Load: wrk (2 threads, "
        f"{args.connections} connections) for the reads and the add-to-basket; checkout by {CUSTOMERS} customers "
        "in a Python (httpx) loop, each placing one-item orders back to back (req/s there is orders/s; the "
        "peer's API needs two calls per order: add to the customer's basket, then check it out). Detail: a "
        f"random product of {SAMPLE:,} per request (ours answers from its catalog cache after the first read of "
        f"each). Add-to-basket: {BASKETS} anonymous baskets (Oscar sessions / our cart tokens) in turn, one unit "
        "per request. The peer: django-oscar 4.2.1 + django-oscar-api 3.3.0 on Django 5.2, DEBUG off, JSON "
        "renderer only, a psycopg pool per process (as ours), token authentication "
        "(bench/oscar_peer/oscar_shop/settings.py).",
    ]
    markdown = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "peer.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
