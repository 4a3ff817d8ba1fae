"""deals by close date over every deal: the stamp of the forecast's win-rate cache

The forecast's historical win rates are cached per lookback window and validated on every
call by a fingerprint of the deals closed in that window, archived ones included (count, sum
of ids, latest and summed update times, sum of archived ids). This index holds every column
of it, so the fingerprint is one index-only range scan.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22 20:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_deals_closedate_stamp", "deals", ["closedate", "updated_at", "archived", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_deals_closedate_stamp", table_name="deals")
