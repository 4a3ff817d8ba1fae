"""lead scoring

Adds score models (rule models and combinations, active or draft), contacts' current scores
under them (read as the read-only properties the models own), the history of every score
change with its cause, and trained predictive models with their metrics and fitted
estimator.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-22 23:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import revline.kit.db.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = revline.kit.db.types.UTCDateTime(timezone=True)
_NUMBER = revline.kit.db.types.Number()


def upgrade() -> None:
    op.create_table(
        "score_models",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("definition", _JSON, nullable=False),
        sa.Column("dependencies", _JSON, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("score_property", sa.String(100), nullable=False),
        sa.Column("label_property", sa.String(100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("last_recomputed_at", _AT, nullable=True),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("archived_at", _AT, nullable=True),
    )
    op.create_index(
        "uq_score_models_name_active",
        "score_models",
        ["name"],
        unique=True,
        sqlite_where=sa.text("archived = 0"),
        postgresql_where=sa.text("archived = false"),
    )
    op.create_table(
        "contact_scores",
        sa.Column("score_property", sa.String(100), nullable=False),
        sa.Column("contact_id", _ID, nullable=False),
        sa.Column("score", _NUMBER, nullable=False),
        sa.Column("label", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("score_property", "contact_id"),
    )
    op.create_index("ix_contact_scores_contact", "contact_scores", ["contact_id"])
    op.create_table(
        "score_history",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("model_id", _ID, nullable=False),
        sa.Column("contact_id", _ID, nullable=False),
        sa.Column("changed_at", _AT, nullable=False),
        sa.Column("old_score", _NUMBER, nullable=True),
        sa.Column("new_score", _NUMBER, nullable=True),
        sa.Column("old_label", sa.String(32), nullable=True),
        sa.Column("new_label", sa.String(32), nullable=True),
        sa.Column("cause", sa.String(32), nullable=False),
        sa.Column("cause_detail", sa.String(255), nullable=True),
    )
    op.create_index(
        "ix_score_history_contact", "score_history", ["contact_id", "model_id", "changed_at"]
    )
    op.create_index("ix_score_history_model", "score_history", ["model_id", "changed_at"])
    op.create_table(
        "predictive_models",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(32), nullable=False),
        sa.Column("outcome", _JSON, nullable=False),
        sa.Column("features", _JSON, nullable=False),
        sa.Column("metrics", _JSON, nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("artifact", sa.LargeBinary(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("trained_at", _AT, nullable=False),
        sa.Column("trained_by", _ID, nullable=True),
        sa.Column("scored_at", _AT, nullable=True),
        sa.Column("tier_cutoffs", _JSON, server_default=sa.text("'[]'"), nullable=False),
    )
    op.create_index("ix_predictive_models_version", "predictive_models", ["version"], unique=True)


def downgrade() -> None:
    op.drop_table("predictive_models")
    op.drop_table("score_history")
    op.drop_table("contact_scores")
    op.drop_table("score_models")
