"""Server choice: granian against gunicorn + uvicorn workers, the same application on the same data, same run.

Both servers run side by side with the same number of worker processes (``--workers``, default 2) on
``config.asgi:application`` (``config.settings.bench``), and wrk drives each scenario on one, then the other, in
interleaved rounds (medians reported):
(a) the floor (``bench/floor/``: constant JSON through the whole middleware stack);
(b) a cached anonymous product detail;
(c) an uncached filtered product list (a random price bound per request);
(d) order placement: an authenticated ``POST /api/v1/orders/`` of one unit of one of 50 products (no hot row).
Granian runs its ASGI interface without lifespan (Django has none), on uvloop like uvicorn, one runtime thread per
worker, failed workers respawned. Then each server, started afresh, goes through the same robustness checks: a
worker killed (SIGKILL), a worker hung (SIGSTOP: its event loop no longer runs), a graceful reload (SIGHUP) under
a steady stream of requests, and a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``. Writes bench/results/servers.md;
the chosen server's properties are pinned by tests/server/.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/servers.py [--duration 6] [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog import FILTERED_LUA
from bench.common import PYTHON, RESULTS, ROOT, WrkResult, django_setup, fetch, free_port, run_wrk

SETTINGS = "config.settings.bench"
SERVER_ENV = {"DJANGO_SETTINGS_MODULE": SETTINGS, "JWT_ACCESS_MINUTES": "120"}
SERVERS = ("gunicorn + uvicorn", "granian")


def order_lua(token: str, product_ids: list[str]) -> str:
    ids = ", ".join(json.dumps(pk) for pk in product_ids)
    return f"""
