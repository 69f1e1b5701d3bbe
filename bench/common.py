"""Shared benchmark plumbing: run the real server (gunicorn + uvicorn workers), drive it with wrk, report.

Every bench measures its baseline in the same run and reports ratios to it, so results compare across machines.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable


@dataclass(frozen=True)
class WrkResult:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


_ports_given = itertools.count()


def free_port(offset: int = 0) -> int:
    """``BENCH_PORT`` (+ ``offset``, for a second server) when set; else a free port of ``BENCH_PORTS``
    (``first-last``, for benches running several servers at once within a given range; each call moves on, so two
    servers starting together never pick the same one); else any free port."""
    if os.environ.get("BENCH_PORT"):
        return int(os.environ["BENCH_PORT"]) + offset
    if os.environ.get("BENCH_PORTS"):
        return free_port_in(os.environ["BENCH_PORTS"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_in(span: str) -> int:
    """A free port of ``span`` (``first-last``); each call moves on, so two servers starting together never pick
    the same one."""
    first, _, last = span.partition("-")
    ports = range(int(first), int(last or first) + 1)
    for _ in ports:
        port = ports[next(_ports_given) % len(ports)]
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {span}")


def django_setup(settings_module: str = "config.settings.bench") -> None:
    """Use Django in this process (e.g. to seed or pick ids) with the same settings as the server."""
    import django

    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    django.setup()


@contextmanager
def server(
    *,
    settings_module: str = "config.settings.bench",
    workers: int = 2,
    env: Mapping[str, str] | None = None,
    app: str = "config.asgi:application",
    port_offset: int = 0,
) -> Iterator[str]:
    """Start gunicorn with uvicorn workers (the production command) serving ``app`` and yield its base URL."""
    port = free_port(port_offset)
    process_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        **(env or {}),
    }
    command = [
        str(Path(PYTHON).with_name("gunicorn")),
        app,
        "-c",
        "config/gunicorn.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "/dev/null",
    ]
    log = tempfile.TemporaryFile()  # noqa: SIM115 - must outlive this block: the server writes to it
    process = subprocess.Popen(command, cwd=ROOT, env=process_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/healthz", process, log)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server exited early:\n{log.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within 30 s")


def fetch(url: str, headers: Mapping[str, str] | None = None) -> tuple[int, Message, bytes]:
    """GET ``url``: status, headers (looked up case-insensitively: servers differ in spelling) and body."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers, response.read()


def _duration_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(name: str, output: str) -> WrkResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _duration_ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _duration_ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return WrkResult(name, rps, p50, p99, total, errors)


