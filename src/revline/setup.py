"""Bring a database to a usable state: schema migrations, then the workspace defaults."""

from __future__ import annotations

from revline import migrations
from revline.crm.bootstrap import ensure_defaults
from revline.kit.db import Database


def upgrade_database(db: Database) -> None:
    migrations.upgrade(db.engine)
    with db.unit_of_work() as session:
        ensure_defaults(session)


def is_current(db: Database) -> bool:
    return migrations.current_heads(db.engine) == migrations.expected_heads()
