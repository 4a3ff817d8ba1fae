"""search indexes: substring indexes over the searchable text columns

PostgreSQL: the pg_trgm extension and one GIN trigram index on ``lower(column)`` per column,
plus B-tree indexes on ``lower(email)`` and ``lower(domain)`` for exact lookups.
SQLite: one external-content FTS5 table (trigram tokenizer) per record table, kept in sync by
triggers. The DDL comes from ``revline.kit.db.dialect`` (all engine-specific SQL lives there);
the table and column lists are frozen here.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from revline.kit.db.dialect import (
    drop_text_index_ddl,
    lower_index_ddl,
    lower_index_name,
    text_extension_ddl,
    text_index_ddl,
)

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "contacts": ("firstname", "lastname", "email", "phone", "company"),
    "companies": ("name", "domain", "phone"),
    "deals": ("dealname",),
    "engagements": (
        "hs_call_title",
        "hs_call_body",
        "hs_email_subject",
        "hs_email_text",
        "hs_meeting_title",
        "hs_meeting_body",
        "hs_note_body",
        "hs_task_subject",
        "hs_task_body",
    ),
}

# Exact, case-insensitive lookups by the unique-value properties (email, domain).
LOWER_COLUMNS = (("contacts", "email"), ("companies", "domain"))


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in text_extension_ddl(dialect):
        op.execute(statement)
    for table, columns in TEXT_COLUMNS.items():
        for statement in text_index_ddl(dialect, table, columns):
            op.execute(statement)
    for table, column in LOWER_COLUMNS:
        for statement in lower_index_ddl(dialect, table, column):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, column in LOWER_COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS {lower_index_name(table, column)}")
    for table, columns in TEXT_COLUMNS.items():
        for statement in drop_text_index_ddl(dialect, table, columns):
            op.execute(statement)