def run_wrk(
    name: str,
    url: str,
    *,
    connections: int = 32,
    duration_s: int = 10,
    threads: int = 2,
    headers: Mapping[str, str] | None = None,
    lua: str | None = None,
    warmup_s: int = 2,
) -> WrkResult:
    """Drive ``url`` with wrk (a warm-up run first, not recorded) and return the parsed figures."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk).")
    base = [wrk, f"-t{threads}", f"-c{connections}", "--latency", "--timeout", "10s"]
    for header, value in (headers or {}).items():
        base += ["-H", f"{header}: {value}"]
    script: list[str] = []
    if lua:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(lua)
        script = ["-s", handle.name]
    try:
        if warmup_s:
            subprocess.run([*base, f"-d{warmup_s}s", *script, url], check=True, capture_output=True)
        completed = subprocess.run(
            [*base, f"-d{duration_s}s", *script, url], check=True, capture_output=True, text=True
        )
    finally:
        if script:
            os.unlink(script[1])
    return parse_wrk(name, completed.stdout)


def server_cpu_seconds(port: int) -> float:
    """CPU time used so far by the gunicorn master and workers serving ``port`` (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if "gunicorn" not in cmdline or f"127.0.0.1:{port}" not in cmdline:
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def run_rounds(
    scenarios: list[tuple[str, str, str | None]],
    *,
    rounds: int = 3,
    cpu_ms: dict[str, list[float]] | None = None,
    port: int | None = None,
    **wrk_options: Any,
) -> list[WrkResult]:
    """Run the scenarios interleaved, ``rounds`` times, and keep each one's median round.

    On a shared machine the CPU available drifts over a minute; interleaving puts the floor and the
    scenarios it is compared with under the same conditions, and the median drops a disturbed round.
    With ``cpu_ms`` and ``port``, the server's CPU milliseconds per request of each run are recorded too (of the
    server on the scenario URL's own port when it names one, so scenarios may drive different servers).
    """
    runs: dict[str, list[WrkResult]] = {name: [] for name, _, _ in scenarios}
    for _ in range(rounds):
        for name, url, lua in scenarios:
            print(f"→ {name}", flush=True)
            server_port = (urlsplit(url).port or port) if port is not None else None
            before = server_cpu_seconds(server_port) if server_port is not None else 0.0
            result = run_wrk(name, url, lua=lua, **wrk_options)
            runs[name].append(result)
            if cpu_ms is not None and server_port is not None and result.requests:
                used = server_cpu_seconds(server_port) - before
                cpu_ms.setdefault(name, []).append(used * 1000 / result.requests)
    medians = []
    for name, _, _ in scenarios:
        ordered = sorted(runs[name], key=lambda result: result.requests_per_second)
        middle = ordered[len(ordered) // 2]
        medians.append(
            WrkResult(
                name,
                middle.requests_per_second,
                middle.p50_ms,
                middle.p99_ms,
                sum(result.requests for result in ordered),
                sum(result.errors for result in ordered),
            )
        )
    return medians


def cpu_note(cpu_ms: dict[str, list[float]], *, floor: str) -> str:
    """A report line with each scenario's server CPU per request and its CPU-bound ratio to the floor."""

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    return (
        "Server CPU per request (less sensitive to other load on the machine than req/s): "
        + ", ".join(f"{name} {mean(values):.2f} ms" for name, values in cpu_ms.items())
        + "; the floor's CPU per request divided by a scenario's is its CPU-bound ratio: "
        + ", ".join(f"{name} {mean(cpu_ms[floor]) / mean(v):.2f}" for name, v in cpu_ms.items() if name != floor)
        + "."
    )


def write_report(
    *,
    stem: str,
    title: str,
    results: list[WrkResult],
    baseline: str,
    targets: Mapping[str, float] | None = None,
    notes: list[str] | None = None,
) -> str:
    """Print and write ``bench/results/<stem>.md`` (table with ratios to ``baseline``) and ``<stem>.png``."""
    targets = targets or {}
    floor = next(r for r in results if r.name == baseline).requests_per_second
    lines = [
        f"# {title}",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs; "
        f"ratios are to `{baseline}` measured in the same run.",
        "",
        "| scenario | req/s | p50 (ms) | p99 (ms) | × baseline | target | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        ratio = result.requests_per_second / floor if floor else 0.0
        target = targets.get(result.name)
        verdict = "" if target is None else f"≥ {target:.2f} {'✅' if ratio >= target else '❌'}"
        lines.append(
            f"| {result.name} | {result.requests_per_second:,.0f} | {result.p50_ms:.2f} | {result.p99_ms:.2f} "
            f"| {ratio:.2f} | {verdict} | {result.errors} |"
        )
    lines += ["", *(notes or [])]
    markdown = "\n".join(lines).rstrip() + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stem}.md").write_text(markdown)
    _chart(RESULTS / f"{stem}.png", title, results, floor)
    print(markdown)
    return markdown


def _chart(path: Path, title: str, results: list[WrkResult], floor: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.name for r in results]
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    bars = left.barh(names, [r.requests_per_second for r in results], color="#4C72B0")
    left.invert_yaxis()
    left.set_xlabel("requests / s")
    left.set_title("Throughput")
    for bar, result in zip(bars, results, strict=True):
        ratio = result.requests_per_second / floor if floor else 0
        left.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {ratio:.2f}×", va="center")
    positions = range(len(results))
    right.barh([p - 0.2 for p in positions], [r.p50_ms for r in results], height=0.4, label="p50")
    right.barh([p + 0.2 for p in positions], [r.p99_ms for r in results], height=0.4, label="p99")
    right.set_yticks(list(positions), names)
    right.invert_yaxis()
    right.set_xlabel("latency (ms)")
    right.set_title("Latency")
    right.legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
