"""The SQLAlchemy/Alembic schema dump in schema/ stays in step with the Django migrations."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from django.conf import settings
from django.core.management import call_command

from schema import generator


@pytest.fixture(scope="module")
def scratch(django_db_blocker: pytest.FixtureDef) -> Iterator[generator.DatabaseTarget]:
    """A database migrated from scratch once for this module, apart from the test database."""
    target = generator.DatabaseTarget.from_django(f"{generator.default_scratch_name()}_tests")
    with generator.scratch_database(target):
        generator.migrate(target)
        yield target


@pytest.fixture
def scratch_connection(scratch: generator.DatabaseTarget) -> Iterator[sa.Connection]:
    """A connection inside a transaction that is rolled back, so drift made by one test never leaks."""
    engine = sa.create_engine(scratch.sqlalchemy_url(), poolclass=sa.pool.NullPool)
    with engine.connect() as connection, connection.begin() as transaction:
        yield connection
        transaction.rollback()
    engine.dispose()


def test_normalise_dump_removes_run_specific_lines_and_sorts_columns() -> None:
    dump = "\n".join(
        [
            "--",
            "-- PostgreSQL database dump",
            "--",
            "\\restrict 8dJq2oRr0eWwQ1x",
            "-- Dumped from database version 18.4",
            "-- Dumped by pg_dump version 18.4",
            "SET statement_timeout = 0;",
            "SELECT pg_catalog.set_config('search_path', '', false);",
            "-- Name: products; Type: TABLE; Schema: public; Owner: postgres",
            "CREATE TABLE public.products (",
            "    slug character varying(220) NOT NULL,",
            "    id uuid NOT NULL,",
            "    CONSTRAINT products_price_non_negative CHECK ((price >= (0)::numeric)),",
            "    price numeric(12,2) NOT NULL",
            ");",
            "",
            "",
            "",
            "\\unrestrict 8dJq2oRr0eWwQ1x",
        ]
    )

    normalised = generator.normalise_dump(dump)

    for run_specific in ("restrict", "Dumped", "SET ", "set_config", "Owner"):
        assert run_specific not in normalised
    assert (
        "CREATE TABLE public.products (\n"
        "    id uuid NOT NULL,\n"
        "    price numeric(12,2) NOT NULL,\n"
        "    slug character varying(220) NOT NULL,\n"
        "    CONSTRAINT products_price_non_negative CHECK ((price >= (0)::numeric))\n"
        ");\n"
    ) in normalised
    assert "-- Name: products; Type: TABLE; Schema: public\n" in normalised
    assert "\n\n\n" not in normalised
    assert generator.normalise_dump(dump) == normalised


def test_pg_dump_is_chosen_by_server_major_version(scratch_connection: sa.Connection) -> None:
    major = generator.server_major_version(scratch_connection)

    chosen = generator.find_pg_dump(major)

    assert generator.pg_dump_version(chosen) == major
    with pytest.raises(generator.SchemaExportError, match="No pg_dump for PostgreSQL 99 found"):
        generator.find_pg_dump(99)


@pytest.mark.slow
def test_committed_dump_is_up_to_date_and_alembic_check_is_clean() -> None:
    """What `make schema-check` runs: regenerate from a fresh migration, diff, then stamp + `alembic check`."""
    call_command("export_schema", "--check", "--scratch-database", f"{generator.default_scratch_name()}_cmd")


@pytest.mark.slow
@pytest.mark.django_db
def test_alembic_check_is_clean_on_the_test_database() -> None:
    target = generator.DatabaseTarget.from_django(settings.DATABASES["default"]["NAME"])
    engine = sa.create_engine(target.sqlalchemy_url(), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            generator.alembic_check(connection)
            tables = sa.inspect(connection).get_table_names()
    finally:
        engine.dispose()
    assert generator.ALEMBIC_VERSION_TABLE not in tables  # the stamp was rolled back


@pytest.mark.slow
def test_generation_is_deterministic(scratch: generator.DatabaseTarget) -> None:
    assert generator.generate(scratch) == generator.generate(scratch)


@pytest.mark.slow
def test_added_column_fails_the_check(scratch: generator.DatabaseTarget) -> None:
    """A schema change the committed files do not know about is reported by the dump diff and by Alembic."""
    engine = sa.create_engine(scratch.sqlalchemy_url(), poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE products ADD COLUMN drift_probe integer")
    try:
        with pytest.raises(generator.SchemaDriftError) as raised:
            generator.check(scratch)
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE products DROP COLUMN drift_probe")
        engine.dispose()

    report = str(raised.value)
    assert "The committed schema dump is out of date" in report
    assert '+    Column("drift_probe", INTEGER()),' in report
    assert "+    drift_probe integer," in report  # schema.sql
    assert "Detected removed column 'products.drift_probe'" in report


@pytest.mark.slow
@pytest.mark.parametrize(
    ("drift_sql", "expected"),
    [
        pytest.param(
            "ALTER TABLE products DROP CONSTRAINT products_stock_non_negative",
            "Detected added check constraint 'products_stock_non_negative'",
            id="dropped-check",
        ),
        pytest.param(
            "ALTER TABLE products DROP CONSTRAINT products_price_non_negative;"
            "ALTER TABLE products ADD CONSTRAINT products_price_non_negative CHECK (price > 0)",
            "Detected changed check constraint 'products_price_non_negative' on 'products': "
            "'price > 0::numeric' to 'price >= 0::numeric'",
            id="changed-check",
        ),
        pytest.param(
            "DROP INDEX payments_one_succeeded_per_order;"
            "CREATE UNIQUE INDEX payments_one_succeeded_per_order ON payments (order_id) WHERE status = 'pending'",
            "Detected changed index 'payments_one_succeeded_per_order' on 'payments': where",
            id="partial-index-predicate",
        ),
        pytest.param(
            "DROP INDEX products_name_trgm;CREATE INDEX products_name_trgm ON products USING gist (name gist_trgm_ops)",
            "using 'gist' to 'gin'",
            id="trigram-index-method",
        ),
        pytest.param(
            "DROP INDEX users_email_ci_unique; CREATE UNIQUE INDEX users_email_ci_unique ON users (email)",
            "Detected changed index 'users_email_ci_unique'",
            id="functional-unique",
        ),
        pytest.param(
            "ALTER TABLE products DROP COLUMN search_vector;"
            "ALTER TABLE products ADD COLUMN search_vector tsvector"
            " GENERATED ALWAYS AS (to_tsvector('english'::regconfig, name::text)) STORED",
            "Detected changed generated column 'search_vector' on 'products'",
            id="generated-tsvector",
            # Alembic's own comparison only warns about this one; the project's plugin reports it.
            marks=pytest.mark.filterwarnings("ignore:Computed default on products.search_vector:UserWarning"),
        ),
        pytest.param(
            "DROP INDEX products_attributes_gin",
            "Detected added index 'products_attributes_gin'",
            id="dropped-gin",
        ),
    ],
)
def test_alembic_check_reports_postgres_specific_drift(
    scratch_connection: sa.Connection, drift_sql: str, expected: str
) -> None:
    generator.alembic_check(scratch_connection)  # clean before the change
    for statement in drift_sql.split(";"):
        scratch_connection.exec_driver_sql(statement)

    with pytest.raises(generator.SchemaDriftError) as raised:
        generator.alembic_check(scratch_connection)

    assert expected in str(raised.value)


def _schema_objects(connection: sa.Connection) -> dict[str, set[str]]:
    inspector = sa.inspect(connection)
    objects = {}
    for table in inspector.get_table_names():
        names = {f"column {column['name']} {column['type']!r}" for column in inspector.get_columns(table)}
        names |= {f"index {index['name']}" for index in inspector.get_indexes(table)}
        names |= {f"check {check['name']}" for check in inspector.get_check_constraints(table)}
        names |= {f"unique {unique['name']}" for unique in inspector.get_unique_constraints(table)}
        names |= {f"fk {fk['name']}" for fk in inspector.get_foreign_keys(table)}
        objects[table] = names
    return objects


@pytest.mark.slow
def test_alembic_baseline_builds_the_same_schema_without_django(scratch_connection: sa.Connection) -> None:
    """`alembic upgrade head` on an empty database yields what the Django migrations yield."""
    from alembic import command

    expected = _schema_objects(scratch_connection)
    target = generator.DatabaseTarget.from_django(f"{generator.default_scratch_name()}_alembic")
    with generator.scratch_database(target):
        engine = sa.create_engine(target.sqlalchemy_url(), poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                with connection.begin():
                    command.upgrade(generator.alembic_config(connection), "head")
                built = _schema_objects(connection)
                generator.alembic_check(connection)
        finally:
            engine.dispose()

    built.pop(generator.ALEMBIC_VERSION_TABLE)
    assert built == expected
