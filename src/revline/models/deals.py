"""Deal stage transitions, exchange rates, quotas and forecast snapshots."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Date, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from revline.kit.db import Base, JSONDocument, Number, UTCDateTime
from revline.models._columns import BigId


class StageTransition(Base):
    """A deal entered a stage: at creation (no from-stage), on a stage change, a pipeline move
    or a reopening. Time in stage, stuck deals, win rates by stage and pipeline health are
    read from these rows."""

    __tablename__ = "deal_stage_transitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    deal_id: Mapped[int] = mapped_column(BigId, nullable=False)
    from_pipeline: Mapped[str | None] = mapped_column(String(64))
    from_stage: Mapped[str | None] = mapped_column(String(64))
    to_pipeline: Mapped[str] = mapped_column(String(64), nullable=False)
    to_stage: Mapped[str] = mapped_column(String(64), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # When the deal entered ``from_stage``: the stay this transition ends began then.
    stage_entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The length of that stay in whole seconds (changed_at - stage_entered_at, halves rounded
    # up), stored so reports sum and rank stays without computing one per row.
    stay_seconds: Mapped[int | None] = mapped_column(BigInteger)
    # API, IMPORT, CRM_UI, INTEGRATION, MERGE, ... (as on property history rows)
    source_type: Mapped[str] = mapped_column(String(32), nullable=False)
    source_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (
        Index("ix_stage_transitions_deal", "deal_id", "changed_at", "id"),
        Index("ix_stage_transitions_stage", "to_pipeline", "to_stage", "changed_at"),
        Index("ix_stage_transitions_at", "changed_at"),
        Index(
            "ix_stage_transitions_from",
            "from_pipeline",
            "changed_at",
            "from_stage",
            "stay_seconds",
            "deal_id",
        ),
        Index("ix_stage_transitions_to", "to_pipeline", "changed_at", "to_stage", "deal_id"),
    )


class ExchangeRate(Base):
    """From ``effective_from`` on (until the next row of the currency), one unit of the home
    currency is worth ``rate`` units of ``currency_code`` (HubSpot's and Salesforce's
    convention): amount in home currency = amount / rate."""

    __tablename__ = "exchange_rates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    currency_code: Mapped[str] = mapped_column(String(3), nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    rate: Mapped[Decimal] = mapped_column(Number, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint("currency_code", "effective_from", name="uq_exchange_rates_currency_day"),
    )


class Quota(Base):
    """A revenue target in the home currency for one owner or team over a month or quarter."""

    __tablename__ = "quotas"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(8), nullable=False)  # owner | team
    subject_id: Mapped[int] = mapped_column(BigId, nullable=False)
    period_kind: Mapped[str] = mapped_column(String(8), nullable=False)  # month | quarter
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Number, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint(
            "subject_type", "subject_id", "period_kind", "period_start", name="uq_quotas_subject"
        ),
        Index("ix_quotas_period", "period_start"),
    )


class ForecastSnapshot(Base):
    """The forecast of one group for one period as it stood on one day."""

    __tablename__ = "forecast_snapshots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(16), nullable=False)  # 2026-Q4, 2026-11
    group_by: Mapped[str] = mapped_column(String(16), nullable=False)
    group_key: Mapped[str] = mapped_column(String(64), nullable=False)
    taken_on: Mapped[date] = mapped_column(Date, nullable=False)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint(
            "period", "group_by", "group_key", "taken_on", name="uq_forecast_snapshots_day"
        ),
    )
