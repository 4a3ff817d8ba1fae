"""Pipeline health and stuck deals: the rules (windows, thresholds, KPI arithmetic) over the
figures the repository aggregates. Money is in the home currency, from the deals'
``amount_in_home_currency`` and ``hs_projected_amount_in_home_currency``."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from threading import Lock

from sqlalchemy.orm import Session

from revline.analytics import repository as repo
from revline.crm.money import service as money
from revline.crm.pipelines import service as pipelines
from revline.errors import ErrorDetail, NotFound, ValidationError
from revline.kit.db.parallel import run_side_by_side
from revline.kit.pagination import parse_after, parse_id
from revline.models import Pipeline, PipelineStage

DEFAULT_WINDOW_DAYS = 90
MIN_SAMPLE = 5  # stays of won deals needed before a learnt threshold is trusted
DAY_SECONDS = 86_400
ZERO = Decimal(0)


# -- shared parsing ------------------------------------------------------------------------


def _bad(param: str, value: str, message: str, code: str = "INVALID_PARAMETER") -> ValidationError:
    return ValidationError(message, errors=[ErrorDetail(message, code, {param: [value]})])


def _parse_owner(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    ident = parse_id(text)
    if ident is None:
        raise _bad("owner", text, f"owner must be an owner id, got '{text}'")
    return ident


def _parse_day(param: str, text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise _bad(param, text, f"{param} must be a date as YYYY-MM-DD, got '{text}'") from None


def fixed(value: Decimal, places: int) -> str:
    """``value`` with exactly ``places`` decimals, halves rounded away from zero."""
    return str(value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _days(seconds: Decimal) -> Decimal:
    return seconds / DAY_SECONDS


def _deal_pipeline(session: Session, pipeline_id: str) -> Pipeline | None:
    found = pipelines.get_pipeline(session, pipeline_id)
    if found is None or found.archived or found.object_type != "deals":
        return None
    return found


# -- pipeline health -----------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Whole UTC days ``first`` to ``last`` inclusive, i.e. ``[start, end)``."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return _midnight(self.first)

    @property
    def end(self) -> datetime:
        return _midnight(self.last + timedelta(days=1))


def parse_window(date_from: str | None, date_to: str | None, today: date) -> Window:
    """The report window: ``from`` and ``to`` inclusive; by default the 90 days ending
    ``today`` (or ending ``to``, or starting ``from``, when only one is given)."""
    last = _parse_day("to", date_to) if date_to else None
    first = _parse_day("from", date_from) if date_from else None
    if last is None:
        last = (
            today
            if first is None
            else max(first, min(today, first + timedelta(DEFAULT_WINDOW_DAYS - 1)))
        )
    if first is None:
        first = last - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    if first > last:
        raise _bad(
            "from",
            first.isoformat(),
            f"from ({first.isoformat()}) must not be after to ({last.isoformat()})",
        )
    return Window(first, last)


@dataclass(frozen=True)
class Money:
    count: int
    amount: Decimal


@dataclass(frozen=True)
class StageHealth:
    stage: PipelineStage
    count: int
    amount: Decimal
    weighted: Decimal
    stays: int
    average_days: Decimal | None
    median_days: Decimal | None
    entered: int | None
    advanced: int | None
    conversion: Decimal | None


@dataclass(frozen=True)
class PipelineHealth:
    pipeline: Pipeline
    window: Window
    owner_id: int | None
    currency: str
    stages: list[StageHealth]
    open: Money
    new: Money
    won: Money
    lost: Money
    win_rate: Decimal | None
    average_won_amount: Decimal | None
    average_cycle_days: Decimal | None
    velocity_per_day: Decimal | None


def stage_ranks(stages: list[PipelineStage]) -> dict[str, int]:
    """Open stages by display position; won stages above them all; lost stages absent."""
    ranks: dict[str, int] = {}
    for position, stage in enumerate(s for s in stages if not s.is_closed):
        ranks[stage.id] = position
    for stage in stages:
        _, won, _ = pipelines.stage_outcome(stage)
        if won:
            ranks[stage.id] = repo.WON_RANK
    return ranks


def _sum(values: list[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), ZERO)


def pipeline_health(
    session: Session,
    pipeline_id: str,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    owner: str | None = None,
    now: datetime,
) -> PipelineHealth:
    """The health of one deal pipeline over a window of days, optionally for one owner."""
    window = parse_window(date_from, date_to, now.astimezone(UTC).date())
    owner_id = _parse_owner(owner)
    pipeline = _deal_pipeline(session, pipeline_id)
    if pipeline is None:
        raise NotFound(
            f"Pipeline {pipeline_id} does not exist", context={"pipelineId": [pipeline_id]}
        )
    stages = pipelines.live_stages(pipeline)
    start, end = window.start, window.end
    repo.prepare_report(session)
    stage_ids = [s.id for s in pipeline.stages]
    ranks = stage_ranks(stages)
    # Three independent statements; on PostgreSQL they run at once, on one snapshot.
    deal_rows, stay_rows, entry_rows = run_side_by_side(
        session,
        [
            lambda s: repo.stage_deals(s, pipeline.id, owner_id, start, end),
            lambda s: repo.stage_stays(s, pipeline.id, stage_ids, owner_id, start, end),
            lambda s: repo.stage_entries(s, pipeline.id, owner_id, start, end, ranks),
        ],
    )
    deals: dict[str, repo.StageDeals] = {r.stage: r for r in deal_rows}
    stays: dict[str, repo.StageStays] = {r.stage: r for r in stay_rows}
    entries: dict[str, repo.StageEntries] = {r.stage: r for r in entry_rows}

    out: list[StageHealth] = []
    for stage in stages:
        d = deals.get(stage.id)
        s = stays.get(stage.id)
        e = entries.get(stage.id)
        entered = None if stage.is_closed else (e.entered if e else 0)
        advanced = None if stage.is_closed else (e.advanced if e else 0)
        out.append(
            StageHealth(
                stage=stage,
                count=d.count if d else 0,
                amount=(d.amount or ZERO) if d else ZERO,
                weighted=(d.weighted or ZERO) if d else ZERO,
                stays=s.count if s else 0,
                average_days=_days(Decimal(s.total_seconds) / s.count) if s else None,
                median_days=_days(Decimal(s.middle_two_seconds) / 2) if s else None,
                entered=entered,
                advanced=advanced,
                conversion=Decimal(advanced) / entered
                if entered and advanced is not None
                else None,
            )
        )

    rows = list(deals.values())
    won = Money(sum(r.won_count for r in rows), _sum([r.won_amount for r in rows]))
    lost = Money(sum(r.lost_count for r in rows), _sum([r.lost_amount for r in rows]))
    open_ = Money(sum(r.open_count for r in rows), _sum([r.open_amount for r in rows]))
    new = Money(sum(r.new_count for r in rows), _sum([r.new_amount for r in rows]))
    with_amount = sum(r.won_with_amount for r in rows)
    with_cycle = sum(r.won_with_cycle for r in rows)
    cycle_seconds = sum(r.won_cycle_seconds or 0 for r in rows)

    win_rate = Decimal(won.count) / (won.count + lost.count) if won.count + lost.count else None
    average_won = won.amount / with_amount if with_amount else None
    cycle_days = _days(Decimal(cycle_seconds) / with_cycle) if with_cycle else None
    velocity = (
        open_.count * win_rate * average_won / cycle_days
        if win_rate is not None and average_won is not None and cycle_days
        else None
    )
    return PipelineHealth(
        pipeline=pipeline,
        window=window,
        owner_id=owner_id,
        currency=money.home_currency(session),
        stages=out,
        open=open_,
        new=new,
        won=won,
        lost=lost,
        win_rate=win_rate,
        average_won_amount=average_won,
        average_cycle_days=cycle_days,
        velocity_per_day=velocity,
    )


# -- stuck deals ---------------------------------------------------------------------------

ROT_DAYS = "rot_days"
WON_P75 = "won_p75"


@dataclass(frozen=True)
class Threshold:
    """A stage's stuck threshold; ``seconds`` is None when too few won stays are known."""

    stage: PipelineStage
    source: str
    seconds: int | None
    sample: int | None


