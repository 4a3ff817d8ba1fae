"""SQL of pipeline health and stuck deals. Every figure is aggregated in the database
(GROUP BY, window functions); only one row per stage, or one page of deals, comes back.

Durations are whole seconds (``seconds_between``) so that sums, medians and percentiles are
exact integers on both engines. A *stay* is the time from a transition into a stage to the
deal's next transition: the row of that next transition names the stage left
(``from_pipeline`` / ``from_stage``), and the stay began at the deal's previous transition."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from revline.kit.db import UTCDateTime
from revline.kit.db.dialect import seconds_between
from revline.models import Deal, StageTransition

# Above every open stage's position: reaching a won stage counts as moving on.
WON_RANK = 1_000_000


@dataclass(frozen=True)
class StageDeals:
    """The deals of a pipeline now in one stage, with the window's closed and new deals."""

    stage: str
    count: int
    amount: Decimal | None
    weighted: Decimal | None
    open_count: int
    open_amount: Decimal | None
    won_count: int
    won_amount: Decimal | None
    won_with_amount: int
    won_cycle_seconds: int | None
    won_with_cycle: int
    lost_count: int
    lost_amount: Decimal | None
    new_count: int
    new_amount: Decimal | None


@dataclass(frozen=True)
class StageStays:
    """Stays in one stage that ended in the window: how many, their total and the sum of the
    two middle values (the same value twice when the count is odd)."""

    stage: str
    count: int
    total_seconds: int
    middle_two_seconds: int


@dataclass(frozen=True)
class StageEntries:
    stage: str
    entered: int
    advanced: int


@dataclass(frozen=True)
class StagePercentile:
    stage: str
    sample: int
    seconds: int


@dataclass(frozen=True)
class StuckRow:
    deal_id: int
    name: str | None
    owner_id: int | None
    pipeline: str
    stage: str
    amount: Decimal | None
    entered_at: datetime


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _live(owner_id: int | None) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [Deal.archived == false()]
    if owner_id is not None:
        conds.append(Deal.hubspot_owner_id == owner_id)
    return conds


def _is_open() -> ColumnElement[bool]:
    return func.coalesce(Deal.hs_is_closed, false()) == false()


def _n(value: Any) -> int:
    return int(value or 0)


def stage_deals(
    session: Session, pipeline_id: str, owner_id: int | None, start: datetime, end: datetime
) -> list[StageDeals]:
    """One scan of the pipeline's deals, grouped by stage: the deals now in each stage, and
    (conditional sums) those won, lost or created in ``[start, end)``."""
    dialect = _dialect(session)
    home = Deal.amount_in_home_currency
    won = and_(Deal.hs_is_closed_won == true(), Deal.closedate >= start, Deal.closedate < end)
    lost = and_(Deal.hs_is_closed_lost == true(), Deal.closedate >= start, Deal.closedate < end)
    new = and_(Deal.created_at >= start, Deal.created_at < end)
    is_open = _is_open()
    cycle = seconds_between(dialect, Deal.created_at, Deal.closedate)

    def count_if(cond: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((cond, 1), else_=0))

    def sum_if(cond: ColumnElement[bool], value: Any) -> ColumnElement[Any]:
        return func.sum(case((cond, value), else_=None))

    query = (
        select(
            Deal.dealstage,
            func.count(),
            func.sum(home),
            func.sum(Deal.hs_projected_amount_in_home_currency),
            count_if(is_open),
            sum_if(is_open, home),
            count_if(won),
            sum_if(won, home),
            count_if(and_(won, home.is_not(None))),
            sum_if(won, cycle),
            count_if(and_(won, Deal.closedate.is_not(None))),
            count_if(lost),
            sum_if(lost, home),
            count_if(new),
            sum_if(new, home),
        )
        .where(Deal.pipeline == pipeline_id, *_live(owner_id))
        .group_by(Deal.dealstage)
    )
    return [
        StageDeals(
            stage=str(r[0]),
            count=_n(r[1]),
            amount=r[2],
            weighted=r[3],
            open_count=_n(r[4]),
            open_amount=r[5],
            won_count=_n(r[6]),
            won_amount=r[7],
            won_with_amount=_n(r[8]),
            won_cycle_seconds=None if r[9] is None else int(r[9]),
            won_with_cycle=_n(r[10]),
            lost_count=_n(r[11]),
            lost_amount=r[12],
            new_count=_n(r[13]),
            new_amount=r[14],
        )
        for r in session.execute(query).all()
    ]


_ENDED = aliased(StageTransition, name="ended")


def _ended_stays(session: Session, conds: Sequence[ColumnElement[bool]]) -> Select[str | None, int]:
    """Stays ended by a transition matching ``conds`` (on the alias ``ended`` and ``Deal``):
    the stage left and the stay's length in seconds."""
    ended = _ENDED
    before = aliased(StageTransition)
    # The stay began at the deal's previous transition (the id breaks ties of equal times).
    began = (
        select(func.max(before.changed_at))
        .where(
            before.deal_id == ended.deal_id,
            or_(
                before.changed_at < ended.changed_at,
                and_(before.changed_at == ended.changed_at, before.id < ended.id),
            ),
        )
        .scalar_subquery()
    )
    return (
        select(
            ended.from_stage.label("stage"),
            seconds_between(_dialect(session), began, ended.changed_at).label("secs"),
        )
        .join(Deal, Deal.id == ended.deal_id)
        .where(ended.from_stage.is_not(None), *conds)
    )


