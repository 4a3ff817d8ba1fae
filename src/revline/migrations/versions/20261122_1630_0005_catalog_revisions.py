"""catalog revisions: a counter that lets each process cache the property catalog

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 16:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "catalog_revisions",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_catalog_revisions")),
    )
    op.bulk_insert(table, [{"name": "property_catalog", "revision": 1}])


def downgrade() -> None:
    op.drop_table("catalog_revisions")
