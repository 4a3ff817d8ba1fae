"""deals: a partial index of closed-won deals for the stamp of the stuck-deal thresholds

The stuck-deal thresholds (75th percentile of the stays of a pipeline's won deals) are kept
in process and reused while the pipeline's won deals keep the same stamp (count, archived
count, sum of ids, latest and summed update times). This index over the won deals only,
holding every column the stamp reads, answers it without visiting the table.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-22 20:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_deals_won_stamp",
        "deals",
        ["pipeline", "updated_at", "id", "archived"],
        sqlite_where=sa.text("hs_is_closed_won = 1"),
        postgresql_where=sa.text("hs_is_closed_won = true"),
    )


def downgrade() -> None:
    op.drop_index("ix_deals_won_stamp", table_name="deals")
