"""The migrations build exactly the schema the models describe, on every engine."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from revline import migrations
from revline.kit.db import Base, Database
from revline.setup import is_current, upgrade_database


def test_migrated_schema_matches_models(database: Database) -> None:
    with database.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"include_name": migrations.include_name}),
            Base.metadata,
        )
    assert diff == []


def test_database_is_at_head_and_upgrade_is_repeatable(database: Database) -> None:
    assert is_current(database)
    upgrade_database(database)  # a second run changes nothing and does not fail
    assert migrations.current_heads(database.engine) == migrations.expected_heads()
