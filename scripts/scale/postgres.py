"""An isolated PostgreSQL primary with N streaming replicas, on ports of its own, for the scaled setup and tests.

    python scripts/scale/postgres.py start --dir .data/scale/pg --port 19800 --replicas 1 [--database shop] [--fast]
    python scripts/scale/postgres.py stop --dir .data/scale/pg
    python scripts/scale/postgres.py status --dir .data/scale/pg

The system binaries (/usr/lib/postgresql/<version>/bin, newest first; PG_BIN overrides) build a primary with
``initdb`` (trust auth on 127.0.0.1 only, wal_level=replica, pg_stat_statements preloaded when installed) and
each replica with ``pg_basebackup -R`` (streaming, hot standby). ``start`` is idempotent: clusters already
running are left alone, stopped ones are started, missing ones are created; it prints one JSON object with the
DSNs. ``stop`` stops only the clusters this module records in ``<dir>/clusters.json``. As root, every server
runs as an unprivileged system user (PostgreSQL refuses root): the data directory's owner when it exists, else
SCALE_PG_USER, ``postgres`` or ``nobody``. ``--fast`` (tests only) turns fsync, full-page writes and autovacuum off.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_FILE = "clusters.json"
SUPERUSER = "postgres"


class LaunchError(RuntimeError):
    """A server could not be created, started or stopped; the message carries the tool's own output."""


@dataclass(frozen=True)
class Cluster:
    """One PostgreSQL server this module manages: its role, data directory and port."""

    name: str
    role: str  # "primary" | "replica"
    datadir: str
    port: int

    def dsn(self, database: str = "postgres") -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return _server_running(Path(self.datadir))


@dataclass(frozen=True)
class Topology:
    """What ``start`` returns: the primary and its replicas, plus the database the DSNs name."""

    primary: Cluster
    replicas: tuple[Cluster, ...]
    database: str

    @property
    def primary_dsn(self) -> str:
        return self.primary.dsn(self.database)

    @property
    def replica_dsns(self) -> list[str]:
        return [replica.dsn(self.database) for replica in self.replicas]

    def as_json(self) -> dict[str, object]:
        return {"primary_dsn": self.primary_dsn, "replica_dsns": self.replica_dsns}


def pg_bin() -> Path:
    """The directory of the system PostgreSQL binaries (PG_BIN overrides; else the newest installed version)."""
    if override := os.environ.get("PG_BIN"):
        return Path(override)
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not versions:
        found = shutil.which("initdb")
        if found:
            return Path(found).parent
        raise LaunchError("no PostgreSQL server binaries found (apt-get install postgresql)")
    return versions[-1]


def _sharedir_and_libdir(bindir: Path) -> tuple[Path, Path]:
    out = subprocess.run([str(bindir / "pg_config"), "--sharedir", "--pkglibdir"], capture_output=True, text=True)
    if out.returncode == 0:
        share, lib = out.stdout.split()
        return Path(share), Path(lib)
    version = bindir.parent.name
    return Path(f"/usr/share/postgresql/{version}"), bindir.parent / "lib"


def has_extension(name: str, bindir: Path | None = None) -> bool:
    share, _ = _sharedir_and_libdir(bindir or pg_bin())
    return (share / "extension" / f"{name}.control").exists()


def _preload_available(name: str, bindir: Path) -> bool:
    _, lib = _sharedir_and_libdir(bindir)
    return (lib / f"{name}.so").exists()


