"""association labels, archived edges, merges

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 13:47:41.693731
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import revline.kit.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "association_labels",
        sa.Column("type_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("from_type", sa.String(length=32), nullable=False),
        sa.Column("to_type", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("inverse_type_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("created_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("type_id", name=op.f("pk_association_labels")),
    )
    op.create_index(
        "ix_association_labels_pair", "association_labels", ["from_type", "to_type"], unique=False
    )
    op.create_table(
        "record_merges",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column(
            "primary_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "merged_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("merged_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "snapshot",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_merges")),
    )
    op.create_index(
        "ix_record_merges_merged", "record_merges", ["object_type", "merged_id"], unique=False
    )
    op.create_index(
        "ix_record_merges_primary", "record_merges", ["object_type", "primary_id"], unique=False
    )
    op.add_column(
        "associations",
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "companies",
        sa.Column(
            "merged_into_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
    )
    op.add_column(
        "contacts",
        sa.Column(
            "merged_into_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
    )
    op.add_column(
        "deals",
        sa.Column(
            "merged_into_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
    )
    op.add_column(
        "engagements",
        sa.Column(
            "merged_into_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
    )


def downgrade() -> None:
    op.drop_column("engagements", "merged_into_id")
    op.drop_column("deals", "merged_into_id")
    op.drop_column("contacts", "merged_into_id")
    op.drop_column("companies", "merged_into_id")
    op.drop_column("associations", "archived")
    op.drop_index("ix_record_merges_primary", table_name="record_merges")
    op.drop_index("ix_record_merges_merged", table_name="record_merges")
    op.drop_table("record_merges")
    op.drop_index("ix_association_labels_pair", table_name="association_labels")
    op.drop_table("association_labels")
