"""Middleware stack benchmark: the project's floor view against a minimal Django project's, served the same way.

Three servers, each gunicorn + uvicorn workers (the production command and configuration), run side by side and
are driven in interleaved rounds by wrk at 32 connections:
(a) a minimal Django project (bench/minimal_settings.py: no app, no middleware) answering the floor's constant JSON
    from an async view — the baseline;
(b) the project's floor view (``bench/floor/``, same body) through the project's whole middleware stack;
(c) the same view through the stack as it was, Django's stock ``MiddlewareMixin`` classes
    (bench/legacy_middleware_settings.py), each of which hops to a thread twice per request under ASGI.
Target: (b) at least 0.8 times (a). Writes bench/results/stack.md.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/stack.py [--duration 6] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import WrkResult, fetch, run_wrk, server, server_cpu_seconds, write_report

MINIMAL = "minimal Django floor (no middleware)"
PROJECT = "project floor (its middleware)"
LEGACY = "project floor, Django's stock middleware"
TARGET = 0.8


def median_runs(runs: list[WrkResult]) -> WrkResult:
    ordered = sorted(runs, key=lambda result: result.requests_per_second)
    middle = ordered[len(ordered) // 2]
    return WrkResult(
        middle.name,
        middle.requests_per_second,
        middle.p50_ms,
        middle.p99_ms,
        sum(result.requests for result in runs),
        sum(result.errors for result in runs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=6, help="seconds per scenario and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians reported")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    args = parser.parse_args()

    with ExitStack() as stack:
        bases = {
            MINIMAL: stack.enter_context(
                server(
                    settings_module="bench.minimal_settings", app="bench.minimal_asgi:application", workers=args.workers
                )
            ),
            PROJECT: stack.enter_context(server(workers=args.workers)),
            LEGACY: stack.enter_context(
                server(settings_module="bench.legacy_middleware_settings", workers=args.workers)
            ),
        }
        bodies = {name: fetch(f"{base}/bench/floor/")[2] for name, base in bases.items()}
        if len(set(bodies.values())) != 1:
            raise SystemExit(f"the floor views answer different bodies: {bodies}")
        runs: dict[str, list[WrkResult]] = {name: [] for name in bases}
        cpu_ms: dict[str, list[float]] = {name: [] for name in bases}
        for _ in range(args.rounds):
            for name, base in bases.items():
                print(f"→ {name}", flush=True)
                port = int(base.rpartition(":")[2])
                before = server_cpu_seconds(port)
                result = run_wrk(name, f"{base}/bench/floor/", connections=args.connections, duration_s=args.duration)
                runs[name].append(result)
                if result.requests:
                    cpu_ms[name].append((server_cpu_seconds(port) - before) * 1000 / result.requests)

    results = [median_runs(runs[name]) for name in bases]
    cpu = {name: sum(values) / len(values) for name, values in cpu_ms.items() if values}
    write_report(
        stem="stack",
        title="Middleware stack: the project's floor view against a minimal Django project",
        results=results,
        baseline=MINIMAL,
        targets={PROJECT: TARGET},
        notes=[
            f"Three servers, each gunicorn + {args.workers} uvicorn workers, driven in {args.rounds} interleaved "
            f"rounds of {args.duration} s by wrk at {args.connections} connections; medians. All three answer "
            "the same constant JSON body from an async view.",
            "",
            "Server CPU per request (less sensitive to other load on the machine than req/s): "
            + ", ".join(f"{name} {value:.2f} ms" for name, value in cpu.items())
            + (
                f"; CPU-bound ratio of the project's floor to the minimal one: {cpu[MINIMAL] / cpu[PROJECT]:.2f}."
                if MINIMAL in cpu and PROJECT in cpu
                else "."
            ),
            "",
            "The project's stack is async-native (`api/async_middleware.py`, `api/hybrid_middleware.py`): no "
            "middleware hops to a thread on an API request (`tests/api/test_async_stack.py` counts the hops "
            "through Django's ASGI handler). Django's stock middleware (c) hops to a thread for each "
            "`process_request` and `process_response` under ASGI.",
        ],
    )


if __name__ == "__main__":
    main()
