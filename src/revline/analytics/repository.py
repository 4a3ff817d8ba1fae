"""SQL of pipeline health and stuck deals. Every figure is aggregated in the database
(GROUP BY, window functions); only one row per stage, or one page of deals, comes back.

Durations are whole seconds (``seconds_between``) so that sums, medians and percentiles are
exact integers on both engines. A *stay* is the time from a transition into a stage to the
deal's next transition: the row of that next transition names the stage left
(``from_pipeline`` / ``from_stage``), and the stay began at the deal's previous transition."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
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
from revline.kit.db.dialect import report_memory, seconds_between
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


def prepare_report(session: Session) -> None:
    """Room for the report's sorts (the rest of the transaction only)."""
    statement = report_memory(_dialect(session))
    if statement is not None:
        session.execute(statement)


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


def _deal_is(deal_id: ColumnElement[int] | Any, owner_id: int | None) -> ColumnElement[bool]:
    """The deal is live (and the owner's). Deals are never deleted, only archived, so without
    an owner "live" is "not among the archived ids": a probe of the small partial index of
    archived ids instead of a join with every live deal."""
    if owner_id is None:
        return ~exists().where(Deal.id == deal_id, Deal.archived == true())
    return deal_id.in_(select(Deal.id).where(*_live(owner_id)))


