"""What "converted" means for a lead score: the outcome a predictive model learns and a
backtest measures, and who is labelled with it at a reference date.

Three kinds, one per JSON object:

- ``{"lifecycleStage": "opportunity", "withinDays": 90}``: the contact reached that stage or a
  later one (rank order of the ``lifecyclestage`` options) within ``withinDays`` after the
  reference date, read from the ``lifecycle_changes`` rows.
- ``{"closedWonDeal": true, "withinDays": 90}``: a live deal linked to the contact was closed
  won with its close date in (reference, reference + ``withinDays``].
- ``{"property": "hs_lead_status", "operator": "EQ", "value": "OPEN_DEAL"}``: the contact's
  current value meets a CRM search filter (imported data without dates). The reference date
  only bounds the population.

The population at a reference date R is the live contacts created at or before R that had not
already reached the outcome at R (property kind: every live contact created at or before R).
Everything is answered by a few set-based statements, whatever the number of contacts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.orm import Session

from revline.crm.lifecycle.stages import PROPERTY as LIFECYCLE_PROPERTY
from revline.crm.lifecycle.stages import rank_of
from revline.crm.object_types import CONTACTS, DEALS
from revline.crm.properties import service as properties
from revline.crm.records.repository import table_for
from revline.crm.records.search import Filter, filter_condition, parse_filter
from revline.errors import ErrorDetail, ValidationError
from revline.kit.time import ensure_utc
from revline.models import Association, LifecycleChange

LIFECYCLE_STAGE = "lifecycleStage"
CLOSED_WON_DEAL = "closedWonDeal"
PROPERTY = "property"
KINDS = (LIFECYCLE_STAGE, CLOSED_WON_DEAL, PROPERTY)
DEFAULT_WITHIN_DAYS = 90
MAX_WITHIN_DAYS = 3_650
_ALLOWED: dict[str, frozenset[str]] = {
    LIFECYCLE_STAGE: frozenset({LIFECYCLE_STAGE, "withinDays"}),
    CLOSED_WON_DEAL: frozenset({CLOSED_WON_DEAL, "withinDays"}),
    PROPERTY: frozenset({PROPERTY, "operator", "value", "highValue", "values"}),
}


@dataclass(frozen=True)
class Outcome:
    """A checked outcome definition. ``path`` is where it came from in the request, so the
    checks that need the database name the right field."""

    kind: str  # lifecycleStage | closedWonDeal | property
    within_days: int | None = None  # time-based kinds only
    stage: str | None = None  # lifecycleStage
    filter: Filter | None = None  # property
    path: str = field(default="outcome", compare=False)

    @property
    def time_based(self) -> bool:
        """Whether the outcome happens at a known time (so training looks back from a
        reference date), as opposed to a current property value."""
        return self.kind != PROPERTY

    @property
    def own_properties(self) -> frozenset[str]:
        """Contact properties that restate the outcome and never serve as features: the
        property itself, and the lifecycle stage, which the stage kind reads and the deal
        sync moves to ``customer`` when a deal is won."""
        if self.kind == PROPERTY:
            assert self.filter is not None
            return frozenset({self.filter.property_name})
        return frozenset({LIFECYCLE_PROPERTY})

    def to_api(self) -> dict[str, Any]:
        if self.kind == LIFECYCLE_STAGE:
            return {LIFECYCLE_STAGE: self.stage, "withinDays": self.within_days}
        if self.kind == CLOSED_WON_DEAL:
            return {CLOSED_WON_DEAL: True, "withinDays": self.within_days}
        assert self.filter is not None
        out: dict[str, Any] = {
            PROPERTY: self.filter.property_name,
            "operator": self.filter.operator,
        }
        if self.filter.value is not None:
            out["value"] = self.filter.value
        if self.filter.high_value is not None:
            out["highValue"] = self.filter.high_value
        if self.filter.values is not None:
            out["values"] = list(self.filter.values)
        return out

    def describe(self) -> str:
        if self.kind == LIFECYCLE_STAGE:
            return f"reached lifecycle stage {self.stage} (or later) within {self.within_days} days"
        if self.kind == CLOSED_WON_DEAL:
            return f"had a deal closed won within {self.within_days} days"
        assert self.filter is not None
        shown = self.filter.values if self.filter.values is not None else self.filter.value
        return f"{self.filter.property_name} {self.filter.operator} {shown}".rstrip()


def _problem(field_path: str, code: str, message: str) -> ErrorDetail:
    return ErrorDetail(f"{field_path}: {message}", code, {"field": [field_path]})


def _fail(problems: list[ErrorDetail]) -> NoReturn:
    raise ValidationError(
        "Invalid outcome: " + "; ".join(p.message for p in problems), errors=problems
    )


def _within(raw: dict[str, Any], path: str, problems: list[ErrorDetail]) -> int:
    value = raw.get("withinDays", DEFAULT_WITHIN_DAYS)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WITHIN_DAYS:
        problems.append(
            _problem(
                f"{path}.withinDays",
                "INVALID_WITHIN_DAYS",
                f"must be a whole number of days from 1 to {MAX_WITHIN_DAYS}",
            )
        )
        return DEFAULT_WITHIN_DAYS
    return value


def parse_outcome(raw: Any, path: str = "outcome") -> Outcome:
    """Check an outcome's shape; every problem is a 400 naming ``path.field``. Whether the
    stage or property exists is checked against the database by :func:`check_outcome`."""
    if not isinstance(raw, dict) or not raw:
        _fail(
            [
                _problem(
                    path,
                    "INVALID_OUTCOME",
                    f"must be an object with one of {', '.join(KINDS)}",
                )
            ]
        )
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        _fail(
            [
                _problem(
                    path,
                    "INVALID_OUTCOME",
                    f"must hold exactly one of {', '.join(KINDS)} (found: {found})",
                )
            ]
        )
    kind = kinds[0]
    problems: list[ErrorDetail] = []
    extra = sorted(str(k) for k in raw if k not in _ALLOWED[kind])
    for name in extra:
        problems.append(
            _problem(f"{path}.{name}", "UNKNOWN_FIELD", f"is not a field of a {kind} outcome")
        )
    if kind == LIFECYCLE_STAGE:
        stage = raw[LIFECYCLE_STAGE]
        within = _within(raw, path, problems)
        if not isinstance(stage, str) or not stage.strip():
            problems.append(
                _problem(f"{path}.{LIFECYCLE_STAGE}", "INVALID_STAGE", "must be a stage value")
            )
        if problems:
            _fail(problems)
        return Outcome(LIFECYCLE_STAGE, within_days=within, stage=stage.strip(), path=path)
    if kind == CLOSED_WON_DEAL:
        within = _within(raw, path, problems)
        if raw[CLOSED_WON_DEAL] is not True:
            problems.append(
                _problem(f"{path}.{CLOSED_WON_DEAL}", "INVALID_OUTCOME", "must be true")
            )
        if problems:
            _fail(problems)
        return Outcome(CLOSED_WON_DEAL, within_days=within, path=path)
    name = raw[PROPERTY]
    if not isinstance(name, str) or not name.strip():
        problems.append(
            _problem(f"{path}.{PROPERTY}", "INVALID_PROPERTY", "must be a property name")
        )
        _fail(problems)
    filter_problems: list[ErrorDetail] = []
    spec = {"propertyName": name, **{k: v for k, v in raw.items() if k != PROPERTY}}
    parsed = parse_filter(spec, path, filter_problems)
    for p in filter_problems:
        problems.append(ErrorDetail(p.message, p.code, {"field": [_filter_field(p, path)]}))
    if problems or parsed is None:
        _fail(problems)
    return Outcome(PROPERTY, filter=parsed, path=path)


def _filter_field(problem: ErrorDetail, path: str, spec: Filter | None = None) -> str:
    """The outcome field a search-filter problem is about."""
    code = problem.code or ""
    if code in ("MISSING_PROPERTY_NAME", "PROPERTY_DOESNT_EXIST"):
        return f"{path}.{PROPERTY}"
    if code.startswith("INVALID_OPERATOR"):
        return f"{path}.operator"
    if code == "INVALID_FILTER_VALUE":
        # "<where>: value, highValue must be ...": the first field named.
        named = problem.message.split(": ", 1)[-1].split(" must", 1)[0]
        return f"{path}.{named.split(',')[0].strip()}"
    if spec is not None and spec.operator in ("IN", "NOT_IN"):
        return f"{path}.values"
    if spec is not None and spec.operator == "BETWEEN" and "highValue" in problem.message:
        return f"{path}.highValue"
    return f"{path}.value"


# --- labelling --------------------------------------------------------------------------


def _reached_stages(session: Session, outcome: Outcome) -> list[str]:
    """The stage values at or after the outcome's stage; 400 when it does not exist."""
    ranks = rank_of(properties.load_catalog(session, CONTACTS))
    assert outcome.stage is not None
    if outcome.stage not in ranks:
        _fail(
            [
                _problem(
                    f"{outcome.path}.{LIFECYCLE_STAGE}",
                    "STAGE_NOT_FOUND",
                    f"lifecycle stage '{outcome.stage}' does not exist "
                    f"(stages: {', '.join(sorted(ranks, key=ranks.__getitem__))})",
                )
            ]
        )
    rank = ranks[outcome.stage]
    return sorted(s for s, r in ranks.items() if r >= rank)


