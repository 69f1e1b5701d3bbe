"""Alembic autogenerate plugin: compare the PostgreSQL details Alembic itself skips.

Alembic compares index columns/expressions and uniqueness, and (with ``alembic.ext.checkconstraint_byname``)
the presence of named CHECK constraints, but it silently accepts a changed CHECK expression, a changed partial
index predicate, access method (btree/gin/gist), operator class, INCLUDE list, storage parameters or NULLS NOT
DISTINCT, and it only warns about a changed generated-column expression. This plugin reports each of those as a
drop + re-create pair, so ``alembic check`` fails on them.

Expressions are compared as text after whitespace is collapsed. The generated metadata holds exactly what
PostgreSQL's deparser printed when the dump was made, so an unchanged object compares equal; the same
expression written differently (e.g. by hand, or deparsed by another major version) may be reported.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops
from alembic.runtime.plugins import Plugin
from alembic.util import PriorityDispatchResult
from sqlalchemy.dialects import postgresql

PLUGIN_NAME = "schema.postgres_details"

# Under "alembic." so alembic.ini's logging shows these next to Alembic's own "Detected ..." lines.
log = logging.getLogger("alembic.autogenerate.postgres_details")


def _sql(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, sa.sql.ClauseElement):
        value = value.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    return re.sub(r"\s+", " ", str(value)).strip()


def _index_signature(options: dict[str, Any]) -> dict[str, Any]:
    """One shape for metadata ``dialect_options['postgresql']`` and reflected ``postgresql_*`` options."""
    return {
        "using": (options.get("using") or "btree").lower(),
        "ops": dict(options.get("ops") or {}),
        "where": _sql(options.get("where")),
        "include": list(options.get("include") or []),
        "with": {key: str(value) for key, value in (options.get("with") or {}).items()},
        "nulls_not_distinct": bool(options.get("nulls_not_distinct")),
    }


def _compare_indexes(
    autogen_context: Any, modify_table_ops: ops.ModifyTableOps, schema: str | None, tname: str, metadata_table: sa.Table
) -> None:
    reflected = {
        index["name"]: {key.removeprefix("postgresql_"): value for key, value in index["dialect_options"].items()}
        for index in autogen_context.inspector.get_indexes(tname, schema=schema)
        if "dialect_options" in index
    }
    for index in sorted(metadata_table.indexes, key=lambda i: str(i.name)):
        if index.name not in reflected:
            continue  # added/removed indexes are Alembic's own business
        expected = _index_signature(dict(index.dialect_options["postgresql"]))
        actual = _index_signature(reflected[index.name])
        changed = sorted(key for key in expected if expected[key] != actual[key])
        if not changed or not autogen_context.run_object_filters(index, index.name, "index", False, None):
            continue
        details = "; ".join(f"{key} {actual[key]!r} to {expected[key]!r}" for key in changed)
        log.info("Detected changed index %r on %r: %s", index.name, tname, details)
        modify_table_ops.ops.append(ops.DropIndexOp.from_index(index))
        modify_table_ops.ops.append(ops.CreateIndexOp.from_index(index))


def _canonical_check(connection: sa.Connection, table: sa.Table, sqltext: str) -> str | None:
    """The server's own rendering of ``CHECK (sqltext)`` on a scratch copy of ``table``.

    PostgreSQL's deparser is not a fixpoint: Django's ``status IN (...)`` is stored as
    ``ANY ((ARRAY['a'::varchar])::text[])`` and, parsed again, prints as ``ANY (ARRAY['a'::varchar::text])``.
    Deparsing both sides once more makes equal expressions compare equal. None means it does not parse.
    """
    preparer = connection.dialect.identifier_preparer
    savepoint = connection.begin_nested()
    try:
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE schema_check_probe (LIKE {preparer.format_table(table)})")
        connection.exec_driver_sql(
            f"ALTER TABLE schema_check_probe ADD CONSTRAINT schema_check_probe CHECK ({sqltext}) NOT VALID"
        )
        return connection.exec_driver_sql(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conname = 'schema_check_probe' AND conrelid = 'schema_check_probe'::regclass"
        ).scalar_one()
    except sa.exc.DBAPIError:
        return None
    finally:
        savepoint.rollback()


def _compare_check_expressions(
    autogen_context: Any, modify_table_ops: ops.ModifyTableOps, schema: str | None, tname: str, metadata_table: sa.Table
) -> None:
    reflected = {
        check["name"]: _sql(check["sqltext"])
        for check in autogen_context.inspector.get_check_constraints(tname, schema=schema)
    }
    checks = [c for c in metadata_table.constraints if isinstance(c, sa.CheckConstraint) and c.name in reflected]
    for check in sorted(checks, key=lambda c: str(c.name)):
        expected, actual = _sql(check.sqltext), reflected[check.name]
        if expected == actual or (
            expected is not None
            and actual is not None
            and _canonical_check(autogen_context.connection, metadata_table, expected)
            == _canonical_check(autogen_context.connection, metadata_table, actual)
            is not None
        ):
            continue
        if not autogen_context.run_object_filters(check, check.name, "check_constraint", False, None):
            continue
        log.info("Detected changed check constraint %r on %r: %r to %r", check.name, tname, actual, expected)
        modify_table_ops.ops.append(ops.DropConstraintOp.from_constraint(check))
        modify_table_ops.ops.append(ops.AddConstraintOp.from_constraint(check))


def _compare_computed_columns(
    autogen_context: Any, modify_table_ops: ops.ModifyTableOps, schema: str | None, tname: str, metadata_table: sa.Table
) -> None:
    reflected = {
        column["name"]: column.get("computed") for column in autogen_context.inspector.get_columns(tname, schema=schema)
    }
    for column in sorted(metadata_table.columns, key=lambda c: c.name):
        if column.name not in reflected:
            continue
        expected = (_sql(column.computed.sqltext), bool(column.computed.persisted)) if column.computed else None
        found = reflected[column.name]
        actual = (_sql(found["sqltext"]), bool(found.get("persisted"))) if found else None
        if expected == actual:
            continue
        if not autogen_context.run_object_filters(column, column.name, "column", False, None):
            continue
        log.info("Detected changed generated column %r on %r: %r to %r", column.name, tname, actual, expected)
        # PostgreSQL cannot turn a column into (or out of) a generated one in place: drop and add it.
        modify_table_ops.ops.append(ops.DropColumnOp.from_column_and_tablename(schema, tname, column))
        modify_table_ops.ops.append(ops.AddColumnOp.from_column_and_tablename(schema, tname, column))


def compare_postgres_details(
    autogen_context: Any,
    modify_table_ops: ops.ModifyTableOps,
    schema: str | None,
    tname: str,
    conn_table: sa.Table | None,
    metadata_table: sa.Table | None,
) -> PriorityDispatchResult:
    if conn_table is not None and metadata_table is not None:
        _compare_indexes(autogen_context, modify_table_ops, schema, tname, metadata_table)
        _compare_check_expressions(autogen_context, modify_table_ops, schema, tname, metadata_table)
        _compare_computed_columns(autogen_context, modify_table_ops, schema, tname, metadata_table)
    return PriorityDispatchResult.CONTINUE


def setup(plugin: Plugin) -> None:
    plugin.add_autogenerate_comparator(compare_postgres_details, "table", "postgres_details")


# Registered once per process at import; env.py runs again for every Alembic command but imports this once.
Plugin.setup_plugin_from_module(sys.modules[__name__], PLUGIN_NAME)
