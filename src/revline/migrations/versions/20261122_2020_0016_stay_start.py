"""stage transitions: when the stay each transition ends began

A transition out of a stage ends the deal's stay in it; storing when that stay began
(``stage_entered_at``, the time of the deal's previous transition) lets time-in-stage reports
read a stay from one row instead of pairing every transition with the one before it. The
back-fill pairs them once, with ``LAG`` over each deal's transitions. The two covering
indexes serve "stays that ended in a window" and "entries in a window" per pipeline from the
index alone.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-22 20:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import revline.kit.db.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deal_stage_transitions") as batch:
        batch.add_column(
            sa.Column(
                "stage_entered_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.execute(
        "UPDATE deal_stage_transitions SET stage_entered_at = prev.began "
        "FROM (SELECT id, LAG(changed_at) OVER "
        "(PARTITION BY deal_id ORDER BY changed_at, id) AS began "
        "FROM deal_stage_transitions) AS prev "
        "WHERE prev.id = deal_stage_transitions.id "
        "AND deal_stage_transitions.from_stage IS NOT NULL"
    )
    op.create_index(
        "ix_stage_transitions_from",
        "deal_stage_transitions",
        ["from_pipeline", "changed_at", "from_stage", "stage_entered_at", "deal_id"],
    )
    op.create_index(
        "ix_stage_transitions_to",
        "deal_stage_transitions",
        ["to_pipeline", "changed_at", "to_stage", "deal_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_stage_transitions_to", table_name="deal_stage_transitions")
    op.drop_index("ix_stage_transitions_from", table_name="deal_stage_transitions")
    with op.batch_alter_table("deal_stage_transitions") as batch:
        batch.drop_column("stage_entered_at")
