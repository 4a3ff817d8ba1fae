"""Tracked behaviour: events (append-only), custom event definitions, anonymous visitors
identified later, and per-contact daily counts that outlive raw-event retention."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from revline.kit.db import Base, JSONDocument, UTCDateTime
from revline.models._columns import BigId


class Event(Base):
    """One thing a person did (or that happened to them), at ``occurred_at``.

    Rows are never edited through the API. The only change Revline itself makes is to set
    ``contact_id`` on an anonymous visitor's events when the visitor is identified, and to
    move a merged contact's events to the contact that absorbed it.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_type: Mapped[str] = mapped_column(String(100), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    contact_id: Mapped[int | None] = mapped_column(BigId)
    anonymous_id: Mapped[str | None] = mapped_column(String(255))
    # The value of the type's key property (page_view: path, form_submitted: form_id, ...),
    # kept as a column so daily counts and the commonest conditions need no JSON.
    detail: Mapped[str | None] = mapped_column(String(255))
    properties: Mapped[dict[str, Any]] = mapped_column(
        JSONDocument, nullable=False, default=dict, server_default=text("'{}'")
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    # api, import, segment (entries and exits), system
    source: Mapped[str] = mapped_column(String(32), nullable=False)

    __table_args__ = (
        Index("ix_events_contact_type_time", "contact_id", "event_type", "occurred_at"),
        Index("ix_events_type_time", "event_type", "occurred_at"),
        Index(
            "ix_events_anonymous",
            "anonymous_id",
            sqlite_where=text("contact_id IS NULL"),
            postgresql_where=text("contact_id IS NULL"),
        ),
        Index(
            "uq_events_idempotency_key",
            "idempotency_key",
            unique=True,
            sqlite_where=text("idempotency_key IS NOT NULL"),
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
    )


class EventDailyCount(Base):
    """How many events of one type (and key-property value) a contact had on one UTC day.

    Maintained with every ingested event; behaviour conditions that need no other event
    property are answered from here, so they keep working after raw events are dropped.
    ``detail`` is '' for events whose type has no key property or that lack its value.
    """

    __tablename__ = "event_daily_counts"

    contact_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    event_type: Mapped[str] = mapped_column(String(100), primary_key=True)
    detail: Mapped[str] = mapped_column(String(255), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (
        # Whole-population scans of one behaviour (segment rebuilds) from the index alone.
        Index(
            "ix_event_daily_counts_type_day",
            "event_type",
            "detail",
            "day",
            "contact_id",
            "count",
        ),
    )


class AnonymousIdentity(Base):
    """An anonymous visitor id that has been tied to a contact."""

    __tablename__ = "anonymous_identities"

    anonymous_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    contact_id: Mapped[int] = mapped_column(BigId, nullable=False)
    identified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_anonymous_identities_contact", "contact_id"),)


class EventDefinition(Base):
    """A custom event type: its name and the schema its properties must follow."""

    __tablename__ = "event_definitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    label: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    key_property: Mapped[str | None] = mapped_column(String(100))
    # {"plan": {"type": "enumeration", "required": true, "options": ["free", "pro"]}, ...}
    properties: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())

    __table_args__ = (Index("uq_event_definitions_name", "name", unique=True),)
