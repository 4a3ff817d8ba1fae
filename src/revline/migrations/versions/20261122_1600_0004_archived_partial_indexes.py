"""archived records get partial indexes instead of (archived, id) ones

An index led by ``archived`` is nearly useless (almost every record is live), yet without
statistics SQLite's planner prefers it over the partial unique indexes for the unique-value
check and over ``created_at`` for date searches, scanning every live record. Live records are
paged through the primary key; archived ones through a small partial index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("contacts", "companies", "deals", "engagements")


def upgrade() -> None:
    for table in ("contacts", "companies", "deals"):
        op.drop_index(f"ix_{table}_archived_id", table_name=table)
    op.drop_index("ix_engagements_type_archived_id", table_name="engagements")
    op.create_index("ix_engagements_type_id", "engagements", ["engagement_type", "id"])
    for table in TABLES:
        op.create_index(
            f"ix_{table}_archived",
            table,
            ["id"],
            sqlite_where=sa.text("archived = 1"),
            postgresql_where=sa.text("archived = true"),
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_archived", table_name=table)
    op.drop_index("ix_engagements_type_id", table_name="engagements")
    op.create_index(
        "ix_engagements_type_archived_id", "engagements", ["engagement_type", "archived", "id"]
    )
    for table in ("contacts", "companies", "deals"):
        op.create_index(f"ix_{table}_archived_id", table, ["archived", "id"])
