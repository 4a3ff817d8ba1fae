"""matching keys for duplicate detection, filled in for existing records

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from revline.crm import matching

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS: dict[str, tuple[tuple[str, int], ...]] = {
    "contacts": (
        ("revline_email_key", 254),
        ("revline_phone_key", 16),
        ("revline_company_key", 255),
    ),
    "companies": (("revline_name_key", 255), ("revline_phone_key", 16)),
    "deals": (("revline_name_key", 255),),
}
SOURCES: dict[str, tuple[tuple[str, ...], Callable[..., dict[str, str | None]]]] = {
    "contacts": (("email", "phone", "mobilephone", "company"), matching.contact_keys),
    "companies": (("name", "phone"), matching.company_keys),
    "deals": (("dealname",), matching.deal_keys),
}
_BATCH = 5000


def _backfill(table: str) -> None:
    """Compute the keys of the records already stored, a batch of ids at a time."""
    columns, compute = SOURCES[table]
    bind = op.get_bind()
    t = sa.table(
        table,
        sa.column("id"),
        *(sa.column(c) for c in columns),
        *(sa.column(c) for c, _ in COLUMNS[table]),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(t.c.id, *(t.c[c] for c in columns))
            .where(t.c.id > last)
            .order_by(t.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        params: list[dict[str, Any]] = []
        for row in rows:
            keys = compute(*row[1:])
            params.append({"ident": row[0], **{f"new_{k}": v for k, v in keys.items()}})
        bind.execute(
            sa.update(t)
            .where(t.c.id == sa.bindparam("ident"))
            .values({c: sa.bindparam(f"new_{c}") for c, _ in COLUMNS[table]}),
            params,
        )
        last = rows[-1][0]


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        for name, length in columns:
            op.add_column(table, sa.Column(name, sa.String(length=length), nullable=True))
            op.create_index(
                f"ix_{table}_{name.removeprefix('revline_')}",
                table,
                [name],
                sqlite_where=sa.text("archived = 0"),
                postgresql_where=sa.text("archived = false"),
            )
        _backfill(table)


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        for name, _ in columns:
            op.drop_index(f"ix_{table}_{name.removeprefix('revline_')}", table_name=table)
            op.drop_column(table, name)