def _property_condition(session: Session, outcome: Outcome) -> ColumnElement[bool]:
    assert outcome.filter is not None
    catalog = properties.load_catalog(session, CONTACTS)
    condition, problems = filter_condition(session, CONTACTS, catalog, outcome.filter, outcome.path)
    if problems or condition is None:
        _fail(
            [
                ErrorDetail(
                    p.message, p.code, {"field": [_filter_field(p, outcome.path, outcome.filter)]}
                )
                for p in problems
            ]
        )
    return condition


def check_outcome(session: Session, outcome: Outcome) -> None:
    """400 naming the field when the outcome's stage or property does not exist (or a
    property filter's value does not fit the property)."""
    if outcome.kind == LIFECYCLE_STAGE:
        _reached_stages(session, outcome)
    elif outcome.kind == PROPERTY:
        _property_condition(session, outcome)


def _lifecycle_reached(
    stages: list[str], after: datetime | None, until: datetime, *columns: Any
) -> Select[Any]:
    """Changes of contacts into one of ``stages`` in (after, until]."""
    lc = LifecycleChange
    stmt = select(*(columns or (lc.record_id,))).where(
        lc.object_type == CONTACTS.name, lc.to_stage.in_(stages), lc.changed_at <= until
    )
    if after is not None:
        stmt = stmt.where(lc.changed_at > after)
    return stmt


