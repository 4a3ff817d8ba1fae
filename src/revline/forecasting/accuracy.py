"""How accurate each forecast method was for a period that has ended, measured against the
snapshots taken while it ran (see docs/reference/forecast.md, "Accuracy")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from revline.forecasting import repository as repo
from revline.forecasting import service
from revline.forecasting.periods import Period, parse_period
from revline.forecasting.repository import GroupBy

# Method name -> the snapshot figure it is judged by.
METHODS: tuple[tuple[str, str], ...] = (
    ("weighted", "weightedForecast"),
    ("dataDriven", "dataDrivenForecast"),
    ("commit", "forecastCommit"),
    ("bestCase", "forecastBestCase"),
)
HUNDRED = Decimal(100)


def _percent(value: Decimal) -> Decimal:
    return value.quantize(service.CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Point:
    """The forecast of one method on one snapshot day, against the actual."""

    taken_on: date
    forecast: Decimal
    error: Decimal
    absolute_percentage_error: Decimal | None


@dataclass(frozen=True)
class MethodAccuracy:
    method: str
    first: Point | None
    midpoint: Point | None
    last: Point | None
    mean_absolute_percentage_error: Decimal | None


@dataclass(frozen=True)
class GroupAccuracy:
    key: str
    label: str
    actual: Decimal
    methods: list[MethodAccuracy]
    most_accurate: str | None


@dataclass(frozen=True)
class Accuracy:
    period: Period
    group_by: GroupBy
    snapshot_days: list[date]
    groups: list[GroupAccuracy]
    total: GroupAccuracy


def _ape(error: Decimal, actual: Decimal) -> Decimal | None:
    return None if actual == 0 else abs(error) / actual * HUNDRED


def _method(
    method: str,
    figure: str,
    days: list[date],
    by_day: dict[date, dict[str, object]],
    actual: Decimal,
) -> MethodAccuracy:
    points: list[Point] = []
    exact_apes: list[Decimal] = []
    for day in days:
        raw = by_day.get(day, {}).get(figure)
        # A group without a row on a day had no deals and no quota that day: it forecast 0.
        value = Decimal(str(raw)) if raw is not None else Decimal(0)
        error = value - actual
        ape = _ape(error, actual)
        if ape is not None:
            exact_apes.append(ape)
        points.append(Point(day, value, error, None if ape is None else _percent(ape)))
    mape = _percent(sum(exact_apes, Decimal(0)) / len(exact_apes)) if exact_apes else None
    if not points:
        return MethodAccuracy(method, None, None, None, None)
    return MethodAccuracy(method, points[0], points[(len(points) - 1) // 2], points[-1], mape)


def _group(
    key: str,
    label: str,
    actual: Decimal,
    days: list[date],
    by_day: dict[date, dict[str, object]],
) -> GroupAccuracy:
    methods = [_method(m, f, days, by_day, actual) for m, f in METHODS]
    ranked = [m for m in methods if m.mean_absolute_percentage_error is not None]
    # min() keeps the first of equals: ties go to the method listed first.
    best = min(ranked, key=lambda m: m.mean_absolute_percentage_error or 0, default=None)
    return GroupAccuracy(key, label, actual, methods, None if best is None else best.method)


def accuracy(
    session: Session, *, period: str | None, group_by: str | None, today: date
) -> Accuracy:
    """Each method's forecast at the first, middle and last snapshot of an ended period, and
    its mean absolute percentage error over all snapshot days, against closed won as it
    stands now."""
    if period is None:
        raise service.bad("period is required, like 2026-Q3 or 2026-09", "period", "")
    found = parse_period(period)
    grouping = service.parse_group_by(group_by)
    if today < found.end:
        raise service.bad(
            f"period {found.text} has not ended yet (it ends on "
            f"{found.end.isoformat()}); accuracy is measured once it is over",
            "period",
            found.text,
            "PERIOD_NOT_ENDED",
        )
    now = service.forecast(session, found, grouping)
    rows = repo.snapshots(
        session,
        period=found.text,
        group_by=grouping,
        group_key=None,
        first_day=found.start,
        end_day=found.end,
    )
    days = sorted({r.taken_on for r in rows})
    per_key: dict[str, dict[date, dict[str, object]]] = {}
    labels: dict[str, str] = {}
    for r in rows:
        per_key.setdefault(r.group_key, {})[r.taken_on] = dict(r.figures)
        labels[r.group_key] = str(r.figures.get("label", r.group_key))
    actual = {g.key: service.money(g.figures.closed_won) for g in now.groups}
    labels.update({g.key: g.label for g in now.groups})
    keys = sorted((set(actual) | set(per_key)) - {service.TOTAL}, key=service.sort_key)
    groups = [
        _group(k, labels.get(k, k), actual.get(k, Decimal(0)), days, per_key.get(k, {}))
        for k in keys
    ]
    total = _group(
        service.TOTAL,
        "Total",
        service.money(now.total.closed_won),
        days,
        per_key.get(service.TOTAL, {}),
    )
    return Accuracy(found, grouping, days, groups, total)
