"""`make run` on a bare machine: with nothing on 127.0.0.1:5432/6379 the service discovery starts the embedded
PostgreSQL and Redis, every migration applies (the catalog's trigram search needs pg_trgm), and the server answers.

The machine's servers are made unreachable by a fresh network namespace (``unshare -n``, root only), whose
loopback is brought up inside, so the embedded servers and the web server still talk over it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT, worker_port

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent

IN_NAMESPACE = r"""
set -eu
server=
# Whatever fails below, the embedded servers are stopped on the way out.
trap 'if [ -n "$server" ]; then kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; fi
"$PY" scripts/dev_services.py stop' EXIT
ip link set lo up
"$PY" - <<'PY'
import socket
for port in (5432, 6379):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} answers inside the namespace"
PY
eval "$("$PY" scripts/dev_services.py)"
echo "DATABASE_URL=$DATABASE_URL"
echo "REDIS_URL=$REDIS_URL"
"$PY" manage.py migrate --noinput
"$BIN/gunicorn" config.asgi:application -c config/gunicorn.py --bind "127.0.0.1:$PORT" --workers 1 &
server=$!
for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 0.25
done
echo "healthz $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")"
echo "search $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/products/?search=chiar")"
"""


def _namespaces_available() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _namespaces_available(), reason="needs root for `unshare -n` (a fresh network namespace)")
def test_embedded_postgres_and_redis_serve_a_migrated_app_with_local_ports_unreachable(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # As root the embedded PostgreSQL runs as its own system user, which must reach the data directory.
    for folder in (tmp_path, *tmp_path.parents):
        if (mode := folder.stat().st_mode) & 0o011 != 0o011:
            folder.chmod(mode | 0o011)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {
        "PY": sys.executable,
        "BIN": str(BIN),
        "PORT": str(worker_port()),
        "SERVICES_DATA_DIR": str(data),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_POOL": "false",
    }
    try:
        completed = subprocess.run(
            ["unshare", "-n", "sh", "-c", IN_NAMESPACE],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:  # also when the run times out: the servers answer on unix sockets, reachable from here too
        subprocess.run([sys.executable, "scripts/dev_services.py", "stop"], cwd=ROOT, env=env, check=False)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert f"PostgreSQL: embedded server in {data / 'pg'}" in output
    assert f"Redis: embedded server on {data / 'redis' / 'redis.sock'}" in output
    assert "Applying catalog.0002" in output
    assert "healthz 200" in output
    assert "search 200" in output
    assert "stopped" in output
    assert not (data / "pg" / "postmaster.pid").exists(), "the embedded PostgreSQL is stopped afterwards"
    assert not (data / "redis" / "redis.sock").exists(), "the embedded Redis is stopped afterwards"
