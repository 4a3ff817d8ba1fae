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


def test_contacts_stored_before_lead_status_groups_get_theirs(database: Database) -> None:
    """Upgrading from before 0012 fills the status group of existing contacts; values
    written since (and contacts without a status) are left alone."""
    from alembic import command
    from sqlalchemy import text

    command.downgrade(migrations.alembic_config(database.engine), "0011")
    now = "2026-01-01 00:00:00"
    with database.engine.begin() as conn:
        for email, status, custom in (
            ("old@x.example", "CONNECTED", "{}"),
            ("set@x.example", "NEW", '{"revline_lead_status_group": "working"}'),
            ("none@x.example", None, "{}"),
        ):
            conn.execute(
                text(
                    "INSERT INTO contacts (email, hs_lead_status, custom, created_at, updated_at,"
                    " archived) VALUES (:e, :s, :c, :t, :t, false)"
                ),
                {"e": email, "s": status, "c": custom, "t": now},
            )
    upgrade_database(database)
    with database.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT email, custom FROM contacts")).all())
    groups = {
        email: (value if isinstance(value, dict) else __import__("json").loads(value)).get(
            "revline_lead_status_group"
        )
        for email, value in rows.items()
    }
    assert groups == {
        "old@x.example": "working",
        "set@x.example": "working",
        "none@x.example": None,
    }
