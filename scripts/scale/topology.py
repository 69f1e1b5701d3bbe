"""The scaled setup on one machine, without Docker: ``make scale-up`` / ``make scale-down``.

    python -m scripts.scale.topology up      # start what is missing; last line: one JSON object
    python -m scripts.scale.topology down    # stop exactly what `up` recorded
    python -m scripts.scale.topology status  # the recorded processes and whether each runs

``up`` starts a PostgreSQL primary and one streaming replica (scripts/scale/postgres.py), migrates and bootstraps
the shop on the primary, a Redis master, its replica and three Sentinels, SCALE_WEB_NODES web nodes (gunicorn with
uvicorn workers, config/gunicorn.py), nginx in front of them (deploy/nginx-scale.conf.template), one Celery worker
and one Celery beat on RabbitMQ (the machine's server on 127.0.0.1:5672, a virtual host of this setup's own, quorum
queues). nginx and redis-sentinel are installed from Debian when missing. Ports are counted from SCALE_PORT_BASE
(default 19900): nginx +0, web nodes +1.., PostgreSQL +10 (replica +11), Redis +20 (replica +21), Sentinels
+30..+32. Everything lives under SCALE_DIR (default .data/scale/<base port>): data, logs, the nginx configuration and
``state.json``, the processes ``down`` stops (each checked against its command line before it is signalled).
Both commands are idempotent: ``up`` leaves running pieces alone and starts the missing ones; ``down`` on a
stopped setup does nothing. ``down`` keeps the data (``make clean-data`` removes it) and the virtual host, so
queued tasks survive a restart of the whole setup. Written here rather than with a process manager (honcho,
supervisord): the pieces start in dependency order with readiness checks, and a test stops and restarts single
pieces by their pid.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from scripts.scale import postgres

ROOT = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent
SENTINEL_MASTER = "shop"
STATE_FILE = "state.json"


class TopologyError(RuntimeError):
    """A piece did not start or become ready; the message names it and its log."""


@dataclass(frozen=True)
class Layout:
    """Where every piece of the setup lives: ports counted from one base, files under one directory."""

    base_port: int
    state_dir: Path
    web_nodes: int = 2

    @classmethod
    def from_env(cls, base_port: int | None = None) -> Layout:
        """SCALE_PORT_BASE (or ``base_port``), SCALE_WEB_NODES, and SCALE_DIR (default .data/scale/<base port>: data
        directories and configuration files name their ports, so each set of ports keeps its own)."""
        base = base_port if base_port is not None else int(os.environ.get("SCALE_PORT_BASE", "19900"))
        state = Path(os.environ.get("SCALE_DIR", str(ROOT / ".data" / "scale" / str(base)))).resolve()
        return cls(base, state, int(os.environ.get("SCALE_WEB_NODES", "2")))

    @property
    def nginx_port(self) -> int:
        return self.base_port

    @property
    def web_ports(self) -> list[int]:
        return [self.base_port + 1 + i for i in range(self.web_nodes)]

    @property
    def pg_port(self) -> int:
        return self.base_port + 10

    @property
    def redis_ports(self) -> list[int]:
        return [self.base_port + 20, self.base_port + 21]

    @property
    def sentinel_ports(self) -> list[int]:
        return [self.base_port + 30 + i for i in range(3)]

    @property
    def worker_metrics_port(self) -> int:
        return self.base_port + 40

    @property
    def vhost(self) -> str:
        return f"shop_scale_{self.base_port}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    @property
    def sentinels(self) -> list[str]:
        return [f"127.0.0.1:{port}" for port in self.sentinel_ports]

    @property
    def logs(self) -> Path:
        return self.state_dir / "logs"

    @property
    def mail_dir(self) -> Path:
        return self.state_dir / "mail"

    @property
    def media_dir(self) -> Path:
        return self.state_dir / "media"

    @property
    def pg_dir(self) -> Path:
        return self.state_dir / "pg"


# --- the record of started processes ------------------------------------------------------------------------------


def load_state(layout: Layout) -> dict[str, dict[str, object]]:
    try:
        data = json.loads((layout.state_dir / STATE_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return dict(data.get("processes", {}))


def save_state(layout: Layout, processes: dict[str, dict[str, object]]) -> None:
    layout.state_dir.mkdir(parents=True, exist_ok=True)
    tmp = layout.state_dir / f"{STATE_FILE}.tmp"
    tmp.write_text(json.dumps({"processes": processes}, indent=2) + "\n")
    tmp.replace(layout.state_dir / STATE_FILE)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(entry: dict[str, object]) -> bool:
    """Whether the recorded process still runs and is the one recorded (a reused pid runs something else)."""
    pid = int(str(entry.get("pid", 0)))
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    status = Path(f"/proc/{pid}/status")
    if status.exists() and "State:\tZ" in status.read_text():
        return False
    return str(entry.get("marker", "")) in _cmdline(pid)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait(what: str, ready: Callable[[], bool], *, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            tail = ""
            if log is not None and log.exists():
                tail = "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise TopologyError(f"{what} not ready after {timeout:.0f} s{tail}")
        time.sleep(0.2)


def spawn(
    layout: Layout,
    processes: dict[str, dict[str, object]],
    name: str,
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    marker: str,
) -> int:
    """Start ``argv`` in its own session, output to logs/<name>.log, and record it before anything waits on it."""
    layout.logs.mkdir(parents=True, exist_ok=True)
    log = layout.logs / f"{name}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env or os.environ.copy(),
            cwd=str(ROOT),
            start_new_session=True,
        )
    processes[name] = {"pid": proc.pid, "marker": marker, "log": str(log)}
    save_state(layout, processes)
    return proc.pid


def terminate(entry: dict[str, object], *, timeout: float = 20.0) -> bool:
    """SIGTERM the recorded process (and its session), SIGKILL after ``timeout``; False when it was not running."""
    if not alive(entry):
        return False
    pid = int(str(entry["pid"]))
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(entry) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.1)
    if alive(entry):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        _reap(pid)
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


# --- Debian packages and RabbitMQ ------------------------------------------------------------------------------


def ensure_packages() -> None:
    """nginx and redis-sentinel from Debian when missing (the packages' own services are left unstarted)."""
    wanted = (("nginx", "nginx-light"), ("redis-sentinel", "redis-sentinel"))
    missing = [package for binary, package in wanted if not _which(binary)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise TopologyError(f"missing {', '.join(missing)}: run `sudo apt-get install {' '.join(missing)}`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def _which(binary: str) -> str | None:
    return shutil.which(binary) or next(
        (str(p) for p in (Path("/usr/sbin") / binary, Path("/usr/bin") / binary) if p.exists()), None
    )


def rabbitmqctl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    tool = _which("rabbitmqctl")
    if tool is None:
        raise TopologyError("rabbitmqctl not found: the scaled setup needs RabbitMQ on 127.0.0.1:5672")
    result = subprocess.run([tool, *args], capture_output=True, text=True, check=False, timeout=120)
    if check and result.returncode != 0:
        raise TopologyError(f"rabbitmqctl {' '.join(args)}: {result.stderr.strip() or result.stdout.strip()}")
    return result


def ensure_vhost(layout: Layout) -> str:
    """This setup's RabbitMQ virtual host (guest may use it); returns the broker URL."""
    if not _port_open(5672):
        raise TopologyError("RabbitMQ does not answer on 127.0.0.1:5672")
    listed = rabbitmqctl("list_vhosts", "-q").stdout.split()
    if layout.vhost not in listed:
        rabbitmqctl("add_vhost", layout.vhost)
    rabbitmqctl("set_permissions", "-p", layout.vhost, "guest", ".*", ".*", ".*")
    return f"amqp://guest:guest@127.0.0.1:5672/{layout.vhost}"


# --- the pieces ----------------------------------------------------------------------------------------------


def redis_cli(port: int, *args: str) -> str:
    result = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args], capture_output=True, text=True, timeout=5
    )
    return result.stdout.strip()


def _pong(port: int) -> bool:
    return redis_cli(port, "PING") == "PONG"


def current_master(layout: Layout) -> int | None:
    """The master's port as the Sentinels see it, else as their configuration files last recorded it (a failover
    rewrites them); None when there are neither."""
    for port in layout.sentinel_ports:
        if _port_open(port):
            answer = redis_cli(port, "SENTINEL", "get-master-addr-by-name", SENTINEL_MASTER).split()
            if len(answer) == 2 and answer[1].isdigit():
                return int(answer[1])
    for index in range(len(layout.sentinel_ports)):
        conf = layout.state_dir / f"sentinel-{index}.conf"
        if conf.exists():
            match = re.search(rf"^sentinel monitor {SENTINEL_MASTER} \S+ (\d+) ", conf.read_text(), re.MULTILINE)
            if match:
                return int(match.group(1))
    return None


def start_redis(layout: Layout, processes: dict[str, dict[str, object]]) -> None:
    """The master and its replica; a node restarted after a failover rejoins as a replica of the current master."""
    master_port = current_master(layout) or layout.redis_ports[0]
    for index, port in enumerate(layout.redis_ports):
        name = f"redis-{index}"
        if name in processes and alive(processes[name]):
            continue
        if _port_open(port):
            raise TopologyError(f"port {port} is taken by a process this setup did not start")
        data = layout.state_dir / name
        data.mkdir(parents=True, exist_ok=True)
        argv = [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data),
            "--save",
            "",
            "--appendonly",
            "no",
            "--databases",
            "16",
        ]
        if port != master_port:
            argv += ["--replicaof", "127.0.0.1", str(master_port)]
        spawn(layout, processes, name, argv, marker=f"127.0.0.1:{port}")
        _wait(name, partial(_pong, port), timeout=20, log=layout.logs / f"{name}.log")
    replica = next(p for p in layout.redis_ports if p != master_port)
    _wait(
        "redis replication",
        lambda: "master_link_status:up" in redis_cli(replica, "INFO", "replication"),
        timeout=30,
    )


