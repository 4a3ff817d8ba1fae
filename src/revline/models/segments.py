"""Segments (HubSpot's lists): dynamic ones defined by a condition tree and static ones
whose members are added and removed by hand; their current members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from revline.kit.db import Base, JSONDocument, UTCDateTime
from revline.models._columns import BigId


class Segment(Base):
    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    # dynamic | static
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    # The condition tree of a dynamic segment (None for a static one).
    conditions: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    # What can change membership, derived from the conditions: which contact and company
    # properties, event types and segments they read, whether associations matter, and
    # whether time alone can (a window such as "in the last 30 days").
    dependencies: Mapped[dict[str, Any]] = mapped_column(
        JSONDocument, nullable=False, default=dict, server_default=text("'{}'")
    )
    time_based: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_rebuilt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(
            "uq_segments_name_active",
            "name",
            unique=True,
            sqlite_where=text("archived = 0"),
            postgresql_where=text("archived = false"),
        ),
    )


class SegmentMember(Base):
    """A contact in a segment now. Entries and exits over time are events
    (``segment_entered`` / ``segment_exited``, detail = the segment id)."""

    __tablename__ = "segment_members"

    segment_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    contact_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_segment_members_contact", "contact_id", "segment_id"),)
