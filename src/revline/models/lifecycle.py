"""Lifecycle changes (one event row per stage change of a contact or company) and the
workspace settings that switch the lifecycle rules on and off."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from revline.kit.db import Base, JSONDocument, UTCDateTime
from revline.models._columns import BigId


class LifecycleChange(Base):
    """A record moved from one lifecycle stage to another (either may be empty)."""

    __tablename__ = "lifecycle_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False)
    record_id: Mapped[int] = mapped_column(BigId, nullable=False)
    from_stage: Mapped[str | None] = mapped_column(String(100))
    to_stage: Mapped[str | None] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # api, import, user, deal_sync, company_sync, contact_sync, merge, conversion, scoring,
    # workflow
    source: Mapped[str] = mapped_column(String(32), nullable=False)
    source_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (
        Index("ix_lifecycle_changes_record", "object_type", "record_id", "changed_at"),
        Index("ix_lifecycle_changes_stage", "object_type", "to_stage", "changed_at"),
    )


class WorkspaceSetting(Base):
    """One named group of workspace settings, as a JSON document."""

    __tablename__ = "workspace_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class LeadConversion(Base):
    """A contact's conversion: the company and deal it was converted with. One per contact,
    so converting again answers this row instead of creating anything."""

    __tablename__ = "lead_conversions"

    contact_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    company_id: Mapped[int | None] = mapped_column(BigId)
    deal_id: Mapped[int | None] = mapped_column(BigId)
    company_created: Mapped[bool] = mapped_column(Boolean, nullable=False)
    deal_created: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # id, association, domain, name, created or none
    company_matched_by: Mapped[str] = mapped_column(String(16), nullable=False)
    company_match_score: Mapped[float | None] = mapped_column(Float)
    converted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    source_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(BigId)