math.randomseed(os.time())
local ids = {{{ids}}}
request = function()
  local body = '{{"items": [{{"product_id": "' .. ids[math.random(#ids)] .. '", "quantity": 1}}]}}'
  return wrk.format("POST", "/api/v1/orders/", {{["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer {token}"}}, body)
end
"""


def granian_command(port: int, workers: int) -> list[str]:
    return [
        str(Path(PYTHON).with_name("granian")),
        "--interface",
        "asginl",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--no-ws",
        "--respawn-failed-workers",
        "--log-level",
        "warning",
        "config.asgi:application",
    ]


def gunicorn_command(port: int) -> list[str]:
    return [
        str(Path(PYTHON).with_name("gunicorn")),
        "config.asgi:application",
        "-c",
        "config/gunicorn.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "/dev/null",
    ]


@contextmanager
def serve(kind: str, *, workers: int, env: Mapping[str, str]) -> Iterator[tuple[str, psutil.Process]]:
    """Start ``kind`` and yield its base URL and master process (its workers are the master's children)."""
    port = free_port()
    metrics_dir = tempfile.mkdtemp(prefix="bench-metrics-")
    process_env = {
        **os.environ,
        **SERVER_ENV,
        **env,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        # gunicorn's on_starting sets it; granian has no hook, so both get a fresh directory here.
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
    }
    command = gunicorn_command(port) if kind.startswith("gunicorn") else granian_command(port, workers)
    log = tempfile.TemporaryFile()  # noqa: SIM115 - outlives this block's set-up: the server writes to it
    process = subprocess.Popen(command, cwd=ROOT, env=process_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"{kind} did not start:\n{log.read().decode(errors='replace')[-5000:]}")
            try:
                fetch(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.3)
        yield base, psutil.Process(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def cpu_seconds(master: psutil.Process) -> float:
    total = 0.0
    for process in [master, *master.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def _prepare() -> tuple[str, str, list[str]]:
    """An active product id (detail), a buyer's token and 50 products with stock to spare (orders)."""
    os.environ.update(SERVER_ENV)  # the token's lifetime outlasts the run
    django_setup(SETTINGS)
    from django.db import connection

    from catalog.models import Product
    from orders.management.commands.stress_orders import stress_buyers_create, stress_products_create

    product = Product.objects.filter(is_active=True).order_by("created_at").only("pk").first()
    assert product is not None
    run_id = f"servers{int(time.time())}"
    products = stress_products_create(count=50, stock=10_000_000, run_id=run_id)
    ((_, token),) = stress_buyers_create(count=1, run_id=run_id)
    connection.close()
    return str(product.pk), token, [str(p.pk) for p in products]


def _status(
    base: str, method: str = "GET", path: str = "/healthz", body: bytes | None = None, timeout: float = 3
) -> str:
    """One request on a connection of its own: the status, or the error's name."""
    port = int(base.rpartition(":")[2])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return str(response.status)
    except OSError as exc:
        return type(exc).__name__
    finally:
        connection.close()


def _workers(master: psutil.Process) -> set[int]:
    return {child.pid for child in master.children()}


def _replaced(base: str, master: psutil.Process, gone: set[int], *, count: int, within: float) -> float | None:
    """Seconds until the server has ``count`` workers, none of ``gone``, answering; None if not within ``within``."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        current = _workers(master)
        if len(current) == count and not current & gone and all(_status(base) == "200" for _ in range(6)):
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def robustness(kind: str, workers: int) -> dict[str, str]:
    """The same four checks against a fresh ``kind`` server."""
    env = {"GUNICORN_TIMEOUT": "5"}
    found: dict[str, str] = {}
    with serve(kind, workers=workers, env=env) as (base, master):
        victim = min(_workers(master))
        os.kill(victim, signal.SIGKILL)
        seconds = _replaced(base, master, {victim}, count=workers, within=30)
        found["worker killed"] = "not replaced in 30 s" if seconds is None else f"replaced in {seconds:.1f} s"

        victim = min(_workers(master), key=lambda pid: psutil.Process(pid).create_time())
        os.kill(victim, signal.SIGSTOP)
        time.sleep(2)
        during = [_status(base, timeout=2) for _ in range(20)]
        seconds = _replaced(base, master, {victim}, count=workers, within=25)
        lost = sum(1 for status in during if status != "200")
        found["worker hung"] = f"{lost}/20 requests lost while hung; " + (
            "not replaced in 27 s" if seconds is None else f"killed and replaced {seconds + 2:.1f} s after"
        )
        if psutil.pid_exists(victim):
            os.kill(victim, signal.SIGKILL)
            _replaced(base, master, {victim}, count=workers, within=30)

        statuses: list[str] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                statuses.append(_status(base, timeout=10))

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1)
        before = _workers(master)
        master.send_signal(signal.SIGHUP)
        seconds = _replaced(base, master, before, count=workers, within=40)
        time.sleep(1)
        stop.set()
        for thread in threads:
            thread.join()
        failed = sum(1 for status in statuses if status != "200")
        found["reload (SIGHUP) under load"] = f"{failed} of {len(statuses)} requests failed; " + (
            "workers not all replaced in 40 s" if seconds is None else f"all workers replaced in {seconds:.1f} s"
        )

        body = b'{"padding": "' + b"x" * (2 * 1024 * 1024 + 1) + b'"}'
        found["body over 2 MiB"] = _status(base, "POST", "/api/v1/auth/register/", body, timeout=30)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=6, help="seconds per scenario, server and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    parser.add_argument("--skip-robustness", action="store_true")
    args = parser.parse_args()

    product_id, token, order_products = _prepare()
    scenarios: list[tuple[str, str, str | None]] = [
        ("floor", "/bench/floor/", None),
        ("cached product detail", f"/api/v1/products/{product_id}/", None),
        ("uncached filtered list", "/api/v1/products/", FILTERED_LUA),
        ("order placement", "/api/v1/orders/", order_lua(token, order_products)),
    ]
    runs: dict[tuple[str, str], list[WrkResult]] = {}
    cpu_ms: dict[tuple[str, str], list[float]] = {}
    with ExitStack() as stack:
        servers = {kind: stack.enter_context(serve(kind, workers=args.workers, env={})) for kind in SERVERS}
        for base, _ in servers.values():
            fetch(f"{base}{scenarios[1][1]}")  # fill the cache
        for _ in range(args.rounds):
            for name, path, lua in scenarios:
                for kind, (base, master) in servers.items():
                    print(f"→ {name} on {kind}", flush=True)
                    before = cpu_seconds(master)
                    result = run_wrk(
                        name, f"{base}{path}", lua=lua, connections=args.connections, duration_s=args.duration
                    )
                    runs.setdefault((name, kind), []).append(result)
                    if result.requests:
                        cpu_ms.setdefault((name, kind), []).append(
                            (cpu_seconds(master) - before) * 1000 / result.requests
                        )

    def median(key: tuple[str, str]) -> WrkResult:
        ordered = sorted(runs[key], key=lambda result: result.requests_per_second)
        return ordered[len(ordered) // 2]

    def cpu(key: tuple[str, str]) -> float:
        values = cpu_ms.get(key, [])
        return sum(values) / len(values) if values else float("nan")

    lines = [
        "# Server: granian against gunicorn + uvicorn workers",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs: both servers up side by side, "
        f"{args.workers} worker processes each, `config.settings.bench` on the same database and Redis; wrk at "
        f"{args.connections} connections, {args.rounds} interleaved rounds of {args.duration} s per scenario and "
        "server, medians. Server CPU is the master's and its workers' CPU time per request.",
        "",
        "| scenario | gunicorn + uvicorn req/s | p50 / p99 (ms) | CPU ms/req | granian req/s | p50 / p99 (ms) "
        "| CPU ms/req | granian ÷ gunicorn | errors (g / gr) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ratios = []
    for name, _, _ in scenarios:
        gun, gra = median((name, SERVERS[0])), median((name, SERVERS[1]))
        ratio = gra.requests_per_second / gun.requests_per_second if gun.requests_per_second else 0.0
        ratios.append(ratio)
        errors = (
            sum(r.errors for r in runs[(name, SERVERS[0])]),
            sum(r.errors for r in runs[(name, SERVERS[1])]),
        )
        lines.append(
            f"| {name} | {gun.requests_per_second:,.0f} | {gun.p50_ms:.1f} / {gun.p99_ms:.1f} "
            f"| {cpu((name, SERVERS[0])):.2f} | {gra.requests_per_second:,.0f} | {gra.p50_ms:.1f} / {gra.p99_ms:.1f} "
            f"| {cpu((name, SERVERS[1])):.2f} | {ratio:.2f} | {errors[0]} / {errors[1]} |"
        )
    geomean = 1.0
    for ratio in ratios:
        geomean *= ratio
    geomean **= 1 / len(ratios)
    lines += ["", f"Geometric mean of granian ÷ gunicorn over the four scenarios: **{geomean:.2f}**."]
    if not args.skip_robustness:
        checks = {kind: robustness(kind, args.workers) for kind in SERVERS}
        lines += [
            "",
            "Robustness, each server started afresh with 2 workers (gunicorn: `GUNICORN_TIMEOUT=5`; granian: "
            "`--respawn-failed-workers`); requests on connections of their own:",
            "",
            f"| check | {SERVERS[0]} | {SERVERS[1]} |",
            "|---|---|---|",
            *(f"| {name} | {checks[SERVERS[0]][name]} | {checks[SERVERS[1]][name]} |" for name in checks[SERVERS[0]]),
        ]
    markdown = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "servers.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
