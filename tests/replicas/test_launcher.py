"""The PostgreSQL primary + streaming replica launcher (scripts/scale/postgres.py) against the real binaries."""

from __future__ import annotations

import psycopg
import pytest

from scripts.scale import postgres


def _value(dsn: str, sql: str) -> object:
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_the_replica_streams_from_the_primary_and_is_read_only(pg_topology: postgres.Topology) -> None:
    assert _value(pg_topology.primary_dsn, "SELECT pg_is_in_recovery()") is False
    assert _value(pg_topology.replica_dsns[0], "SELECT pg_is_in_recovery()") is True
    with psycopg.connect(pg_topology.replica_dsns[0], autocommit=True) as conn, pytest.raises(psycopg.Error):
        conn.execute("CREATE TABLE refused (id int)")
    # The migrated schema (pg_trgm included) reached the replica.
    assert _value(pg_topology.replica_dsns[0], "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'") == 1


def test_a_committed_write_reaches_the_replica_and_a_paused_replay_holds_it_back(
    pg_topology: postgres.Topology,
) -> None:
    primary, replica = pg_topology.primary_dsn, pg_topology.replica_dsns[0]
    with psycopg.connect(primary, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS launcher_probe (n int)")
        conn.execute("TRUNCATE launcher_probe")
    postgres.wait_for_replay(primary, replica)
    postgres.set_replay_paused(replica, paused=True)
    try:
        with psycopg.connect(primary, autocommit=True) as conn:
            conn.execute("INSERT INTO launcher_probe VALUES (1)")
        assert _value(replica, "SELECT count(*) FROM launcher_probe") == 0
    finally:
        postgres.set_replay_paused(replica, paused=False)
    postgres.wait_for_replay(primary, replica)
    assert _value(replica, "SELECT count(*) FROM launcher_probe") == 1
    with psycopg.connect(primary, autocommit=True) as conn:
        conn.execute("DROP TABLE launcher_probe")
    postgres.wait_for_replay(primary, replica)


def test_start_is_idempotent_and_stop_stops_exactly_what_it_started(pg_topology: postgres.Topology) -> None:
    base = pg_topology.primary.datadir.rsplit("/", 1)[0]
    again = postgres.start(
        base,
        pg_topology.primary.port,
        database=pg_topology.database,
        fast=True,
        replica_ports=[r.port for r in pg_topology.replicas],
    )
    assert again.as_json() == pg_topology.as_json()
    replica = pg_topology.replicas[0]
    postgres.stop_cluster(replica)
    assert not replica.running
    assert pg_topology.primary.running
    postgres.start_cluster(replica)
    assert replica.running
    postgres.wait_for_replay(pg_topology.primary_dsn, pg_topology.replica_dsns[0])
    assert postgres.status(base) == {
        c.name: {"port": c.port, "running": True, "datadir": c.datadir} for c in (pg_topology.primary, replica)
    }


def test_a_cluster_on_a_fresh_directory_is_created_and_stopped(tmp_path_factory: pytest.TempPathFactory) -> None:
    import tempfile

    from tests.replicas.conftest import _two_free_ports

    base = tempfile.mkdtemp(prefix="shop-launcher-")
    port, _ = _two_free_ports()
    try:
        topology = postgres.start(base, port, replicas=0, fast=True)
        assert _value(topology.primary_dsn, "SELECT current_setting('wal_level')") == "replica"
        assert postgres.stop(base) == ["primary"]
        assert postgres.stop(base) == []
    finally:
        postgres.stop(base)
        import shutil

        shutil.rmtree(base, ignore_errors=True)