def stage_stays(
    session: Session, pipeline_id: str, owner_id: int | None, start: datetime, end: datetime
) -> list[StageStays]:
    """Per stage of the pipeline: the stays that ended in ``[start, end)``, their total and
    their middle value(s), ranked in the database."""
    stays = _ended_stays(
        session,
        [
            _ENDED.from_pipeline == pipeline_id,
            _ENDED.changed_at >= start,
            _ENDED.changed_at < end,
            *_live(owner_id),
        ],
    ).subquery("stays")
    ranked = select(
        stays.c.stage,
        stays.c.secs,
        func.row_number().over(partition_by=stays.c.stage, order_by=stays.c.secs).label("rn"),
        func.count().over(partition_by=stays.c.stage).label("n"),
    ).subquery("ranked")
    # 1-based positions of the middle values: equal when n is odd.
    low = (ranked.c.n + 1) // 2
    high = (ranked.c.n + 2) // 2
    query = select(
        ranked.c.stage,
        func.count(),
        func.sum(ranked.c.secs),
        func.sum(case((ranked.c.rn == low, ranked.c.secs), else_=0))
        + func.sum(case((ranked.c.rn == high, ranked.c.secs), else_=0)),
    ).group_by(ranked.c.stage)
    return [
        StageStays(str(r[0]), _n(r[1]), _n(r[2]), _n(r[3])) for r in session.execute(query).all()
    ]


def stage_entries(
    session: Session,
    pipeline_id: str,
    owner_id: int | None,
    start: datetime,
    end: datetime,
    ranks: dict[str, int],
) -> list[StageEntries]:
    """Per open stage: the deals that entered it in ``[start, end)`` (once each, at their
    first entry in the window) and how many of them later entered a stage of a higher rank
    (a later open stage, or a won stage). Stages missing from ``ranks`` never count."""
    entry = aliased(StageTransition, name="entry")
    entries = (
        select(
            entry.deal_id.label("deal_id"),
            entry.to_stage.label("stage"),
            func.min(entry.changed_at).label("entered"),
        )
        .join(Deal, Deal.id == entry.deal_id)
        .where(
            entry.to_pipeline == pipeline_id,
            entry.to_stage.in_([s for s, r in ranks.items() if r != WON_RANK]),
            entry.changed_at >= start,
            entry.changed_at < end,
            *_live(owner_id),
        )
        .group_by(entry.deal_id, entry.to_stage)
        .subquery("entries")
    )
    later = aliased(StageTransition, name="later")
    moved_on = exists().where(
        later.deal_id == entries.c.deal_id,
        later.to_pipeline == pipeline_id,
        later.changed_at > entries.c.entered,
        case(ranks, value=later.to_stage, else_=-1) > case(ranks, value=entries.c.stage, else_=-1),
    )
    query = select(entries.c.stage, func.count(), func.sum(case((moved_on, 1), else_=0))).group_by(
        entries.c.stage
    )
    return [StageEntries(str(r[0]), _n(r[1]), _n(r[2])) for r in session.execute(query).all()]


def won_stay_percentiles(session: Session, stages: dict[str, str]) -> list[StagePercentile]:
    """Per stage (id -> pipeline id): the number of stays in it by deals of its pipeline that
    are now closed won, and the 75th percentile of their lengths by nearest rank (the value at
    1-based position ceil(0.75 n) = (3n + 3) div 4 in ascending order)."""
    if not stages:
        return []
    stays = _ended_stays(
        session,
        [
            _ENDED.from_stage.in_(list(stages)),
            _ENDED.from_pipeline == Deal.pipeline,
            Deal.hs_is_closed_won == true(),
            Deal.archived == false(),
        ],
    ).subquery("stays")
    ranked = select(
        stays.c.stage,
        stays.c.secs,
        func.row_number().over(partition_by=stays.c.stage, order_by=stays.c.secs).label("rn"),
        func.count().over(partition_by=stays.c.stage).label("n"),
    ).subquery("ranked")
    query = select(
        ranked.c.stage,
        func.count(),
        func.sum(case((ranked.c.rn == (3 * ranked.c.n + 3) // 4, ranked.c.secs), else_=0)),
    ).group_by(ranked.c.stage)
    return [
        StagePercentile(str(r[0]), _n(r[1]), _n(r[2]))
        for r in session.execute(query).all()
        if str(r[0]) in stages
    ]


def stuck_deals(
    session: Session,
    thresholds: dict[str, int],
    pipelines: Sequence[str],
    owner_id: int | None,
    now: datetime,
    offset: int,
    limit: int,
) -> list[StuckRow]:
    """Open live deals of ``pipelines`` whose time in their current stage exceeds the stage's
    threshold (seconds), furthest over first; ``limit`` rows from ``offset``."""
    if not thresholds or not pipelines:
        return []
    entered = Deal.hs_v2_date_entered_current_stage
    over = seconds_between(_dialect(session), entered, literal(now, UTCDateTime())) - case(
        thresholds, value=Deal.dealstage
    )
    query = (
        select(
            Deal.id,
            Deal.dealname,
            Deal.hubspot_owner_id,
            Deal.pipeline,
            Deal.dealstage,
            Deal.amount_in_home_currency,
            entered,
        )
        .where(
            *_live(owner_id),
            _is_open(),
            Deal.pipeline.in_(list(pipelines)),
            Deal.dealstage.in_(list(thresholds)),
            entered.is_not(None),
            over > 0,
        )
        .order_by(over.desc(), Deal.id)
        .offset(offset)
        .limit(limit)
    )
    return [
        StuckRow(r[0], r[1], r[2], str(r[3]), str(r[4]), r[5], r[6])
        for r in session.execute(query).all()
        if r[6] is not None  # filtered in SQL; the check narrows the type
    ]
