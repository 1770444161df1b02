"""Covering indexes (``INCLUDE``) for the reporting reads, as a migration operation.

PostgreSQL only: SQLite has no ``INCLUDE``, and declared in a model's ``Meta`` such an index
raises a system-check warning there (models.W040). So they are created by migrations, where
``makemigrations`` does not see them, and do nothing on SQLite."""

from django.db import migrations


def covering_index(*, name: str, table: str, key: str, include: str) -> migrations.RunPython:
    """``CREATE INDEX name ON table (key) INCLUDE (include)`` on PostgreSQL; dropped on reversal."""

    def create(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({key}) INCLUDE ({include})")

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(create, drop, elidable=False)