def stage_stays(
    session: Session,
    pipeline_id: str,
    stage_ids: Sequence[str],
    owner_id: int | None,
    start: datetime,
    end: datetime,
) -> list[StageStays]:
    """Per stage of the pipeline: the stays that ended in ``[start, end)``, their total and
    their middle value(s), ranked in the database.

    A stay ends with a transition out of the stage, which holds the stay's length
    (``stay_seconds``: written with every transition, back-filled by migration 0018); the
    ``(from_pipeline, changed_at, ...)`` index answers the whole scan. PostgreSQL ranks with
    ``percentile_cont`` per stage. SQLite has no percentile function: its stays are ranked
    with window functions, by stage position (an integer) and length."""
    t = aliased(StageTransition, name="t")
    window = (
        t.from_pipeline == pipeline_id,
        t.changed_at >= start,
        t.changed_at < end,
        t.from_stage.is_not(None),
        t.stay_seconds.is_not(None),
        _deal_is(t.deal_id, owner_id),
    )
    if _dialect(session) == "postgresql":
        # percentile_cont(0.5) is the mean of the two middle values when their count is even,
        # exactly (whole seconds are exact in a double); twice it is the sum of the two.
        middle = func.percentile_cont(0.5).within_group(t.stay_seconds)
        by_stage = select(t.from_stage, func.count(), func.sum(t.stay_seconds), middle * 2)
        found = session.execute(by_stage.where(*window).group_by(t.from_stage)).all()
        return [
            StageStays(str(r[0]), _n(r[1]), _n(r[2]), round(r[3]))
            for r in found
            if r[0] in stage_ids
        ]
    numbers = {stage: i for i, stage in enumerate(stage_ids)}
    stays = (
        select(
            case(numbers, value=t.from_stage, else_=-1).label("stage"),
            t.stay_seconds.label("secs"),
        )
        .where(*window)
        .subquery("stays")
    )
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
        StageStays(stage_ids[int(r[0])], _n(r[1]), _n(r[2]), _n(r[3]))
        for r in session.execute(query).all()
        if int(r[0]) >= 0
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
    (a later open stage, or a won stage). Stages missing from ``ranks`` never count.

    One ``GROUP BY`` deal over the deal's transitions into the pipeline from ``start`` on:
    per open stage S, the first entry into S in the window, and per rank the last entry into
    a stage of that rank. The deal advanced from S when the last entry into some rank above
    S is strictly later in time than the first entry into S (a later entry above S exists
    exactly when the latest one is later). Each transition's rank is computed once, in a
    subquery the planner keeps apart (``OFFSET 0``): folded into every aggregate, the
    comparison of stage ids ran once per aggregate and row and cost half the statement.
    Without an owner, the live check applies to the grouped deals, not to every transition;
    with one, only the owner's live deals' transitions are read (their ids come from the
    owner index alone, which holds them)."""
    t = aliased(StageTransition, name="t")
    open_ranks = sorted({r for r in ranks.values() if r != WON_RANK})
    if not open_ranks:
        return []
    higher = sorted({r for r in ranks.values() if r > open_ranks[0]})
    transitions = select(
        t.deal_id,
        t.changed_at,
        case(ranks, value=t.to_stage, else_=-1).label("rank"),
    ).where(t.to_pipeline == pipeline_id, t.changed_at >= start)
    if owner_id is not None:
        # One owner's deals are a small share of the pipeline: only their transitions are
        # grouped (a hashed semi-join), not every deal's.
        transitions = transitions.where(t.deal_id.in_(select(Deal.id).where(*_live(owner_id))))
    rows = transitions.offset(0).subquery("rows")
    columns: list[Any] = [rows.c.deal_id.label("deal_id")]
    for r in open_ranks:
        in_window = and_(rows.c.rank == r, rows.c.changed_at < end)
        columns.append(func.min(case((in_window, rows.c.changed_at))).label(f"first_{r}"))
    for r in higher:
        columns.append(func.max(case((rows.c.rank == r, rows.c.changed_at))).label(f"last_{r}"))
    per_deal = select(*columns).group_by(rows.c.deal_id).subquery("per_deal")
    totals: list[Any] = []
    for r in open_ranks:
        first_at = per_deal.c[f"first_{r}"]
        # NULL comparisons (a rank never entered) are unknown, so never count as moving on.
        above = [per_deal.c[f"last_{h}"] > first_at for h in higher if h > r]
        moved_on = or_(*above) if above else false()
        totals.append(func.count(first_at))
        totals.append(func.sum(case((moved_on, 1), else_=0)))
    report = select(*totals)
    if owner_id is None:
        report = report.where(_deal_is(per_deal.c.deal_id, None))
    row = session.execute(report).one()
    by_rank = {r: i for i, r in enumerate(open_ranks)}
    found = []
    for stage, r in ranks.items():
        if r == WON_RANK:
            continue
        i = by_rank[r]
        entered = _n(row[2 * i])
        if entered:
            found.append(StageEntries(stage, entered, _n(row[2 * i + 1])))
    return found


@dataclass(frozen=True)
class WonStamp:
    """What the won-stay percentiles of a pipeline are computed from, in a few numbers: its
    closed-won deals (archived ones included), how many are archived, the sum of their ids,
    the latest and the sum of their update times (whole seconds from the epoch). A change of
    a stay changes a transition, which is only ever written with an update of its deal."""

    count: int
    archived: int
    id_sum: int
    updated_max: datetime | None
    updated_sum: int


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def won_stamps(session: Session, pipeline_ids: Sequence[str]) -> dict[str, WonStamp]:
    """Per pipeline, the stamp of its closed-won deals: one range of the partial index of won
    deals per pipeline, read without visiting the table."""
    if not pipeline_ids:
        return {}
    epoch = literal(_EPOCH, UTCDateTime())
    query = (
        select(
            Deal.pipeline,
            func.count(),
            func.sum(case((Deal.archived == true(), 1), else_=0)),
            func.sum(Deal.id),
            func.max(Deal.updated_at),
            func.sum(seconds_between(_dialect(session), epoch, Deal.updated_at)),
        )
        .where(Deal.hs_is_closed_won == true(), Deal.pipeline.in_(list(pipeline_ids)))
        .group_by(Deal.pipeline)
    )
    return {
        str(r[0]): WonStamp(_n(r[1]), _n(r[2]), _n(r[3]), r[4], _n(r[5]))
        for r in session.execute(query).all()
    }


def database_key(session: Session) -> str:
    """Which database the session reads (the URL without its password)."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def won_stay_percentiles(
    session: Session, pipeline_id: str, stage_ids: Sequence[str]
) -> list[StagePercentile]:
    """Per stage of the pipeline in ``stage_ids``: the number of stays in it by the
    pipeline's deals that are now closed won, and the 75th percentile of their lengths by
    nearest rank (the value at 1-based position ceil(0.75 n) = (3n + 3) div 4 in ascending
    order). A stay began at the deal's previous transition: ``LAG`` over the won deals'
    transitions, in one sorted pass."""
    prepare_report(session)
    if not stage_ids:
        return []
    t = aliased(StageTransition, name="t")
    won = select(Deal.id).where(
        Deal.pipeline == pipeline_id, Deal.hs_is_closed_won == true(), Deal.archived == false()
    )
    seq = (
        select(
            t.from_pipeline,
            t.from_stage,
            t.changed_at,
            func.lag(t.changed_at)
            .over(partition_by=t.deal_id, order_by=(t.changed_at, t.id))
            .label("began"),
        )
        .where(t.deal_id.in_(won))
        .subquery("seq")
    )
    stays = (
        select(
            seq.c.from_stage.label("stage"),
            seconds_between(_dialect(session), seq.c.began, seq.c.changed_at).label("secs"),
        )
        .where(seq.c.from_pipeline == pipeline_id, seq.c.from_stage.in_(list(stage_ids)))
        .subquery("stays")
    )
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
    return [StagePercentile(str(r[0]), _n(r[1]), _n(r[2])) for r in session.execute(query).all()]


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
