"""lead status groups for contacts stored before they existed

Contacts written before revision 0006 hold a lead status but no ``revline_lead_status_group``
(the rules set it on every write since). Fill it in from the default mapping, one statement per
status; a workspace could not have changed the mapping before this revision's feature existed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 18:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from revline.crm.properties.builtins import DEFAULT_LEAD_STATUS_GROUPS
from revline.kit.db.dialect import json_text, json_with_key

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "revline_lead_status_group"


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    contacts = sa.table(
        "contacts",
        sa.column("hs_lead_status", sa.String()),
        sa.column("custom", sa.JSON()),
    )
    for status, group in DEFAULT_LEAD_STATUS_GROUPS.items():
        bind.execute(
            sa.update(contacts)
            .where(
                contacts.c.hs_lead_status == status,
                json_text(dialect, contacts.c.custom, KEY).is_(None),
            )
            .values(custom=json_with_key(dialect, contacts.c.custom, KEY, group))
        )


def downgrade() -> None:
    """The group stays: it is what the rules would have written."""
