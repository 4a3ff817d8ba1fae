"""owner routing: rules and owner availability

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 18:15:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import revline.kit.db.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("available", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.create_table(
        "routing_rules",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("trigger_stage", sa.String(length=100), nullable=True),
        sa.Column(
            "conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("team_id", _ID, nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("overwrite_owner", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_assigned_user_id", _ID, nullable=True),
        sa.Column("created_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_routing_rules_team_id_teams"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
    )
    op.create_index("ix_routing_rules_type_position", "routing_rules", ["object_type", "position"])


def downgrade() -> None:
    op.drop_index("ix_routing_rules_type_position", table_name="routing_rules")
    op.drop_table("routing_rules")
    op.drop_column("users", "available")