def run_as_user(datadir: Path) -> str | None:
    """The unprivileged user the servers run as when this process is root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    if datadir.exists() and datadir.stat().st_uid != 0:
        return pwd.getpwuid(datadir.stat().st_uid).pw_name
    for candidate in (os.environ.get("SCALE_PG_USER"), "postgres", "nobody"):
        if not candidate:
            continue
        try:
            pwd.getpwnam(candidate)
        except KeyError:
            continue
        return candidate
    raise LaunchError("running as root and no unprivileged user to run PostgreSQL as (set SCALE_PG_USER)")


def _run(args: list[str], user: str | None, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, user=user, capture_output=True, text=True, check=False, cwd="/")
    if check and result.returncode != 0:
        raise LaunchError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip() or result.stdout}")
    return result


def _give_to(path: Path, user: str | None) -> None:
    if user is None:
        return
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def _server_running(datadir: Path) -> bool:
    pidfile = datadir / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _settings(port: int, *, fast: bool, bindir: Path) -> str:
    lines = [
        "# written by scripts/scale/postgres.py",
        f"port = {port}",
        "listen_addresses = '127.0.0.1'",
        "unix_socket_directories = ''",
        "wal_level = replica",
        "max_wal_senders = 10",
        "max_replication_slots = 10",
        "wal_keep_size = '256MB'",
        "hot_standby = on",
        "hot_standby_feedback = on",
        # A paused or slow replica must not cancel a reader's query: replay waits instead.
        "max_standby_streaming_delay = -1",
        "max_connections = 200",
        "logging_collector = off",
    ]
    if _preload_available("pg_stat_statements", bindir):
        lines += ["shared_preload_libraries = 'pg_stat_statements'", "pg_stat_statements.track = all"]
    if fast:
        lines += [
            "shared_buffers = '32MB'",
            "fsync = off",
            "full_page_writes = off",
            "checkpoint_timeout = '30min'",
            # Tests measure replay positions: no background writes of WAL between their steps.
            "autovacuum = off",
        ]
    return "\n".join(lines) + "\n"


def _pg_ctl_start(cluster: Cluster, user: str | None, bindir: Path) -> None:
    datadir = Path(cluster.datadir)
    if cluster.running:
        return
    log = datadir / "server.log"
    _run([str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(log), "-w", "-t", "120", "start"], user)


def _pg_ctl_stop(cluster: Cluster, user: str | None, bindir: Path, mode: str = "fast") -> None:
    datadir = Path(cluster.datadir)
    if not cluster.running:
        return
    result = _run(
        [str(bindir / "pg_ctl"), "-D", str(datadir), "-w", "-t", "120", "-m", mode, "stop"], user, check=False
    )
    if result.returncode != 0 and cluster.running:
        raise LaunchError(f"pg_ctl stop {datadir} failed: {result.stderr.strip()}")


def _create_primary(cluster: Cluster, user: str | None, bindir: Path, *, fast: bool) -> None:
    datadir = Path(cluster.datadir)
    if not has_extension("pg_trgm", bindir):
        raise LaunchError("the pg_trgm extension the catalog migrations need is not installed (postgresql-contrib)")
    datadir.mkdir(parents=True, exist_ok=True)
    datadir.chmod(0o700)
    _give_to(datadir, user)
    _run(
        [
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        ],
        user,
    )
    with (datadir / "postgresql.conf").open("a") as conf:
        conf.write(_settings(cluster.port, fast=fast, bindir=bindir))


def _create_replica(cluster: Cluster, primary: Cluster, user: str | None, bindir: Path, *, fast: bool) -> None:
    datadir = Path(cluster.datadir)
    datadir.mkdir(parents=True, exist_ok=True)
    datadir.chmod(0o700)
    _give_to(datadir, user)
    _run(
        [
            str(bindir / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            SUPERUSER,
            "-D",
            str(datadir),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync" if fast else "--progress",
        ],
        user,
    )
    # The copied postgresql.conf carries the primary's port; a later line of the same file wins.
    with (datadir / "postgresql.conf").open("a") as conf:
        conf.write(f"# replica of 127.0.0.1:{primary.port}\nport = {cluster.port}\n")
    (datadir / "postmaster.pid").unlink(missing_ok=True)


def _clusters(base: Path, port: int, replica_ports: list[int]) -> tuple[Cluster, tuple[Cluster, ...]]:
    primary = Cluster("primary", "primary", str(base / "primary"), port)
    return primary, tuple(
        Cluster(f"replica_{i}", "replica", str(base / f"replica_{i}"), p) for i, p in enumerate(replica_ports)
    )


def _save_state(base: Path, clusters: list[Cluster]) -> None:
    (base / STATE_FILE).write_text(json.dumps([asdict(c) for c in clusters], indent=2) + "\n")


def _load_state(base: Path) -> list[Cluster]:
    try:
        return [Cluster(**row) for row in json.loads((base / STATE_FILE).read_text())]
    except FileNotFoundError:
        return []


def ensure_database(dsn_admin: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(dsn_admin, autocommit=True, connect_timeout=5) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def wait_until_streaming(primary: Cluster, count: int, timeout: float = 60.0) -> None:
    """Wait until ``count`` replicas stream from the primary (pg_stat_replication)."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        with psycopg.connect(primary.dsn(), autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'").fetchone()
        if row and row[0] >= count:
            return
        if time.monotonic() > deadline:
            raise LaunchError(f"only {row[0] if row else 0} of {count} replicas streaming after {timeout:.0f} s")
        time.sleep(0.1)


