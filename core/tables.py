"""Migration operations for a model that moves to another app and keeps its table."""

from typing import Any

from django.db import migrations


def table_create_if_missing(app_label: str, model_name: str) -> migrations.RunPython:
    """Create the model's table (with its indexes and constraints) unless an earlier app's migrations already did.

    Paired with a ``SeparateDatabaseAndState`` that only records the model in the new app's state: a fresh database
    gets the table here, an existing one keeps its rows. Reversing leaves the table alone.
    """

    def create(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        if model._meta.db_table not in schema_editor.connection.introspection.table_names():
            schema_editor.create_model(model)

    return migrations.RunPython(create, migrations.RunPython.noop)
