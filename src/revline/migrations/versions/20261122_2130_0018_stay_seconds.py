"""stage transitions: the length of the stay each one ends, in seconds

Pipeline health ranks the stays that ended in its window to find each stage's median. With
the length stored, PostgreSQL sorts a plain integer per stage (``percentile_cont``) instead
of computing an interval per row first. The covering index of "stays that ended in a window"
carries the length in place of the stay's start.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-22 21:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FROM_COLUMNS = ["from_pipeline", "changed_at", "from_stage"]


def upgrade() -> None:
    # The new index exists before the back-fill: built after it, over the update's broken HOT
    # chains, PostgreSQL would keep it unused until every transaction older than it ended.
    op.drop_index("ix_stage_transitions_from", table_name="deal_stage_transitions")
    with op.batch_alter_table("deal_stage_transitions") as batch:
        batch.add_column(sa.Column("stay_seconds", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_stage_transitions_from",
        "deal_stage_transitions",
        [*_FROM_COLUMNS, "stay_seconds", "deal_id"],
    )
    if op.get_bind().dialect.name == "postgresql":
        length = "round(extract(epoch FROM changed_at - stage_entered_at))"
    else:
        # Timestamps are ISO text on SQLite; julianday() reads them as fractional days.
        length = "round((julianday(changed_at) - julianday(stage_entered_at)) * 86400)"
    op.execute(
        f"UPDATE deal_stage_transitions SET stay_seconds = CAST({length} AS BIGINT) "  # noqa: S608
        "WHERE stage_entered_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_stage_transitions_from", table_name="deal_stage_transitions")
    op.create_index(
        "ix_stage_transitions_from",
        "deal_stage_transitions",
        [*_FROM_COLUMNS, "stage_entered_at", "deal_id"],
    )
    with op.batch_alter_table("deal_stage_transitions") as batch:
        batch.drop_column("stay_seconds")
