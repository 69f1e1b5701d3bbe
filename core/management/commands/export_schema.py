"""Regenerate (or verify) the SQLAlchemy/Alembic schema dump in ``schema/`` from the Django migrations."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from django.core.management.base import BaseCommand, CommandError, CommandParser

from schema import generator


class Command(BaseCommand):
    help = (
        "Migrate a scratch database from scratch, then write schema/sqlalchemy_models.py and schema/schema.sql "
        "from it. With --check, write nothing: fail if the committed files differ or `alembic check` finds drift."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Compare instead of writing; exit non-zero on any difference (used by `make schema-check`).",
        )
        parser.add_argument(
            "--scratch-database",
            default=None,
            help="Name of the throw-away database (default: <test database name>_schema_check).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["scratch_database"] or generator.default_scratch_name()
        target = generator.DatabaseTarget.from_django(name)
        timings: list[tuple[str, float]] = []
        try:
            with generator.scratch_database(target):
                started = time.monotonic()
                self.stdout.write(f"Migrating scratch database {name} from scratch ...")
                generator.migrate(target)
                timings.append(("migrate", time.monotonic() - started))
                if options["check"]:
                    self._check(target, timings)
                else:
                    self._write(target, timings)
        except (generator.SchemaExportError, sa.exc.SQLAlchemyError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self._summary(timings)

    def _write(self, target: generator.DatabaseTarget, timings: list[tuple[str, float]]) -> None:
        started = time.monotonic()
        generated = generator.generate(target)
        changed = generator.write_files(generated)
        timings.append(("reflect + pg_dump + write", time.monotonic() - started))
        self.stdout.write(f"{'file':<32} {'lines':>6}  status")
        for path, content in generated.files().items():
            status = "updated" if path in changed else "unchanged"
            relative = str(path.relative_to(generator.PROJECT_DIR))
            self.stdout.write(f"{relative:<32} {content.count(chr(10)):>6}  {status}")

    def _check(self, target: generator.DatabaseTarget, timings: list[tuple[str, float]]) -> None:
        started = time.monotonic()
        try:
            generator.check(target)
        except generator.SchemaDriftError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            timings.append(("compare + alembic check", time.monotonic() - started))
        self.stdout.write(self.style.SUCCESS("Schema dump is up to date and `alembic check` found no differences."))

    def _summary(self, timings: list[tuple[str, float]]) -> None:
        self.stdout.write(f"{'step':<28} {'seconds':>8}")
        for step, seconds in timings:
            self.stdout.write(f"{step:<28} {seconds:>8.1f}")
