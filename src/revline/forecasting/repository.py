"""All SQL of forecasting: quotas, the per-group aggregates of deals, win rates by stage from
the stage transitions, and snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    cast,
    delete,
    false,
    func,
    literal,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session

from revline.kit.db import Number
from revline.kit.db.dialect import report_memory, timestamp_number
from revline.models import (
    Deal,
    ForecastSnapshot,
    Pipeline,
    PipelineStage,
    Quota,
    StageTransition,
    Team,
    TeamMember,
    User,
)

GroupBy = Literal["owner", "team", "pipeline"]


# --- quotas ---------------------------------------------------------------------------------


def find_quota(
    session: Session, subject_type: str, subject_id: int, kind: str, start: date
) -> Quota | None:
    return session.scalars(
        select(Quota).where(
            Quota.subject_type == subject_type,
            Quota.subject_id == subject_id,
            Quota.period_kind == kind,
            Quota.period_start == start,
        )
    ).first()


def get_quota(session: Session, quota_id: int) -> Quota | None:
    return session.get(Quota, quota_id)


def add_quota(session: Session, quota: Quota) -> None:
    session.add(quota)
    session.flush()


def delete_quota(session: Session, quota: Quota) -> None:
    session.delete(quota)
    session.flush()


def list_quotas(
    session: Session,
    *,
    kind: str | None,
    start: date | None,
    end: date | None,
    subject_type: str | None,
    subject_id: int | None,
) -> Sequence[Quota]:
    """Quotas whose period starts in [start, end) (and of ``kind`` when given)."""
    stmt = select(Quota)
    if kind is not None:
        stmt = stmt.where(Quota.period_kind == kind)
    if start is not None:
        stmt = stmt.where(Quota.period_start >= start)
    if end is not None:
        stmt = stmt.where(Quota.period_start < end)
    if subject_type is not None:
        stmt = stmt.where(Quota.subject_type == subject_type)
    if subject_id is not None:
        stmt = stmt.where(Quota.subject_id == subject_id)
    return session.scalars(
        stmt.order_by(Quota.period_start, Quota.period_kind, Quota.subject_type, Quota.subject_id)
    ).all()


def live_user_ids(session: Session, ids: Sequence[int]) -> set[int]:
    if not ids:
        return set()
    rows = session.execute(select(User.id).where(User.id.in_(ids), User.archived == false()))
    return {r[0] for r in rows}


def team_ids(session: Session, ids: Sequence[int]) -> set[int]:
    if not ids:
        return set()
    return {r[0] for r in session.execute(select(Team.id).where(Team.id.in_(ids)))}


def primary_teams(session: Session) -> dict[int, int]:
    """Owner id -> the id of the owner's primary team."""
    rows = session.execute(
        select(TeamMember.user_id, TeamMember.team_id).where(TeamMember.is_primary == true())
    )
    return {user_id: team_id for user_id, team_id in rows}


def owner_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.email).where(User.id.in_(ids)))
    return {i: email for i, email in rows}


def team_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(Team.id, Team.name).where(Team.id.in_(ids)))
    return {i: name for i, name in rows}


def pipeline_labels(session: Session) -> dict[str, str]:
    rows = session.execute(
        select(Pipeline.id, Pipeline.label).where(Pipeline.object_type == "deals")
    )
    return {i: label for i, label in rows}


@dataclass(frozen=True)
class StageRow:
    pipeline: str
    stage: str
    label: str
    probability: Decimal | None
    is_closed: bool
    archived: bool


def deal_stages(session: Session, pipeline: str | None) -> list[StageRow]:
    """Every stage of the deal pipelines (archived ones too: deals may still sit in them)."""
    stmt = (
        select(
            PipelineStage.pipeline_id,
            PipelineStage.id,
            PipelineStage.label,
            PipelineStage.probability,
            PipelineStage.is_closed,
            PipelineStage.archived,
        )
        .join(Pipeline, Pipeline.id == PipelineStage.pipeline_id)
        .where(Pipeline.object_type == "deals")
        .order_by(Pipeline.display_order, Pipeline.id, PipelineStage.display_order)
    )
    if pipeline is not None:
        stmt = stmt.where(Pipeline.id == pipeline)
    return [StageRow(*row) for row in session.execute(stmt)]


# --- deal aggregates ------------------------------------------------------------------------


@dataclass(frozen=True)
class DealBucket:
    """The live deals of one group closing in the period, in one (pipeline, stage, state,
    category): their count and summed home and weighted home amounts."""

    group_key: str
    pipeline: str | None
    stage: str | None
    won: bool
    closed: bool
    category: str | None
    deals: int
    home_amount: Decimal
    weighted_amount: Decimal


def _group_column(group_by: GroupBy) -> ColumnElement[Any]:
    if group_by == "pipeline":
        return func.coalesce(Deal.pipeline, literal("unassigned"))
    column = Deal.hubspot_owner_id if group_by == "owner" else TeamMember.team_id
    # Ids as text so owners, teams and pipelines share one key type; no id is "unassigned".
    return func.coalesce(cast(column, String), literal("unassigned"))