@dataclass(frozen=True)
class StuckDeal:
    deal_id: int
    name: str | None
    owner_id: int | None
    pipeline: str
    stage: PipelineStage
    amount: Decimal | None
    days_in_stage: Decimal
    threshold: Threshold
    reason: str


@dataclass(frozen=True)
class StuckDeals:
    currency: str
    results: list[StuckDeal]
    thresholds: list[Threshold]
    next_after: str | None


class _WonStaysCache:
    """The won-stay percentiles of pipelines, kept in this process and answered again only
    while the pipeline's won deals carry the same stamp (read from the database on every
    request): any write that could change a stay changes the stamp, so a stale answer is
    never returned; another process keeps and checks its own."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, tuple[repo.StagePercentile, ...]] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable) -> tuple[repo.StagePercentile, ...] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, value: tuple[repo.StagePercentile, ...]) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


_won_stays = _WonStaysCache(size=256)


def _won_percentiles(
    session: Session, learnt: dict[str, list[str]]
) -> dict[str, repo.StagePercentile]:
    """The percentiles of the learnt stages (pipeline id -> stage ids), from the cache when
    the pipeline's won deals are unchanged."""
    stamps = repo.won_stamps(session, list(learnt))
    database = repo.database_key(session)
    found: dict[str, repo.StagePercentile] = {}
    for pipeline_id, stage_ids in learnt.items():
        if not stage_ids:
            continue
        key = (database, pipeline_id, tuple(sorted(stage_ids)), stamps.get(pipeline_id))
        rows = _won_stays.get(key)
        if rows is None:
            rows = tuple(repo.won_stay_percentiles(session, pipeline_id, stage_ids))
            _won_stays.put(key, rows)
        found.update((p.stage, p) for p in rows)
    return found