def _won_deal(after: datetime | None, until: datetime, *columns: Any) -> Select[Any]:
    """Links of contacts to live deals closed won with their close date in (after, until]."""
    deals = table_for(DEALS)
    a = Association
    stmt = (
        select(*(columns or (a.from_id,)))
        .select_from(a)
        .join(deals, deals.c.id == a.to_id)
        .where(
            a.from_type == CONTACTS.name,
            a.to_type == DEALS.name,
            a.archived == false(),
            deals.c.archived == false(),
            deals.c.hs_is_closed_won == true(),
            deals.c.closedate <= until,
        )
    )
    if after is not None:
        stmt = stmt.where(deals.c.closedate > after)
    return stmt


def _reached_by(
    session: Session, outcome: Outcome, after: datetime | None, until: datetime, contact: Any
) -> ColumnElement[bool]:
    """``contact`` (a contact id column) reached the outcome in (after, until], as a
    correlated EXISTS (an anti-join once negated)."""
    if outcome.kind == LIFECYCLE_STAGE:
        stages = _reached_stages(session, outcome)
        found = _lifecycle_reached(stages, after, until, literal(1))
        return found.where(LifecycleChange.record_id == contact).exists()
    return _won_deal(after, until, literal(1)).where(Association.from_id == contact).exists()