def wait_for_replay(primary_dsn: str, replica_dsn: str, timeout: float = 30.0) -> None:
    """Wait until the replica has replayed everything the primary had written when this was called."""
    import psycopg

    with psycopg.connect(primary_dsn, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()
    assert row is not None
    target = row[0]
    deadline = time.monotonic() + timeout
    with psycopg.connect(replica_dsn, autocommit=True, connect_timeout=5) as conn:
        while True:
            done = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()
            if done and done[0]:
                return
            if time.monotonic() > deadline:
                raise LaunchError(f"replica {replica_dsn} has not replayed {target} after {timeout:.0f} s")
            time.sleep(0.05)


def set_replay_paused(replica_dsn: str, paused: bool) -> None:
    """Pause (``pg_wal_replay_pause``) or resume replay on a replica; the replica keeps receiving WAL meanwhile."""
    import psycopg

    function = "pg_wal_replay_pause" if paused else "pg_wal_replay_resume"
    with psycopg.connect(replica_dsn, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"SELECT {function}()")
        if paused:
            # Pausing is requested, then takes effect: wait for it so that the caller's next write is not replayed.
            for _ in range(200):
                state = conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()
                if state and state[0] == "paused":
                    break
                time.sleep(0.01)


def start(
    base_dir: str | os.PathLike[str],
    port: int,
    replicas: int = 1,
    *,
    database: str = "postgres",
    fast: bool = False,
    replica_ports: list[int] | None = None,
) -> Topology:
    """Start (creating when missing) a primary on ``port`` and ``replicas`` streaming replicas on the next ports
    (or on ``replica_ports``); returns the topology once every replica streams and has caught up."""
    base = Path(base_dir).resolve()
    base.mkdir(parents=True, exist_ok=True)
    bindir = pg_bin()
    ports = replica_ports if replica_ports is not None else [port + 1 + i for i in range(replicas)]
    primary, standbys = _clusters(base, port, ports)
    user = run_as_user(Path(primary.datadir))
    if user is not None:
        # The unprivileged user must reach the data directories and write the server logs.
        base.chmod(0o755)
        _give_to(base, user)
    recorded = {c.name: c for c in _load_state(base)}
    for cluster in (primary, *standbys):
        old = recorded.get(cluster.name)
        if old is not None and old.port != cluster.port and old.running:
            raise LaunchError(f"{cluster.name} in {base} already runs on port {old.port}, not {cluster.port}")
    _save_state(base, [primary, *standbys])
    if not (Path(primary.datadir) / "PG_VERSION").exists():
        _create_primary(primary, user, bindir, fast=fast)
    _pg_ctl_start(primary, user, bindir)
    for standby in standbys:
        if not (Path(standby.datadir) / "PG_VERSION").exists():
            shutil.rmtree(standby.datadir, ignore_errors=True)
            _create_replica(standby, primary, user, bindir, fast=fast)
        _pg_ctl_start(standby, user, bindir)
    if database != "postgres":
        ensure_database(primary.dsn(), database)
    if standbys:
        wait_until_streaming(primary, len(standbys))
        for standby in standbys:
            wait_for_replay(primary.dsn(), standby.dsn())
    return Topology(primary, standbys, database)


def stop_cluster(cluster: Cluster, mode: str = "fast") -> None:
    """Stop one server of a topology (e.g. a replica, to show that reads fall back); ``start`` brings it back."""
    _pg_ctl_stop(cluster, run_as_user(Path(cluster.datadir)), pg_bin(), mode)


def start_cluster(cluster: Cluster) -> None:
    _pg_ctl_start(cluster, run_as_user(Path(cluster.datadir)), pg_bin())


def stop(base_dir: str | os.PathLike[str]) -> list[str]:
    """Stop the servers recorded under ``base_dir`` (replicas first); returns the names of those it stopped."""
    base = Path(base_dir).resolve()
    stopped = []
    for cluster in sorted(_load_state(base), key=lambda c: c.role != "replica"):
        if cluster.running:
            stop_cluster(cluster)
            stopped.append(cluster.name)
    return stopped


def status(base_dir: str | os.PathLike[str]) -> dict[str, object]:
    base = Path(base_dir).resolve()
    return {c.name: {"port": c.port, "running": c.running, "datadir": c.datadir} for c in _load_state(base)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--dir", required=True, help="directory holding the data directories")
    parser.add_argument("--port", type=int, default=19800, help="the primary's port; replicas take the next ones")
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--database", default="postgres", help="database created on the primary (and replicated)")
    parser.add_argument("--fast", action="store_true", help="fsync off, small buffers: for tests only")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            topology = start(args.dir, args.port, args.replicas, database=args.database, fast=args.fast)
            print(json.dumps(topology.as_json()))
        elif args.command == "stop":
            print(json.dumps({"stopped": stop(args.dir)}))
        else:
            print(json.dumps(status(args.dir)))
    except LaunchError as exc:
        print(f"postgres.py: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
