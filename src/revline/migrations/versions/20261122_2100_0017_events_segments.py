"""events and segments

Adds tracked events (append-only, with an idempotency key that is accepted once), per-contact
daily event counts that keep behaviour conditions answerable after raw events are dropped,
anonymous visitor ids tied to contacts, custom event definitions, and segments with their
current members.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-22 21:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import revline.kit.db.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = revline.kit.db.types.UTCDateTime(timezone=True)


def _where(condition: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("occurred_at", _AT, nullable=False),
        sa.Column("received_at", _AT, nullable=False),
        sa.Column("contact_id", _ID, nullable=True),
        sa.Column("anonymous_id", sa.String(255), nullable=True),
        sa.Column("detail", sa.String(255), nullable=True),
        sa.Column("properties", _JSON, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("source", sa.String(32), nullable=False),
    )
    op.create_index(
        "ix_events_contact_type_time", "events", ["contact_id", "event_type", "occurred_at"]
    )
    op.create_index("ix_events_type_time", "events", ["event_type", "occurred_at"])
    op.create_index(
        "ix_events_anonymous", "events", ["anonymous_id"], **_where("contact_id IS NULL")
    )
    op.create_index(
        "uq_events_idempotency_key",
        "events",
        ["idempotency_key"],
        unique=True,
        **_where("idempotency_key IS NOT NULL"),
    )
    op.create_table(
        "event_daily_counts",
        sa.Column("contact_id", _ID, nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("detail", sa.String(255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", "event_type", "detail", "day"),
    )
    op.create_index(
        "ix_event_daily_counts_type_day",
        "event_daily_counts",
        ["event_type", "detail", "day", "contact_id", "count"],
    )
    op.create_table(
        "anonymous_identities",
        sa.Column("anonymous_id", sa.String(255), primary_key=True),
        sa.Column("contact_id", _ID, nullable=False),
        sa.Column("identified_at", _AT, nullable=False),
    )
    op.create_index("ix_anonymous_identities_contact", "anonymous_identities", ["contact_id"])
    op.create_table(
        "event_definitions",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("key_property", sa.String(100), nullable=True),
        sa.Column("properties", _JSON, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index("uq_event_definitions_name", "event_definitions", ["name"], unique=True)
    op.create_table(
        "segments",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("conditions", _JSON, nullable=True),
        sa.Column("dependencies", _JSON, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("time_based", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("last_rebuilt_at", _AT, nullable=True),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("archived_at", _AT, nullable=True),
    )
    op.create_index(
        "uq_segments_name_active",
        "segments",
        ["name"],
        unique=True,
        sqlite_where=sa.text("archived = 0"),
        postgresql_where=sa.text("archived = false"),
    )
    op.create_table(
        "segment_members",
        sa.Column("segment_id", _ID, nullable=False),
        sa.Column("contact_id", _ID, nullable=False),
        sa.Column("entered_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("segment_id", "contact_id"),
    )
    op.create_index("ix_segment_members_contact", "segment_members", ["contact_id", "segment_id"])


def downgrade() -> None:
    op.drop_table("segment_members")
    op.drop_table("segments")
    op.drop_table("event_definitions")
    op.drop_table("anonymous_identities")
    op.drop_table("event_daily_counts")
    op.drop_table("events")
