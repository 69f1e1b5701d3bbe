"""Baseline: the schema as the Django migrations leave it.

Revision ID: django_baseline
Revises:

Django owns this schema, so there is exactly one revision and it is never followed by others: on a database
migrated by Django run ``alembic stamp head``; ``alembic upgrade head`` builds the same tables, indexes and
constraints in an empty database (e.g. for a data pipeline's own tests) from the generated metadata.
"""

from collections.abc import Sequence

from alembic import op

from schema.sqlalchemy_models import REQUIRED_EXTENSIONS, metadata

revision: str = "django_baseline"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for extension in REQUIRED_EXTENSIONS:
        op.execute(f'CREATE EXTENSION IF NOT EXISTS "{extension}"')
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