def _reached_ids(
    session: Session, outcome: Outcome, after: datetime | None, until: datetime
) -> Select[Any]:
    """The contacts that reached the outcome in (after, until], uncorrelated: as ``id IN``
    in a select list, both engines evaluate it once (PostgreSQL as a hashed subplan)."""
    if outcome.kind == LIFECYCLE_STAGE:
        return _lifecycle_reached(_reached_stages(session, outcome), after, until)
    return _won_deal(after, until)


def _window(outcome: Outcome, reference: datetime) -> tuple[datetime, datetime]:
    start = ensure_utc(reference)
    assert outcome.within_days is not None
    return start, start + timedelta(days=outcome.within_days)


def population_statement(session: Session, outcome: Outcome, reference: datetime) -> Select[Any]:
    """``SELECT id, label`` of the labelled population at ``reference`` (label 1: reached the
    outcome), for callers that want to join it rather than hold it in memory."""
    contacts = table_for(CONTACTS)
    start = ensure_utc(reference)
    scope: list[ColumnElement[bool]] = [
        contacts.c.archived == false(),
        contacts.c.created_at <= start,
    ]
    label: ColumnElement[Any]
    if outcome.kind == PROPERTY:
        condition = _property_condition(session, outcome)
        label = case((condition, literal(1)), else_=literal(0))
    else:
        start, end = _window(outcome, reference)
        scope.append(~_reached_by(session, outcome, None, start, contacts.c.id))
        within = contacts.c.id.in_(_reached_ids(session, outcome, start, end))
        label = case((within, literal(1)), else_=literal(0))
    return select(contacts.c.id, label.label("label")).where(and_(*scope))


def labelled_population(session: Session, outcome: Outcome, reference: datetime) -> dict[int, bool]:
    """Contact id -> whether it reached the outcome, for the population at ``reference``.
    One statement (two anti/semi-joins for the time-based kinds)."""
    rows = session.execute(population_statement(session, outcome, reference))
    return {int(r[0]): bool(r[1]) for r in rows}


def conversion_times(
    session: Session, outcome: Outcome, reference: datetime, ids: list[int] | None = None
) -> dict[int, datetime]:
    """For the time-based kinds: when each contact first reached the outcome inside the
    window after ``reference`` (the first qualifying lifecycle change, or the earliest close
    date of a won deal). Empty for the property kind, which has no time."""
    if outcome.kind == PROPERTY:
        return {}
    start, end = _window(outcome, reference)
    stmt: Select[Any]
    if outcome.kind == LIFECYCLE_STAGE:
        lc = LifecycleChange
        stages = _reached_stages(session, outcome)
        stmt = _lifecycle_reached(
            stages, start, end, lc.record_id, func.min(lc.changed_at)
        ).group_by(lc.record_id)
    else:
        deals = table_for(DEALS)
        stmt = _won_deal(start, end, Association.from_id, func.min(deals.c.closedate)).group_by(
            Association.from_id
        )
    out: dict[int, datetime] = {}
    wanted = set(ids) if ids is not None else None
    for contact_id, at in session.execute(stmt):
        if wanted is None or int(contact_id) in wanted:
            out[int(contact_id)] = ensure_utc(at)
    return out


__all__ = [
    "CLOSED_WON_DEAL",
    "DEFAULT_WITHIN_DAYS",
    "KINDS",
    "LIFECYCLE_STAGE",
    "MAX_WITHIN_DAYS",
    "PROPERTY",
    "Outcome",
    "check_outcome",
    "conversion_times",
    "labelled_population",
    "parse_outcome",
    "population_statement",
]
