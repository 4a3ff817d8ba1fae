"""Measuring a score model's rules for many contacts in one set-based SELECT.

Each rule becomes one column: a property or company-property rule ``1``/``0`` (CRM search's
own condition, exactly as segments compile it), a behaviour rule the number of matching
events in its window, or under linear decay the sum of each event's weight
``(D - age) / D`` (age in whole UTC days, 0 today, so an event counts fully on its day and
fades to nothing after D days), a component of a combined model the component's stored
score. Behaviour is read from ``event_daily_counts`` when only the type's key property is
filtered (so it survives retention), else from raw ``events``. ``rules.score`` does the
arithmetic on the measurements.

``until`` scores contacts as they stood before a day: only events of earlier days count and
windows end the day before (backtests).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session

from revline.crm.object_types import CONTACTS
from revline.crm.records.repository import table_for
from revline.kit.db.dialect import days_before, utc_day
from revline.models import ContactScore, Event, EventDailyCount
from revline.scoring.rules import (
    Definition,
    Matrix,
    Rule,
    Vector,
    round_scores,
    score_property,
)
from revline.segments import repository as segments_repo
from revline.segments.query import Compiler, Context, day_start

CHUNK = 50_000


@dataclass
class Measured:
    """Measurements of one chunk of contacts, in contact id order."""

    contact_ids: list[int]
    totals: Vector  # scores, rounded
    values: Matrix  # contacts x rules (empty without rules)
    old_scores: list[float | None]
    old_labels: list[str | None]
    stages: list[str | None]
    # Combined grid models: the two components' labels per contact.
    component_labels: list[tuple[str | None, str | None]]


class _Measurer(Compiler):
    """Segments' compiler, asked for per-rule measurements instead of one condition."""

    def __init__(self, session: Session, context: Context, until: date | None) -> None:
        super().__init__(session, context)
        self.until = until

    def number(self, expr: Any) -> ColumnElement[Any]:
        return cast(expr, Float)

    def property_measure(self, rule: Rule) -> ColumnElement[Any]:
        assert rule.condition is not None
        condition = self._property(rule.condition)
        if condition is None:
            return literal(0.0, Float)
        return case((condition, literal(1.0, Float)), else_=literal(0.0, Float))

    def event_measure(self, rule: Rule) -> Select[Any] | None:
        """``(contact_id, measure)`` for the contacts with any matching event counted."""
        leaf = rule.event
        assert leaf is not None
        if leaf.event_type not in self.context.event_types:
            self._problem(
                f"{leaf.path}.event",
                "EVENT_TYPE_NOT_FOUND",
                f"event type '{leaf.event_type}' is neither built in nor defined",
            )
            return None
        key = self.context.event_types[leaf.event_type]
        today = self.context.today
        first = today - timedelta(days=leaf.in_last_days - 1) if leaf.in_last_days else None
        last = self.until - timedelta(days=1) if self.until is not None else None
        aggregate, details = self._aggregate_details(leaf, key)
        if aggregate and not self.context.force_raw:
            d = EventDailyCount
            day: Any = d.day
            count: Any = d.count
            rows = select(d.contact_id.label("contact_id"), day.label("day"), count.label("n"))
            rows = rows.where(d.event_type == leaf.event_type)
            if details is not None:
                rows = rows.where(d.detail.in_(sorted(details)) if details else false())
            if self.ids is not None:
                rows = rows.where(self._among(d.contact_id))
        else:
            e = Event
            day = utc_day(self.dialect, e.occurred_at)
            rows = select(
                e.contact_id.label("contact_id"), day.label("day"), func.count().label("n")
            ).where(
                e.event_type == leaf.event_type,
                e.contact_id.is_not(None),
                *[self._event_filter(f) for f in leaf.where],
            )
            if first is not None:
                rows = rows.where(e.occurred_at >= day_start(first))
            if last is not None:
                rows = rows.where(e.occurred_at < day_start(last + timedelta(days=1)))
            if self.ids is not None:
                rows = rows.where(self._among(e.contact_id))
            rows = rows.group_by(e.contact_id, day)
            day = None  # filtered above
        if day is not None:
            if first is not None:
                rows = rows.where(day >= first)
            if last is not None:
                rows = rows.where(day <= last)
        per_day = rows.subquery()
        n = self.number(per_day.c.n)
        if rule.decay_days is not None:
            age = days_before(self.dialect, today, per_day.c.day)
            weight = self.number(literal(rule.decay_days) - age) / float(rule.decay_days)
            n = n * case((age < 0, literal(1.0, Float)), else_=weight)
        return select(per_day.c.contact_id, func.sum(n).label("m")).group_by(per_day.c.contact_id)


def _context(session: Session, today: date, force_raw: bool) -> Context:
    return Context(
        today=today,
        event_types=segments_repo.event_types(session),
        live_segments=segments_repo.live_segment_ids(session),
        force_raw=force_raw,
    )


def _least(dialect: str, *values: Any) -> Any:
    """The smallest argument, each evaluated once (a CASE would repeat its operands, and
    nested caps would repeat every rule's condition many times per row)."""
    return func.least(*values) if dialect == "postgresql" else func.min(*values)


def _greatest(dialect: str, *values: Any) -> Any:
    return func.greatest(*values) if dialect == "postgresql" else func.max(*values)