def start_sentinels(layout: Layout, processes: dict[str, dict[str, object]]) -> None:
    """Three Sentinels (quorum 2) watching the master; down after one second so that a failover takes seconds."""
    for index, port in enumerate(layout.sentinel_ports):
        name = f"sentinel-{index}"
        if name in processes and alive(processes[name]):
            continue
        if _port_open(port):
            raise TopologyError(f"port {port} is taken by a process this setup did not start")
        conf = layout.state_dir / f"{name}.conf"
        if not conf.exists():  # Sentinel rewrites its file with what it learns: keep it across restarts
            conf.write_text(
                "\n".join(
                    [
                        f"port {port}",
                        "bind 127.0.0.1",
                        "daemonize no",
                        f"dir {layout.state_dir}",
                        f"sentinel monitor {SENTINEL_MASTER} 127.0.0.1 {layout.redis_ports[0]} 2",
                        f"sentinel down-after-milliseconds {SENTINEL_MASTER} 1000",
                        f"sentinel failover-timeout {SENTINEL_MASTER} 10000",
                        f"sentinel parallel-syncs {SENTINEL_MASTER} 1",
                        "",
                    ]
                )
            )
        binary = _which("redis-sentinel") or "redis-sentinel"
        spawn(layout, processes, name, [binary, str(conf)], marker=f"{port}")
        _wait(name, partial(_pong, port), timeout=20, log=layout.logs / f"{name}.log")
    _wait("sentinels", lambda: current_master(layout) is not None, timeout=20)


