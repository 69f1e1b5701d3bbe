"""Run the production server command (gunicorn + uvicorn workers) against the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings

from tests.support import ROOT, current_database_url, worker_port

# Limits far above anything a fuzzing run sends: the throttles still run (and their 429 stays documented),
# but a run never trips them. The throttle tests in the OWASP module use the real, low rates.
GENEROUS_THROTTLES = {
    "THROTTLE_ANON": "1000000/min",
    "THROTTLE_USER": "1000000/min",
    "THROTTLE_LOGIN": "1000000/min",
    "THROTTLE_PAYMENTS": "1000000/min",
}


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def output(self, tail: int = 20_000) -> str:
        """The server's log so far (tracebacks of any 500 end up here)."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-tail:]


@contextmanager
def live_server(*, workers: int = 2, env: Mapping[str, str] | None = None) -> Iterator[LiveServer]:
    """gunicorn + uvicorn workers on a port of this test worker, DEBUG off, on the test database and test Redis."""
    port = worker_port()
    process_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": current_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "PORT": str(port),
        "PUBLIC_ORIGIN": f"http://127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_ACCESSLOG": "-",
        "GUNICORN_TIMEOUT": "120",
        "PYTHONUNBUFFERED": "1",
        **GENEROUS_THROTTLES,
        **(env or {}),
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    log = tempfile.TemporaryFile()  # noqa: SIM115 - the server writes to it until the block ends
    process = subprocess.Popen(
        [gunicorn, "config.asgi:application", "-c", "config/gunicorn.py", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=process_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = LiveServer(url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        _stop(process)
        log.close()


def _wait_until_up(server: LiveServer, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.output()}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2):  # noqa: S310 - our own local server
                return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"server did not answer within {timeout}s:\n{server.output()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
