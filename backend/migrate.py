"""Versioned migrations (peewee's own runner, files in backend/migrations/) and the drift check.

Migrations declare frozen copies of the tables they create, so they keep working whatever the
models become. `drift()` compares a migrated database with the current models; CI fails on any
difference, so a model change without its migration never lands.
"""

from __future__ import annotations

from pathlib import Path

import peewee
from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models

from backend.wiring import all_models

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def runner(database: peewee.Database) -> Runner:
    return Runner(database, directory=str(MIGRATIONS_DIR), table_name="schema_migration")


def upgrade(database: peewee.Database) -> list[str]:
    """Apply pending migrations; returns the names applied."""
    return runner(database).up()


def pending(database: peewee.Database) -> list[str]:
    return [m.name for m in runner(database).status() if m.applied is None and m.path is not None]


def drift(database: peewee.Database) -> list[str]:
    """Differences between the migrated schema and the models, as readable lines (empty = none)."""
    models = [m for m in all_models() if m._meta.table_name != "schema_migration"]
    problems = [line for line in str(diff_models(database, models)).splitlines() if line]
    # schema_diff does not look at nullability; a NOT NULL mismatch breaks inserts, so check it.
    tables = set(database.get_tables())
    for model in models:
        table = model._meta.table_name
        if table not in tables:
            continue
        columns = {c.name: c for c in database.get_columns(table)}
        for field in model._meta.sorted_fields:
            column = columns.get(field.column_name)
            if column is not None and not field.primary_key and bool(column.null) != bool(field.null):
                problems.append(f"nullability differs {table}.{field.column_name}: db null={column.null}")
    return problems
