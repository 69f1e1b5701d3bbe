"""Alembic environment targeting the generated SQLAlchemy metadata of the Django-owned schema.

Alembic here detects drift (``alembic check``) and can build a copy of the schema outside Django
(``alembic upgrade head``); it never authors migrations for this database: Django migrations do.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from alembic import context

from schema.alembic_plugin import PLUGIN_NAME as POSTGRES_DETAILS_PLUGIN
from schema.sqlalchemy_models import metadata

# By-name comparison of CHECK constraints is opt-in in Alembic; without it a dropped CHECK (price >= 0,
# stock >= 0, ...) would go unnoticed. The project's own plugin adds what Alembic skips: changed CHECK
# expressions, partial-index predicates, index methods/operator classes and generated-column expressions.
AUTOGENERATE_PLUGINS = ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname", POSTGRES_DETAILS_PLUGIN]

config = context.config


def database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    url = url or os.environ.get("DATABASE_URL", "")
    if not url:
        raise RuntimeError("Set DATABASE_URL (or pass -x url=...) to the database the Django migrations built.")
    # Django-style URLs (postgres://) name no driver; the project ships psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def configure_options() -> dict[str, Any]:
    return {
        "target_metadata": metadata,
        "compare_type": True,
        "compare_server_default": True,
        "autogenerate_plugins": AUTOGENERATE_PLUGINS,
    }


def run_migrations_offline() -> None:
    context.configure(url=database_url(), literal_binds=True, **configure_options())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        # Handed over by `manage.py export_schema --check` / the tests: reuse their transaction.
        context.configure(connection=connection, **configure_options())
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(database_url(), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, **configure_options())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
