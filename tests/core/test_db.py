"""read_on_thread: sync reads from async code, and the pooled connection handed back at once."""

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, transaction
from django.db.backends.postgresql.base import DatabaseWrapper

import core.db
from core.db import read_on_thread


def _select_one(wrapper: Any) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT 1")
        return int(cursor.fetchone()[0])


class _Connections:
    def __init__(self, wrappers: list[Any]) -> None:
        self.wrappers = wrappers

    def all(self, initialized_only: bool = False) -> list[Any]:
        return self.wrappers


@pytest.mark.django_db(transaction=True)
def test_a_pooled_connection_is_handed_back_after_the_read(monkeypatch: pytest.MonkeyPatch) -> None:
    options = {**connection.settings_dict["OPTIONS"], "pool": {"min_size": 1, "max_size": 1, "timeout": 2}}
    pooled: Any = DatabaseWrapper({**connection.settings_dict, "CONN_MAX_AGE": 0, "OPTIONS": options})
    # The only connection of this thread (read_on_thread hands back every alias's: the primary's and replicas').
    monkeypatch.setattr(core.db, "connections", _Connections([pooled]))
    try:
        assert async_to_sync(read_on_thread)(_select_one, pooled) == 1
        assert pooled.connection is None
        # One connection in the pool: a second read would wait out the timeout if the first still held it.
        assert async_to_sync(read_on_thread)(_select_one, pooled) == 1
        assert pooled.pool.get_stats()["pool_size"] == 1
    finally:
        pooled.close_pool()


@pytest.mark.django_db(transaction=True)
def test_a_connection_in_a_transaction_is_kept() -> None:
    with transaction.atomic():
        assert async_to_sync(read_on_thread)(_select_one, connection) == 1
        assert connection.connection is not None
        assert not connection.needs_rollback
        # The transaction is still usable.
        assert _select_one(connection) == 1
