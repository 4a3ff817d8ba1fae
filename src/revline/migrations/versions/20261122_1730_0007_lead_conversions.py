"""lead conversions: one row per converted contact

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 17:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import revline.kit.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "lead_conversions",
        sa.Column("contact_id", _ID, autoincrement=False, nullable=False),
        sa.Column("company_id", _ID, nullable=True),
        sa.Column("deal_id", _ID, nullable=True),
        sa.Column("company_created", sa.Boolean(), nullable=False),
        sa.Column("deal_created", sa.Boolean(), nullable=False),
        sa.Column("company_matched_by", sa.String(length=16), nullable=False),
        sa.Column("company_match_score", sa.Float(), nullable=True),
        sa.Column("converted_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=True),
        sa.Column("user_id", _ID, nullable=True),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_lead_conversions")),
    )


def downgrade() -> None:
    op.drop_table("lead_conversions")