def stage_thresholds(session: Session, chosen: list[Pipeline]) -> list[Threshold]:
    """Each open stage's threshold: its rot days when set, else the 75th percentile (nearest
    rank) of the stays in it by the pipeline's won deals, given at least MIN_SAMPLE stays."""
    stages = [s for p in chosen for s in pipelines.live_stages(p) if not s.is_closed]
    learnt: dict[str, list[str]] = {}
    for s in stages:
        if s.rot_days is None:
            learnt.setdefault(s.pipeline_id, []).append(s.id)
    found = _won_percentiles(session, learnt)
    out: list[Threshold] = []
    for stage in stages:
        if stage.rot_days is not None:
            out.append(Threshold(stage, ROT_DAYS, stage.rot_days * DAY_SECONDS, None))
            continue
        p = found.get(stage.id)
        sample = p.sample if p else 0
        out.append(
            Threshold(stage, WON_P75, p.seconds if p and sample >= MIN_SAMPLE else None, sample)
        )
    return out


def _reason(threshold: Threshold, days: Decimal) -> str:
    label = threshold.stage.label
    if threshold.source == ROT_DAYS:
        return (
            f"{fixed(days, 1)} days in {label}, over the rot threshold of "
            f"{threshold.stage.rot_days} days set on the stage"
        )
    p75 = _days(Decimal(threshold.seconds or 0))
    return (
        f"{fixed(days, 1)} days in {label}, over {fixed(p75, 1)} days: the 75th percentile of "
        f"{threshold.sample} stays in this stage by won deals of the pipeline"
    )


def _parse_limit(limit: int) -> int:
    if not 1 <= limit <= 500:
        raise _bad("limit", str(limit), f"limit must be between 1 and 500, got {limit}")
    return limit


def stuck_deals(
    session: Session,
    *,
    owner: str | None = None,
    pipeline: str | None = None,
    limit: int = 100,
    after: str | None = None,
    now: datetime,
) -> StuckDeals:
    """Open deals that have been in their current stage longer than the stage's threshold,
    furthest over first, with every considered stage's threshold."""
    owner_id = _parse_owner(owner)
    limit = _parse_limit(limit)
    offset = parse_after(after) or 0
    if pipeline:
        found = _deal_pipeline(session, pipeline)
        if found is None:
            raise _bad("pipeline", pipeline, f"pipeline '{pipeline}' is not a deal pipeline")
        chosen = [found]
    else:
        chosen = pipelines.list_pipelines(session, "deals")
    thresholds = stage_thresholds(session, chosen)
    usable = {t.stage.id: t for t in thresholds if t.seconds is not None}
    rows = repo.stuck_deals(
        session,
        {k: t.seconds for k, t in usable.items() if t.seconds is not None},
        [p.id for p in chosen],
        owner_id,
        now,
        offset,
        limit + 1,
    )
    results: list[StuckDeal] = []
    for row in rows[:limit]:
        threshold = usable[row.stage]
        spent = now - row.entered_at
        days = _days(Decimal(spent.days * DAY_SECONDS + spent.seconds))
        results.append(
            StuckDeal(
                deal_id=row.deal_id,
                name=row.name,
                owner_id=row.owner_id,
                pipeline=row.pipeline,
                stage=threshold.stage,
                amount=row.amount,
                days_in_stage=days,
                threshold=threshold,
                reason=_reason(threshold, days),
            )
        )
    next_after = str(offset + limit) if len(rows) > limit else None
    return StuckDeals(money.home_currency(session), results, thresholds, next_after)