def deal_buckets(
    session: Session,
    *,
    group_by: GroupBy,
    start: datetime,
    end: datetime,
    pipeline: str | None,
) -> list[DealBucket]:
    """One GROUP BY over the live deals whose close date falls in [start, end)."""
    group = _group_column(group_by).label("group_key")
    won = func.coalesce(Deal.hs_is_closed_won, false())
    closed = func.coalesce(Deal.hs_is_closed, false())
    home = func.coalesce(func.sum(Deal.amount_in_home_currency), 0)
    weighted = func.coalesce(func.sum(Deal.hs_projected_amount_in_home_currency), 0)
    stmt = select(
        group,
        Deal.pipeline,
        Deal.dealstage,
        won.label("won"),
        closed.label("closed"),
        Deal.hs_forecast_category,
        func.count().label("deals"),
        type_coerce(home, Number).label("home"),
        type_coerce(weighted, Number).label("weighted"),
    ).where(
        # A literal "archived = false" lets the planner use the partial indexes on live deals.
        Deal.archived == false(),
        Deal.closedate >= start,
        Deal.closedate < end,
    )
    if group_by == "team":
        stmt = stmt.outerjoin(
            TeamMember,
            and_(TeamMember.user_id == Deal.hubspot_owner_id, TeamMember.is_primary == true()),
        )
    if pipeline is not None:
        stmt = stmt.where(Deal.pipeline == pipeline)
    stmt = stmt.group_by(
        group, Deal.pipeline, Deal.dealstage, won, closed, Deal.hs_forecast_category
    )
    return [
        DealBucket(
            group_key=str(row.group_key),
            pipeline=row.pipeline,
            stage=row.dealstage,
            won=bool(row.won),
            closed=bool(row.closed),
            category=row.hs_forecast_category,
            deals=int(row.deals),
            home_amount=row.home,
            weighted_amount=row.weighted,
        )
        for row in session.execute(stmt)
    ]


@dataclass(frozen=True)
class StageOutcomes:
    pipeline: str
    stage: str
    closed: int
    won: int


def stage_outcomes(
    session: Session, *, closed_from: datetime, closed_before: datetime, pipeline: str | None
) -> list[StageOutcomes]:
    """Per (pipeline, stage) entered: how many live deals that once entered it closed in
    [closed_from, closed_before), and how many of those were won (each deal counted once)."""
    memory = report_memory(session.get_bind().dialect.name)
    if memory is not None:
        session.execute(memory)
    # Distinct (deal, stage) pairs first, then plain counts: cheaper than COUNT(DISTINCT),
    # which sorts every joined row, and a deal that re-entered a stage still counts once.
    entered = (
        select(
            StageTransition.deal_id,
            StageTransition.to_pipeline,
            StageTransition.to_stage,
            Deal.hs_is_closed_won.label("won"),
        )
        .join(Deal, Deal.id == StageTransition.deal_id)
        .where(
            Deal.archived == false(),
            Deal.hs_is_closed == true(),
            Deal.closedate >= closed_from,
            Deal.closedate < closed_before,
        )
        .distinct()
    )
    if pipeline is not None:
        entered = entered.where(StageTransition.to_pipeline == pipeline)
    pairs = entered.subquery()
    stmt = select(
        pairs.c.to_pipeline,
        pairs.c.to_stage,
        func.count(),
        func.coalesce(func.sum(case((pairs.c.won == true(), 1), else_=0)), 0),
    ).group_by(pairs.c.to_pipeline, pairs.c.to_stage)
    return [StageOutcomes(p, s, int(c), int(w)) for p, s, c, w in session.execute(stmt)]


def closed_deals_stamp(
    session: Session, *, closed_from: datetime, closed_before: datetime
) -> tuple[Any, ...]:
    """A fingerprint of every deal, archived ones too, whose close date is in
    [closed_from, closed_before): their count, the sum of their ids, the latest and the sum of
    their update times and the sum of the archived ones' ids. Any write that changes what
    ``stage_outcomes`` reads of such a deal (its stage, close state or date: every deal write
    sets ``updated_at``; archiving does not, but flips ``archived``) changes the fingerprint.
    One range scan of ``ix_deals_closedate_stamp``, without visiting the table."""
    dialect = session.get_bind().dialect.name
    stmt = select(
        func.count(),
        func.coalesce(func.sum(Deal.id), 0),
        func.max(Deal.updated_at),
        func.sum(timestamp_number(dialect, Deal.updated_at)),
        func.coalesce(func.sum(case((Deal.archived == true(), Deal.id), else_=0)), 0),
    ).where(Deal.closedate >= closed_from, Deal.closedate < closed_before)
    return tuple(session.execute(stmt).one())


# --- snapshots ------------------------------------------------------------------------------


def replace_snapshots(
    session: Session, period: str, group_by: str, taken_on: date, rows: list[ForecastSnapshot]
) -> None:
    """The day's rows of (period, group_by) become ``rows``; groups gone since are dropped."""
    session.execute(
        delete(ForecastSnapshot).where(
            ForecastSnapshot.period == period,
            ForecastSnapshot.group_by == group_by,
            ForecastSnapshot.taken_on == taken_on,
        )
    )
    session.add_all(rows)
    session.flush()


def snapshots(
    session: Session,
    *,
    period: str,
    group_by: str,
    group_key: str | None,
    first_day: date | None = None,
    end_day: date | None = None,
) -> Sequence[ForecastSnapshot]:
    stmt = select(ForecastSnapshot).where(
        ForecastSnapshot.period == period, ForecastSnapshot.group_by == group_by
    )
    if group_key is not None:
        stmt = stmt.where(ForecastSnapshot.group_key == group_key)
    if first_day is not None:
        stmt = stmt.where(ForecastSnapshot.taken_on >= first_day)
    if end_day is not None:
        stmt = stmt.where(ForecastSnapshot.taken_on < end_day)
    return session.scalars(
        stmt.order_by(ForecastSnapshot.taken_on, ForecastSnapshot.group_key)
    ).all()