def total_expression(dialect: str, definition: Definition, measures: Sequence[Any]) -> Any:
    """The score as SQL arithmetic on the measurements, exactly as ``rules.score`` counts
    (before rounding): points x measurement, rule caps, group caps, the model's cap, >= 0.
    Measurements are never NULL (absent behaviour is 0)."""
    total: Any = literal(0.0, Float)
    for g, group in enumerate(definition.groups):
        terms: list[Any] = []
        for j, rule in enumerate(definition.rules):
            if rule.group != g:
                continue
            term: Any = measures[j] * literal(rule.points, Float)
            if rule.max_points is not None:
                cap = literal(rule.max_points, Float)
                term = _greatest(dialect, -cap, _least(dialect, cap, term))
            terms.append(term)
        if not terms:
            continue
        summed: Any = terms[0]
        for term in terms[1:]:
            summed = summed + term
        if group.max_points is not None:
            summed = _least(dialect, literal(group.max_points, Float), summed)
        total = total + summed
    if definition.max_score is not None:
        total = _least(dialect, literal(definition.max_score, Float), total)
    return _greatest(dialect, literal(0.0, Float), total)


def _stored(score_property_name: str, contact_id: Any, alias: str) -> Any:
    s = ContactScore.__table__.alias(alias)
    return s, and_(s.c.score_property == score_property_name, s.c.contact_id == contact_id)


def statement(
    session: Session,
    definition: Definition,
    *,
    own_name: str | None,
    today: date,
    ids: Collection[int] | None = None,
    until: date | None = None,
    force_raw: bool = False,
    with_rules: bool = True,
) -> tuple[Select[Any], list[Any]]:
    """The SELECT, per live contact (among ``ids`` when given), of its id, its score before
    rounding, its stored score and label under ``own_name``, its lifecycle stage, a grid's
    two component labels and, ``with_rules``, each rule's measurement; and the problems
    found compiling it (unknown properties or event types)."""
    if until is not None:
        today = min(today, until - timedelta(days=1))
    m = _Measurer(session, _context(session, today, force_raw), until)
    m.ids = sorted(set(ids)) if ids is not None else None
    contacts = table_for(CONTACTS)
    c = contacts.c
    measures: list[Any] = []
    joins: list[tuple[Any, Any]] = []
    component_labels: list[Any] = []
    for j, rule in enumerate(definition.rules):
        if rule.condition is not None:
            measures.append(m.property_measure(rule))
        elif rule.event is not None:
            sub = m.event_measure(rule)
            if sub is None:
                measures.append(literal(0.0, Float))
                continue
            alias = sub.subquery(f"e{j}")
            joins.append((alias, alias.c.contact_id == c.id))
            measures.append(func.coalesce(alias.c.m, 0.0))
        else:
            assert rule.component is not None
            stored, on = _stored(score_property(rule.component), c.id, f"k{j}")
            joins.append((stored, on))
            measures.append(func.coalesce(cast(stored.c.score, Float), 0.0))
            component_labels.append(stored.c.label)
    columns: list[Any] = [
        c.id,
        total_expression(m.dialect, definition, measures).label("total"),
    ]
    if own_name is not None:
        own, on = _stored(score_property(own_name), c.id, "own")
        joins.append((own, on))
        columns += [own.c.score.label("old_score"), own.c.label.label("old_label")]
    else:
        columns += [literal(None).label("old_score"), literal(None).label("old_label")]
    columns.append(c.lifecyclestage)
    if definition.grid:
        columns += [component_labels[0].label("l0"), component_labels[1].label("l1")]
    if with_rules:
        columns += [measure.label(f"m{j}") for j, measure in enumerate(measures)]
    source: Any = contacts
    for alias, on in joins:
        source = source.outerjoin(alias, on)
    query = select(*columns).select_from(source).where(c.archived == false())
    if m.ids is not None:
        query = query.where(m._among(c.id))
    return query.order_by(c.id), m.problems


def measure(
    session: Session,
    query: Select[Any],
    definition: Definition,
    *,
    with_rules: bool = True,
    chunk: int = CHUNK,
) -> Iterator[Measured]:
    """Run the statement, yielding its rows ``chunk`` contacts at a time."""
    width = len(definition.rules) if with_rules else 0
    first_rule = 7 if definition.grid else 5
    # Every row is read before the caller writes anything: scores written while the cursor
    # is still open would be read again by its join on contact_scores (each later row
    # scanning a table that grows under it).
    fetched = session.execute(query).all()
    for start in range(0, len(fetched), chunk):
        rows = fetched[start : start + chunk]
        values = np.zeros((len(rows), width), dtype=np.float64)
        for j in range(width):
            values[:, j] = [float(r[first_rule + j] or 0.0) for r in rows]
        yield Measured(
            contact_ids=[int(r[0]) for r in rows],
            totals=round_scores(np.array([float(r[1]) for r in rows], dtype=np.float64)),
            values=values,
            old_scores=[float(r[2]) if r[2] is not None else None for r in rows],
            old_labels=[r[3] for r in rows],
            stages=[r[4] for r in rows],
            component_labels=[(r[5], r[6]) for r in rows] if definition.grid else [],
        )