def secret_key(layout: Layout) -> str:
    path = layout.state_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def django_env(layout: Layout, topology: postgres.Topology, broker_url: str) -> dict[str, str]:
    """The environment every web node, the worker and beat share (production settings, this setup's services)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_", "COV_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secret_key(layout),
            "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "STATIC_MANIFEST": "false",
            "PUBLIC_ORIGIN": layout.base_url,
            "MEDIA_ROOT": str(layout.media_dir),
            "MEDIA_SERVE": "false",
            "DATABASE_URL": topology.primary_dsn,
            "DATABASE_REPLICA_URLS": ",".join(topology.replica_dsns),
            "REDIS_URL": f"redis://127.0.0.1:{layout.redis_ports[0]}/0",
            "REDIS_SENTINELS": ",".join(layout.sentinels),
            "REDIS_SENTINEL_MASTER": SENTINEL_MASTER,
            "CELERY_BROKER_URL": broker_url,
            "TRUSTED_PROXIES": "127.0.0.1/32",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(layout.mail_dir),
            "DEMO_USERS": "true",
            "SEED_DEMO": env.get("SEED_DEMO", "true"),
            "SEED_DEMO_PRODUCTS": env.get("SEED_DEMO_PRODUCTS", "300"),
            "WEB_CONCURRENCY": env.get("WEB_CONCURRENCY", "2"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=str(ROOT), env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise TopologyError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http://127.0.0.1 URLs built here)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_web(layout: Layout, processes: dict[str, dict[str, object]], env: dict[str, str]) -> list[str]:
    nodes = []
    for index, port in enumerate(layout.web_ports, start=1):
        name = f"web{index}"
        nodes.append(f"127.0.0.1:{port}")
        if name in processes and alive(processes[name]):
            continue
        if _port_open(port):
            raise TopologyError(f"port {port} is taken by a process this setup did not start")
        node_env = {
            **env,
            "NODE_NAME": name,
            "PORT": str(port),
            "PROMETHEUS_MULTIPROC_DIR": str(layout.state_dir / "metrics" / name),
        }
        argv = [
            str(VENV_BIN / "gunicorn"),
            "config.asgi:application",
            "-c",
            "config/gunicorn.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--name",
            f"shop-{name}",
        ]
        spawn(layout, processes, name, argv, env=node_env, marker=f"127.0.0.1:{port}")
    for index, port in enumerate(layout.web_ports, start=1):
        _wait(
            f"web{index} /healthz",
            partial(_http_ok, f"http://127.0.0.1:{port}/healthz"),
            timeout=120,
            log=layout.logs / f"web{index}.log",
        )
    return nodes


def write_nginx_conf(layout: Layout) -> Path:
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=2 fail_timeout=5s;" for port in layout.web_ports)
    text = (ROOT / "deploy" / "nginx-scale.conf.template").read_text()
    replacements = {
        "@STATE@": str(layout.state_dir),
        "@USER@": "user nobody nogroup;" if os.geteuid() == 0 else "",
        "@SERVERS@": servers,
        "@PORT@": str(layout.nginx_port),
        "@MEDIA@": str(layout.media_dir),
    }
    for key, value in replacements.items():
        text = text.replace(key, value)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (layout.state_dir / "nginx" / sub).mkdir(parents=True, exist_ok=True)
    conf = layout.state_dir / "nginx.conf"
    conf.write_text(text)
    return conf


def start_nginx(layout: Layout, processes: dict[str, dict[str, object]]) -> None:
    conf = write_nginx_conf(layout)
    binary = _which("nginx") or "nginx"
    error_log = str(layout.logs / "nginx-error.log")
    test = subprocess.run([binary, "-t", "-c", str(conf), "-e", error_log], capture_output=True, text=True, check=False)
    if test.returncode != 0:
        raise TopologyError(f"nginx -t: {test.stderr.strip()}")
    entry = processes.get("nginx")
    if entry and alive(entry):
        os.kill(int(str(entry["pid"])), signal.SIGHUP)  # picks up a changed node list
    else:
        if _port_open(layout.nginx_port):
            raise TopologyError(f"port {layout.nginx_port} is taken by a process this setup did not start")
        argv = [binary, "-c", str(conf), "-e", error_log, "-g", "daemon off;"]
        spawn(layout, processes, "nginx", argv, marker=str(conf))
    _wait("nginx", lambda: _http_ok(f"{layout.base_url}/healthz"), timeout=30, log=layout.logs / "nginx-error.log")


def _consumers(vhost: str) -> set[str]:
    result = rabbitmqctl("list_consumers", "-p", vhost, "-q", "queue_name", check=False)
    return {line.split()[0] for line in result.stdout.splitlines() if line.strip()}


def start_celery(layout: Layout, processes: dict[str, dict[str, object]], env: dict[str, str]) -> None:
    worker_env = {**env, "CELERY_METRICS_PORT": str(layout.worker_metrics_port)}
    if not ("worker" in processes and alive(processes["worker"])):
        argv = [
            str(VENV_BIN / "celery"),
            "-A",
            "config",
            "worker",
            "-l",
            "info",
            "-Q",
            "celery,email",
            "-c",
            "2",
            "-n",
            f"scale{layout.base_port}@%h",
        ]
        spawn(layout, processes, "worker", argv, env=worker_env, marker=f"scale{layout.base_port}@")
    if not ("beat" in processes and alive(processes["beat"])):
        # One beat for the whole setup: the schedule lives in PostgreSQL (django-celery-beat), so a second beat
        # elsewhere would send every task twice; see docs/scaling.md.
        argv = [
            str(VENV_BIN / "celery"),
            "-A",
            "config",
            "beat",
            "-l",
            "info",
            "--pidfile",
            str(layout.state_dir / "beat.pid"),
        ]
        spawn(layout, processes, "beat", argv, env=env, marker=str(layout.state_dir / "beat.pid"))
    _wait(
        "celery worker consuming",
        lambda: {"celery", "email"} <= _consumers(layout.vhost),
        timeout=120,
        log=layout.logs / "worker.log",
    )


# --- up / down ------------------------------------------------------------------------------------------------


def up(layout: Layout) -> dict[str, object]:
    ensure_packages()
    layout.state_dir.mkdir(parents=True, exist_ok=True)
    for path in (layout.logs, layout.mail_dir, layout.media_dir):
        path.mkdir(parents=True, exist_ok=True)
    processes = load_state(layout)
    topology = postgres.start(
        layout.pg_dir,
        layout.pg_port,
        1,
        database="shop",
        fast=os.environ.get("SCALE_PG_FAST", "") == "1",
    )
    broker_url = ensure_vhost(layout)
    start_redis(layout, processes)
    start_sentinels(layout, processes)
    env = django_env(layout, topology, broker_url)
    manage(env, "migrate", "--noinput")
    manage(env, "bootstrap")
    nodes = start_web(layout, processes, env)
    start_nginx(layout, processes)
    start_celery(layout, processes, env)
    summary: dict[str, object] = {
        "base_url": layout.base_url,
        "primary_dsn": topology.primary_dsn,
        "replica_dsns": topology.replica_dsns,
        "nodes": nodes,
        "sentinels": layout.sentinels,
    }
    (layout.state_dir / "topology.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


# The order ``down`` stops things in: traffic first, then the application, then what it depends on.
STOP_ORDER = ("nginx", "web", "beat", "worker", "sentinel", "redis")


def down(layout: Layout) -> list[str]:
    processes = load_state(layout)
    stopped = []
    for prefix in STOP_ORDER:
        for name in sorted(n for n in processes if n.startswith(prefix)):
            if terminate(processes[name]):
                stopped.append(name)
            processes.pop(name)
            save_state(layout, processes)
    if layout.pg_dir.exists():
        stopped += postgres.stop(layout.pg_dir)
    return stopped


def status(layout: Layout) -> dict[str, object]:
    processes = load_state(layout)
    report: dict[str, object] = {name: {"pid": e["pid"], "running": alive(e)} for name, e in processes.items()}
    if layout.pg_dir.exists():
        report["postgres"] = postgres.status(layout.pg_dir)
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["up", "down", "status"])
    args = parser.parse_args(argv)
    layout = Layout.from_env()
    try:
        if args.command == "up":
            summary = up(layout)
            print(f"scaled setup up; logs in {layout.logs}; `make scale-down` stops it", file=sys.stderr)
            print(json.dumps(summary))
        elif args.command == "down":
            print(json.dumps({"stopped": down(layout)}))
        else:
            print(json.dumps(status(layout), indent=2))
    except (TopologyError, postgres.LaunchError) as exc:
        print(f"scale {args.command}: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
