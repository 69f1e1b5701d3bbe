"""What the metrics cost: the catalog floor and the cached product detail with ``METRICS_ENABLED`` on and off; and
what the traces and error reports cost when they are off: the floor with their code present but off (the default)
and without it.

Two servers with the same configuration (gunicorn + uvicorn workers, ``config.settings.bench``) run side by side,
one with the metrics middleware and one without; only one is driven at a time. The four scenarios run interleaved
in rounds, and each row is its median round, so both sides are measured under the same conditions. The cost is
what the metrics add to a request: the server's CPU per request with metrics on over the same without (the
verdict; on a shared machine it is steadier than throughput), and the throughput lost. Target: ≤ 5 %.
A third server, metrics on, runs ``bench/asgi_without_observability.py`` (``config/asgi.py`` without its call to
``config.observability.configure``): its floor, in the same interleaved rounds, against the metrics-on server's
floor is what OpenTelemetry and Sentry cost when their endpoints are unset (target: nothing measurable).
Writes bench/results/observability.md.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/observability.py [--products 100000] [--duration 6]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalog import _prepare
from bench.common import PYTHON, RESULTS, ROOT, WrkResult, django_setup, fetch, run_wrk, server, server_cpu_seconds

TARGET = 0.05
SIDES = ("on", "off")
# The floor of a server without the traces/error reports set-up at all (metrics on, as on the "on" side).
ABSENT = "absent"
ABSENT_APP = "bench.asgi_without_observability:application"
CALLS = 50_000


def _middleware_microseconds() -> tuple[float, float]:
    """The metrics' own work per request in multi-process mode, in microseconds, timed in a process of its own: the
    middleware (in-flight gauge, counter, histogram) around a view that does nothing, and what the catalog's fast
    path records for a cache hit answered before Django (the cache counter, the request counter and histogram)."""
    with tempfile.TemporaryDirectory() as directory:
        completed = subprocess.run(
            [PYTHON, __file__, "--in-process"],
            env={
                **os.environ,
                "PROMETHEUS_MULTIPROC_DIR": directory,
                "DJANGO_SETTINGS_MODULE": "config.settings.bench",
            },
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
    middleware, fast_path = completed.stdout.strip().splitlines()[-1].split()
    return float(middleware), float(fast_path)


def _time_middleware() -> None:
    django_setup()
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from api.metrics import MetricsMiddleware, request_observe
    from catalog.metrics import cache_request_counted

    request = RequestFactory().get(f"/api/v1/products/{uuid.uuid4()}/")
    request.resolver_match = resolve(request.path_info)
    answer = HttpResponse()
    middleware = MetricsMiddleware(lambda request: answer)
    for _ in range(2_000):
        middleware.sync_call(request)
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(CALLS):
            middleware.sync_call(request)
        rounds.append((time.perf_counter() - started) / CALLS * 1e6)

    def fast_path_hit() -> None:  # what catalog/api/fastpath.py records for one hit with metrics on
        began = time.perf_counter()
        cache_request_counted("product_detail", hit=True)
        request_observe("/api/v1/products/{pk}/", "GET", 200, time.perf_counter() - began)

    fast_rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(CALLS):
            fast_path_hit()
        fast_rounds.append((time.perf_counter() - started) / CALLS * 1e6)
    print(f"{median(rounds):.3f} {median(fast_rounds):.3f}")


def _server(
    stack: ExitStack, *, metrics: bool, workers: int, port: int | None, app: str = "config.asgi:application"
) -> str:
    if port is not None:
        os.environ["BENCH_PORT"] = str(port)
    return stack.enter_context(
        server(workers=workers, env={"METRICS_ENABLED": "true" if metrics else "false"}, app=app)
    )


def _key(name: str, side: str) -> str:
    return f"{name}, traces and error reports code absent" if side == ABSENT else f"{name}, metrics {side}"


def _servers(stack: ExitStack, *, workers: int, first_port: int | None) -> dict[str, str]:
    """The three servers of a round: metrics on, metrics off, and traces/error reports code absent (metrics on)."""
    bases = {
        side: _server(
            stack, metrics=side == "on", workers=workers, port=None if first_port is None else first_port + index
        )
        for index, side in enumerate(SIDES)
    }
    bases[ABSENT] = _server(
        stack,
        metrics=True,
        workers=workers,
        port=None if first_port is None else first_port + len(SIDES),
        app=ABSENT_APP,
    )
    return bases


def _scenario_groups(bases: dict[str, str], product_id: str) -> dict[str, list[tuple[str, str, str]]]:
    """``{scenario: [(scenario, side, url)...]}``: the floor on every server, the cached detail (warmed) on two."""
    scenarios = []
    for side, base in bases.items():
        if side == ABSENT:
            scenarios.append(("floor", side, f"{base}/bench/floor/"))
            continue
        detail = f"{base}/api/v1/products/{product_id}/"
        fetch(detail)  # fill the cache
        status, headers, _ = fetch(detail)
        if status != 200 or headers.get("X-Cache") != "HIT":
            raise SystemExit(f"cache not warm for {detail}: {status} {headers}")
        scenarios += [("floor", side, f"{base}/bench/floor/"), ("cached detail", side, detail)]
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for scenario in scenarios:
        groups.setdefault(scenario[0], []).append(scenario)  # floor: on, off, absent; detail: on, off
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duration", type=int, default=6, help="seconds per scenario and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process:
        _time_middleware()
        return

    product_id = _prepare(args.products, args.seed)
    # BENCH_PORT set: the three servers take it and the next two ports (to stay within a given range).
    first_port = int(os.environ["BENCH_PORT"]) if os.environ.get("BENCH_PORT") else None
    runs: dict[str, list[WrkResult]] = {}
    cpu_ms: dict[str, list[float]] = {}
    for round_index in range(args.rounds):
        # Fresh servers every round: whatever one process is faster or slower by (its place in memory, its hash
        # seed) is drawn again each round instead of following one side through the whole run.
        with ExitStack() as stack:
            bases = _servers(stack, workers=args.workers, first_port=first_port)
            groups = _scenario_groups(bases, product_id)
            # Each round starts each group with another side: no side always runs first (after a warm machine).
            ordered = [
                scenario
                for group in groups.values()
                for scenario in group[round_index % len(group) :] + group[: round_index % len(group)]
            ]
            for name, side, url in ordered:
                key = _key(name, side)
                print(f"→ round {round_index + 1}: {key}", flush=True)
                port = int(bases[side].rsplit(":", 1)[1])
                before = server_cpu_seconds(port)
                result = run_wrk(key, url, connections=args.connections, duration_s=args.duration)
                runs.setdefault(key, []).append(result)
                if result.requests:
                    cpu_ms.setdefault(key, []).append((server_cpu_seconds(port) - before) * 1000 / result.requests)

    middleware_us, fast_path_us = _middleware_microseconds()
    floor_off_ms = median(cpu_ms.get("floor, metrics off", [0.0]))
    detail_off_ms = median(cpu_ms.get("cached detail, metrics off", [0.0]))
    share = (
        f", {middleware_us / 1000 / floor_off_ms:.1%} of the floor's CPU per request without metrics"
        if floor_off_ms
        else ""
    )
    fast_share = (
        f", {fast_path_us / 1000 / detail_off_ms:.1%} of the cached detail's CPU per request without metrics"
        if detail_off_ms
        else ""
    )
    lines = [
        f"# Metrics cost: METRICS_ENABLED on vs off, {args.connections} connections, {args.workers} workers",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs; three servers of the same "
        f"configuration side by side, started afresh for each of {args.rounds} interleaved rounds (each starting "
        f"with another side) of "
        f"{args.duration} s per scenario (after a 2 s warm-up each), median round per row.",
        "",
        "| scenario | req/s on | req/s off | throughput cost | CPU/request on (ms) | off (ms) | CPU cost "
        "| target | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("floor", "cached detail"):
        on, off = (runs[f"{name}, metrics {side}"] for side in SIDES)
        rps_on = median(result.requests_per_second for result in on)
        rps_off = median(result.requests_per_second for result in off)
        cpu_on, cpu_off = (median(cpu_ms.get(f"{name}, metrics {side}", [0.0])) for side in SIDES)
        throughput_cost = 1 - rps_on / rps_off if rps_off else 0.0
        cpu_cost = cpu_on / cpu_off - 1 if cpu_off else 0.0
        held = cpu_cost <= TARGET
        errors = sum(result.errors for result in (*on, *off))
        lines.append(
            f"| {name} | {rps_on:,.0f} | {rps_off:,.0f} | {throughput_cost:+.1%} | {cpu_on:.3f} | {cpu_off:.3f} "
            f"| {cpu_cost:+.1%} | metrics cost ≤ {TARGET:.0%} {'✅' if held else '❌'} | {errors} |"
        )
    floor_on = runs[_key("floor", "on")]
    floor_absent = runs[_key("floor", ABSENT)]
    rps_on = median(result.requests_per_second for result in floor_on)
    rps_absent = median(result.requests_per_second for result in floor_absent)
    cpu_on = median(cpu_ms.get(_key("floor", "on"), [0.0]))
    cpu_absent = median(cpu_ms.get(_key("floor", ABSENT), [0.0]))
    lines += [
        "",
        "Traces and error reports off (`OTEL_EXPORTER_OTLP_ENDPOINT` and `SENTRY_DSN` unset, the default) against "
        "their code absent (`bench/asgi_without_observability.py`: `config/asgi.py` without "
        "`config.observability.configure`), metrics on for both, same rounds:",
        "",
        "| scenario | req/s off | req/s absent | throughput cost | CPU/request off (ms) | absent (ms) | CPU cost "
        "| errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| floor | {rps_on:,.0f} | {rps_absent:,.0f} "
        f"| {(1 - rps_on / rps_absent if rps_absent else 0.0):+.1%} | {cpu_on:.3f} | {cpu_absent:.3f} "
        f"| {(cpu_on / cpu_absent - 1 if cpu_absent else 0.0):+.1%} "
        f"| {sum(result.errors for result in (*floor_on, *floor_absent))} |",
    ]
    lines += [
        "",
        f"The middleware's own work, timed in process around a view that does nothing (multi-process mode, "
        f"{CALLS:,} calls, median of 5): {middleware_us:.1f} µs per request" + share + ". What the fast path "
        f"records for a cached hit answered before Django, timed the same way: {fast_path_us:.1f} µs per request"
        + fast_share
        + ". These in-process figures are the metrics' own cost; the side-by-side servers' CPU per request also "
        "carries each server's own variation from run to run, several per cent on this shared machine (a negative "
        "cost in the table is that variation).",
        "",
        "The cost of a scenario is the server CPU per request with metrics on over the same with metrics off, minus "
        "one (the verdict), and beside it the throughput lost (1 − req/s on ÷ req/s off), which moves more with "
        "other load on the machine. `on`: the metrics middleware (route template, method and status class "
        "counted, the latency histogram, the in-flight gauge) in multi-process mode, as in production; `off`: "
        "`METRICS_ENABLED=false`, the middleware out of the stack.",
        "Server: gunicorn + uvicorn workers (`config/gunicorn.py`), settings `config.settings.bench` (DEBUG off, "
        "JSON renderer, throttles on with unreachable limits); the cached detail is an anonymous JSON GET answered "
        "from the catalog cache.",
    ]
    markdown = "\n".join(lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "observability.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
