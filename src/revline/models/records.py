"""CRM records. Built-in properties are typed columns named exactly like the property;
custom properties live in the ``custom`` JSON document (see docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from revline.kit.db import Base, JSONDocument, Number, UTCDateTime
from revline.models._columns import BigId


def _live(name: str, *columns: str, include: Sequence[str] = ()) -> Index:
    """A list-view index over live records only. Searches and lists always ask for live
    records (``archived = false``), so the index can answer counts and sorted pages on its
    own, without visiting the table, and archived rows never take room in it. ``include``
    adds payload columns on PostgreSQL (SQLite's indexes always carry the row id)."""
    return Index(
        name,
        *columns,
        sqlite_where=text("archived = 0"),
        postgresql_where=text("archived = false"),
        postgresql_include=list(include),
    )


def _archived_ids(table: str) -> Index:
    """The ids of archived records only. Live records are found through the primary key:
    an index led by the low-selectivity ``archived`` flag tempts SQLite's planner (which has
    no statistics on a fresh database) away from the selective ones."""
    return Index(
        f"ix_{table}_archived",
        "id",
        sqlite_where=text("archived = 1"),
        postgresql_where=text("archived = true"),
    )


class RecordColumns:
    """Columns every CRM record table has."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    custom: Mapped[dict[str, Any]] = mapped_column(
        JSONDocument, nullable=False, default=dict, server_default=text("'{}'")
    )
    hubspot_owner_id: Mapped[int | None] = mapped_column(BigId)
    # Set when this record was merged into another one; reads of this id answer that one.
    merged_into_id: Mapped[int | None] = mapped_column(BigId)


class Contact(RecordColumns, Base):
    __tablename__ = "contacts"

    email: Mapped[str | None] = mapped_column(String(254))
    firstname: Mapped[str | None] = mapped_column(String(255))
    lastname: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    mobilephone: Mapped[str | None] = mapped_column(String(64))
    company: Mapped[str | None] = mapped_column(String(255))
    jobtitle: Mapped[str | None] = mapped_column(String(255))
    website: Mapped[str | None] = mapped_column(String(512))
    address: Mapped[str | None] = mapped_column(String(512))
    city: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str | None] = mapped_column(String(255))
    zip: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(255))
    lifecyclestage: Mapped[str | None] = mapped_column(String(100))
    hs_lead_status: Mapped[str | None] = mapped_column(String(100))
    hs_analytics_source: Mapped[str | None] = mapped_column(String(100))
    # Matching keys kept by the contact rules (see revline.lifecycle.normalize).
    revline_email_key: Mapped[str | None] = mapped_column(String(254))
    revline_phone_key: Mapped[str | None] = mapped_column(String(16))
    revline_company_key: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        Index(
            "uq_contacts_email_active",
            "email",
            unique=True,
            sqlite_where=text("archived = 0"),
            postgresql_where=text("archived = false"),
        ),
        _archived_ids("contacts"),
        # Composite (filter, sort) indexes for the list views: see docs/architecture.md.
        _live("ix_contacts_lifecyclestage_created", "lifecyclestage", "created_at"),
        _live("ix_contacts_lead_status_created", "hs_lead_status", "created_at"),
        _live("ix_contacts_owner_created", "hubspot_owner_id", "created_at"),
        _live(
            "ix_contacts_owner_stage_created", "hubspot_owner_id", "lifecyclestage", "created_at"
        ),
        _live("ix_contacts_created_at", "created_at"),
        _live("ix_contacts_updated_at", "updated_at"),
        _live("ix_contacts_lastname", "lastname"),
        _live("ix_contacts_email_key", "revline_email_key"),
        _live("ix_contacts_phone_key", "revline_phone_key"),
        _live("ix_contacts_company_key", "revline_company_key"),
    )


class Company(RecordColumns, Base):
    __tablename__ = "companies"

    name: Mapped[str | None] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255))
    website: Mapped[str | None] = mapped_column(String(512))
    phone: Mapped[str | None] = mapped_column(String(64))
    industry: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(512))
    city: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str | None] = mapped_column(String(255))
    zip: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(255))
    numberofemployees: Mapped[Decimal | None] = mapped_column(Number)
    annualrevenue: Mapped[Decimal | None] = mapped_column(Number)
    lifecyclestage: Mapped[str | None] = mapped_column(String(100))
    revline_name_key: Mapped[str | None] = mapped_column(String(255))
    revline_phone_key: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index(
            "uq_companies_domain_active",
            "domain",
            unique=True,
            sqlite_where=text("archived = 0"),
            postgresql_where=text("archived = false"),
        ),
        _archived_ids("companies"),
        _live("ix_companies_name", "name"),
        _live("ix_companies_owner_created", "hubspot_owner_id", "created_at"),
        _live("ix_companies_lifecyclestage_created", "lifecyclestage", "created_at"),
        _live("ix_companies_created_at", "created_at"),
        _live("ix_companies_name_key", "revline_name_key"),
        _live("ix_companies_phone_key", "revline_phone_key"),
    )


class Deal(RecordColumns, Base):
    __tablename__ = "deals"

    dealname: Mapped[str | None] = mapped_column(String(255))
    revline_name_key: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[Decimal | None] = mapped_column(Number)
    deal_currency_code: Mapped[str | None] = mapped_column(String(3))
    pipeline: Mapped[str | None] = mapped_column(String(64))
    dealstage: Mapped[str | None] = mapped_column(String(64))
    closedate: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dealtype: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    hs_priority: Mapped[str | None] = mapped_column(String(32))
    hs_deal_stage_probability: Mapped[Decimal | None] = mapped_column(Number)
    hs_is_closed: Mapped[bool | None] = mapped_column(Boolean)
    hs_is_closed_won: Mapped[bool | None] = mapped_column(Boolean)
    hs_is_closed_lost: Mapped[bool | None] = mapped_column(Boolean)
    # Forecasting: a manual probability and category override the stage's defaults.
    hs_forecast_probability: Mapped[Decimal | None] = mapped_column(Number)
    hs_manual_forecast_category: Mapped[str | None] = mapped_column(String(16))
    hs_forecast_category: Mapped[str | None] = mapped_column(String(16))
    hs_projected_amount: Mapped[Decimal | None] = mapped_column(Number)
    hs_projected_amount_in_home_currency: Mapped[Decimal | None] = mapped_column(Number)
    # Money: the amount in the workspace's home currency and recurring revenue.
    amount_in_home_currency: Mapped[Decimal | None] = mapped_column(Number)
    recurring_revenue_amount: Mapped[Decimal | None] = mapped_column(Number)
    revline_term_months: Mapped[Decimal | None] = mapped_column(Number)
    hs_mrr: Mapped[Decimal | None] = mapped_column(Number)
    hs_arr: Mapped[Decimal | None] = mapped_column(Number)
    hs_tcv: Mapped[Decimal | None] = mapped_column(Number)
    closed_lost_reason: Mapped[str | None] = mapped_column(String(100))
    closed_won_reason: Mapped[str | None] = mapped_column(Text)
    # When the deal entered the stage it is in now (time in stage, stuck deals).
    hs_v2_date_entered_current_stage: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        _archived_ids("deals"),
        _live("ix_deals_pipeline_stage_close", "pipeline", "dealstage", "closedate"),
        # Carries the id: an owner's live deals (pipeline health per owner) from the index
        # alone.
        _live("ix_deals_owner_close", "hubspot_owner_id", "closedate", include=["id"]),
        _live("ix_deals_closedate", "closedate"),
        # Over every deal, archived too: the forecast's win-rate cache fingerprints the deals
        # closed in its lookback window (count, ids, update times, archived ids) from this
        # index alone, so archiving or restoring one of them changes the stamp.
        Index("ix_deals_closedate_stamp", "closedate", "updated_at", "archived", "id"),
        _live("ix_deals_created_at", "created_at"),
        _live("ix_deals_name_key", "revline_name_key"),
        # The stamp of a pipeline's closed-won deals (archived ones included), which tells
        # whether the stuck-deal thresholds learnt from them may be reused: read from the
        # index alone.
        Index(
            "ix_deals_won_stamp",
            "pipeline",
            "updated_at",
            "id",
            "archived",
            sqlite_where=text("hs_is_closed_won = 1"),
            postgresql_where=text("hs_is_closed_won = true"),
        ),
    )


class Engagement(RecordColumns, Base):
    """Calls, emails, meetings, notes and tasks share one table, told apart by type."""

    __tablename__ = "engagements"

    engagement_type: Mapped[str] = mapped_column(String(16), nullable=False)
    hs_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hs_note_body: Mapped[str | None] = mapped_column(Text)
    hs_call_title: Mapped[str | None] = mapped_column(String(512))
    hs_call_body: Mapped[str | None] = mapped_column(Text)
    hs_call_direction: Mapped[str | None] = mapped_column(String(16))
    hs_call_duration: Mapped[Decimal | None] = mapped_column(Number)
    hs_call_disposition: Mapped[str | None] = mapped_column(String(64))
    hs_call_status: Mapped[str | None] = mapped_column(String(32))
    hs_email_subject: Mapped[str | None] = mapped_column(String(998))
    hs_email_text: Mapped[str | None] = mapped_column(Text)
    hs_email_direction: Mapped[str | None] = mapped_column(String(32))
    hs_email_status: Mapped[str | None] = mapped_column(String(32))
    hs_meeting_title: Mapped[str | None] = mapped_column(String(512))
    hs_meeting_body: Mapped[str | None] = mapped_column(Text)
    hs_meeting_start_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hs_meeting_end_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hs_meeting_outcome: Mapped[str | None] = mapped_column(String(32))
    hs_task_subject: Mapped[str | None] = mapped_column(String(512))
    hs_task_body: Mapped[str | None] = mapped_column(Text)
    hs_task_status: Mapped[str | None] = mapped_column(String(32))
    hs_task_priority: Mapped[str | None] = mapped_column(String(16))
    hs_task_type: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_engagements_type_id", "engagement_type", "id"),
        _archived_ids("engagements"),
        _live("ix_engagements_type_timestamp", "engagement_type", "hs_timestamp"),
        _live("ix_engagements_owner_timestamp", "hubspot_owner_id", "hs_timestamp"),
    )


class RecordMerge(Base):
    """One merge: which record absorbed which, when, by whom, and what the merged one held."""

    __tablename__ = "record_merges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False)
    primary_id: Mapped[int] = mapped_column(BigId, nullable=False)
    merged_id: Mapped[int] = mapped_column(BigId, nullable=False)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    source_type: Mapped[str] = mapped_column(String(32), nullable=False)
    source_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(BigId)
    # The merged record's values and which of them filled gaps on the primary.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)

    __table_args__ = (
        Index("ix_record_merges_primary", "object_type", "primary_id"),
        Index("ix_record_merges_merged", "object_type", "merged_id"),
    )


RECORD_MODELS: dict[str, type[RecordColumns]] = {
    "contacts": Contact,
    "companies": Company,
    "deals": Deal,
    "engagements": Engagement,
}
