"""The forecast of a month or quarter per owner, team or pipeline, with the configured
(weighted) and the data-driven projection side by side, and the daily snapshots of it.

Every figure is read from one GROUP BY over the live deals closing in the period (grouped by
group, pipeline, stage, outcome and forecast category, so a few hundred rows at most) and one
GROUP BY over the stage transitions for the win rates; Python only folds those rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from revline.errors import ErrorDetail, ValidationError
from revline.forecasting import quotas
from revline.forecasting import repository as repo
from revline.forecasting.cache import StampedCache
from revline.forecasting.periods import Period, month_of, parse_period, quarter_of
from revline.forecasting.repository import DealBucket, GroupBy
from revline.kit.pagination import parse_id
from revline.kit.time import utcnow
from revline.models import ForecastSnapshot

GROUP_BYS: tuple[GroupBy, ...] = ("owner", "team", "pipeline")
UNASSIGNED = "unassigned"
TOTAL = "total"
# A stage's historical win rate is used once this many deals that entered it have closed.
MIN_SAMPLE = 5
DEFAULT_LOOKBACK_DAYS = 365
MAX_LOOKBACK_DAYS = 3650
CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def money_text(value: Decimal | None) -> str | None:
    return None if value is None else str(money(value) + 0)


def bad(message: str, field: str, value: str, code: str = "INVALID_INPUT") -> ValidationError:
    return ValidationError(message, errors=[ErrorDetail(message, code, {field: [value]})])


def parse_group_by(raw: str | None) -> GroupBy:
    value = raw if raw is not None else "owner"
    for known in GROUP_BYS:
        if value == known:
            return known
    raise bad(f"group_by must be owner, team or pipeline, not '{value}'", "group_by", value)


def parse_lookback(raw: str | int | None) -> int:
    if raw is None:
        return DEFAULT_LOOKBACK_DAYS
    text = str(raw)
    days = parse_id(text)
    if days is None or not 1 <= days <= MAX_LOOKBACK_DAYS:
        raise bad(
            f"lookback_days must be a whole number from 1 to {MAX_LOOKBACK_DAYS}, not '{text}'",
            "lookback_days",
            text,
        )
    return days


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


# --- win rates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WinRate:
    """The chance an open deal in (pipeline, stage) is won: the stage's probability as
    configured, and the share of the deals that entered the stage and closed in the lookback
    window that were won. ``used`` says which one the data-driven projection applies."""

    pipeline: str
    stage: str
    label: str
    configured: Decimal
    historical: Decimal | None
    closed_deals: int
    won_deals: int
    archived: bool = False

    @property
    def used(self) -> str:
        return "historical" if self.closed_deals >= MIN_SAMPLE else "configured"

    @property
    def rate(self) -> Decimal:
        if self.historical is not None and self.used == "historical":
            return self.historical
        return self.configured


def win_rates(
    session: Session, period: Period, *, lookback_days: int, pipeline: str | None
) -> list[WinRate]:
    """The win rates of the open stages, learnt from deals closed in the ``lookback_days``
    before the period starts (nothing from inside the period, so past forecasts can be
    replayed honestly)."""
    until = _midnight(period.start)
    outcomes = {
        (o.pipeline, o.stage): o
        for o in _stage_outcomes(
            session,
            closed_from=until - timedelta(days=lookback_days),
            closed_before=until,
            pipeline=pipeline,
        )
    }
    out: list[WinRate] = []
    for stage in repo.deal_stages(session, pipeline):
        if stage.is_closed:
            continue
        found = outcomes.get((stage.pipeline, stage.stage))
        closed = found.closed if found else 0
        won = found.won if found else 0
        historical = (
            (Decimal(won) / Decimal(closed)).quantize(RATE_PLACES, ROUND_HALF_UP)
            if closed
            else None
        )
        configured = (stage.probability or Decimal(0)).quantize(RATE_PLACES, ROUND_HALF_UP)
        out.append(
            WinRate(
                stage.pipeline,
                stage.stage,
                stage.label,
                configured,
                historical,
                closed,
                won,
                stage.archived,
            )
        )
    return out


# The stage outcomes read every transition of the deals closed in the lookback window (the
# forecast's one expensive query), yet they change only when one of those deals does: cached
# per database and inputs, validated on every call by the stamp of those deals.
OUTCOMES_CACHE: StampedCache[list[repo.StageOutcomes]] = StampedCache(size=64)


def _stage_outcomes(
    session: Session, *, closed_from: datetime, closed_before: datetime, pipeline: str | None
) -> list[repo.StageOutcomes]:
    stamp = repo.closed_deals_stamp(session, closed_from=closed_from, closed_before=closed_before)
    key = (str(session.get_bind().engine.url), closed_from, closed_before, pipeline)
    return OUTCOMES_CACHE.get(
        key,
        stamp,
        lambda: repo.stage_outcomes(
            session, closed_from=closed_from, closed_before=closed_before, pipeline=pipeline
        ),
    )


# --- the forecast ---------------------------------------------------------------------------


@dataclass
class Figures:
    """The forecast of one group (or of all deals): amounts in the home currency."""

    quota: Decimal | None = None
    closed_won: Decimal = Decimal(0)
    commit: Decimal = Decimal(0)
    best_case: Decimal = Decimal(0)
    pipeline: Decimal = Decimal(0)
    weighted_pipeline: Decimal = Decimal(0)
    data_driven_pipeline: Decimal = Decimal(0)
    won_deals: int = 0
    commit_deals: int = 0
    best_case_deals: int = 0
    pipeline_deals: int = 0
    omitted_deals: int = 0
    lost_deals: int = 0

    def add(self, bucket: DealBucket, rate: Decimal) -> None:
        if bucket.closed:
            if bucket.won:
                self.closed_won += bucket.home_amount
                self.won_deals += bucket.deals
            else:
                self.lost_deals += bucket.deals
            return
        category = bucket.category or "PIPELINE"
        if category == "OMIT":
            self.omitted_deals += bucket.deals
            return
        if category == "COMMIT":
            self.commit += bucket.home_amount
            self.commit_deals += bucket.deals
        elif category == "BEST_CASE":
            self.best_case += bucket.home_amount
            self.best_case_deals += bucket.deals
        else:
            self.pipeline += bucket.home_amount
            self.pipeline_deals += bucket.deals
        self.weighted_pipeline += bucket.weighted_amount
        self.data_driven_pipeline += bucket.home_amount * rate

    @property
    def open_deals(self) -> int:
        return self.commit_deals + self.best_case_deals + self.pipeline_deals

    def as_dict(self) -> dict[str, Any]:
        """The figures as the API shows and the snapshots store them: money as strings with
        two decimals, rounded half up after summing."""
        closed_won = money(self.closed_won)
        commit, best_case = money(self.commit), money(self.best_case)
        weighted = money(self.weighted_pipeline)
        data_driven = money(self.data_driven_pipeline)
        remaining = None if self.quota is None else money(self.quota) - closed_won
        coverage = (
            None
            if remaining is None or remaining <= 0
            else (weighted / remaining).quantize(CENT, ROUND_HALF_UP)
        )
        return {
            "quota": money_text(self.quota),
            "closedWon": money_text(closed_won),
            "commit": money_text(commit),
            "bestCase": money_text(best_case),
            "pipeline": money_text(self.pipeline),
            "forecastCommit": money_text(closed_won + commit),
            "forecastBestCase": money_text(closed_won + commit + best_case),
            "weightedPipeline": money_text(weighted),
            "weightedForecast": money_text(closed_won + weighted),
            "dataDrivenPipeline": money_text(data_driven),
            "dataDrivenForecast": money_text(closed_won + data_driven),
            "gapToQuota": money_text(remaining),
            "coverage": None if coverage is None else str(coverage),
            "deals": {
                "closedWon": self.won_deals,
                "closedLost": self.lost_deals,
                "commit": self.commit_deals,
                "bestCase": self.best_case_deals,
                "pipeline": self.pipeline_deals,
                "open": self.open_deals,
                "omitted": self.omitted_deals,
            },
        }


@dataclass(frozen=True)
class GroupForecast:
    key: str
    label: str
    figures: Figures


@dataclass(frozen=True)
class Forecast:
    period: Period
    group_by: GroupBy
    pipeline: str | None
    lookback_days: int
    groups: list[GroupForecast]
    total: Figures
    win_rates: list[WinRate] = field(default_factory=list)


def sort_key(key: str) -> tuple[int, int, str]:
    if key == UNASSIGNED:
        return (2, 0, key)
    ident = parse_id(key)
    return (0, ident, key) if ident is not None else (1, 0, key)


def forecast(
    session: Session,
    period: Period,
    group_by: GroupBy,
    *,
    pipeline: str | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
) -> Forecast:
    """The forecast of ``period`` per group and in total (see docs/reference/forecast.md)."""
    rates = win_rates(session, period, lookback_days=lookback_days, pipeline=pipeline)
    rate_of = {(r.pipeline, r.stage): r.rate for r in rates}
    buckets = repo.deal_buckets(
        session,
        group_by=group_by,
        start=_midnight(period.start),
        end=_midnight(period.end),
        pipeline=pipeline,
    )
    book = quotas.quota_book(session, period)
    per_group: dict[str, Figures] = {}
    total = Figures(quota=book.company())
    for bucket in buckets:
        rate = rate_of.get((bucket.pipeline or "", bucket.stage or ""), Decimal(0))
        per_group.setdefault(bucket.group_key, Figures()).add(bucket, rate)
        total.add(bucket, rate)
    if group_by != "pipeline":
        subject_quotas = book.owners if group_by == "owner" else book.teams
        for subject, amount in subject_quotas.items():
            per_group.setdefault(str(subject), Figures()).quota = amount
    labels = _labels(session, group_by, per_group)
    groups = [
        GroupForecast(key, labels.get(key, key), per_group[key])
        for key in sorted(per_group, key=sort_key)
    ]
    used_stages = {(b.pipeline, b.stage) for b in buckets if not b.closed}
    # Archived stages are listed only while open deals of the period still sit in them.
    shown_rates = [r for r in rates if not r.archived or (r.pipeline, r.stage) in used_stages]
    return Forecast(period, group_by, pipeline, lookback_days, groups, total, shown_rates)


def _labels(session: Session, group_by: GroupBy, keys: Iterable[str]) -> dict[str, str]:
    if group_by == "pipeline":
        return repo.pipeline_labels(session)
    ids = [i for i in (parse_id(k) for k in keys) if i is not None]
    found = (
        repo.owner_labels(session, ids) if group_by == "owner" else repo.team_labels(session, ids)
    )
    return {str(i): label for i, label in found.items()}


def forecast_from_query(
    session: Session,
    *,
    period: str | None,
    group_by: str | None,
    pipeline: str | None = None,
    lookback_days: str | None = None,
) -> Forecast:
    """The forecast for client text (the API's query and the CLI's options)."""
    if period is None:
        raise bad("period is required, like 2026-Q4 or 2026-11", "period", "")
    return forecast(
        session,
        parse_period(period),
        parse_group_by(group_by),
        pipeline=pipeline or None,
        lookback_days=parse_lookback(lookback_days),
    )


# --- snapshots ------------------------------------------------------------------------------


def take_snapshots(session: Session, today: date) -> int:
    """Store today's forecast of the current quarter and month for every grouping (each group
    and the total); running again on the same day replaces that day's rows. The number of
    rows stored."""
    stored = 0
    now = utcnow()
    for period in (quarter_of(today), month_of(today)):
        for group_by in GROUP_BYS:
            found = forecast(session, period, group_by)
            rows = [
                ForecastSnapshot(
                    period=period.text,
                    group_by=group_by,
                    group_key=g.key,
                    taken_on=today,
                    figures={"label": g.label, **g.figures.as_dict()},
                    created_at=now,
                )
                for g in found.groups
            ]
            rows.append(
                ForecastSnapshot(
                    period=period.text,
                    group_by=group_by,
                    group_key=TOTAL,
                    taken_on=today,
                    figures={"label": "Total", **found.total.as_dict()},
                    created_at=now,
                )
            )
            repo.replace_snapshots(session, period.text, group_by, today, rows)
            stored += len(rows)
    return stored


@dataclass(frozen=True)
class HistoryPoint:
    taken_on: date
    figures: dict[str, Any]


def history(
    session: Session, *, period: str | None, group_by: str | None, group: str | None
) -> tuple[Period, GroupBy, str, list[HistoryPoint]]:
    """How the forecast of one group (default: the total) moved, one point per snapshot day."""
    if period is None:
        raise bad("period is required, like 2026-Q4 or 2026-11", "period", "")
    found = parse_period(period)
    grouping = parse_group_by(group_by)
    key = group or TOTAL
    rows = repo.snapshots(session, period=found.text, group_by=grouping, group_key=key)
    return found, grouping, key, [HistoryPoint(r.taken_on, dict(r.figures)) for r in rows]
