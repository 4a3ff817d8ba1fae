"""A condition tree compiled to one set-based SELECT of contact ids.

Property conditions are CRM search's own (``search.filter_condition``), so a segment and a
search with the same filter agree. Behaviour conditions become GROUP BY/HAVING subqueries:
on ``event_daily_counts`` when only the type's key property is filtered (fast, through
``ix_event_daily_counts_type_day``, and still answerable after raw events are dropped), else
on raw ``events``. "At most N" is "not in the at-least-N+1 set". The statement can be
restricted to some contact ids, which is how changes are re-evaluated incrementally.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    cast,
    false,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session

from revline.crm.associations.types import HUBSPOT_DEFINED, PRIMARY
from revline.crm.object_types import COMPANIES, CONTACTS
from revline.crm.properties import service as properties
from revline.crm.properties.service import Catalog
from revline.crm.records.repository import table_for
from revline.crm.records.search import filter_condition
from revline.errors import ErrorDetail
from revline.events.definitions import SYSTEM_TYPES
from revline.kit.db.dialect import in_values, json_numeric, json_text, like_escape
from revline.models import Association, Event, EventDailyCount, SegmentMember
from revline.segments.conditions import (
    EventFilter,
    EventLeaf,
    Group,
    Node,
    Not,
    PropertyLeaf,
    SegmentLeaf,
)

# contact -> company with the "Primary" label: the contact's one primary company.
PRIMARY_COMPANY_TYPE_ID = PRIMARY[(CONTACTS.name, COMPANIES.name)].type_id


@dataclass(frozen=True)
class Context:
    """What compiling needs to know besides the tree."""

    today: date
    # name -> key property, for every event type a condition may name
    event_types: dict[str, str | None]
    # segments an inSegment condition may name (live ones)
    live_segments: Collection[int]
    # count raw events even where daily counts would do (tests prove both paths agree)
    force_raw: bool = False


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


class Compiler:
    def __init__(self, session: Session, context: Context) -> None:
        self.session = session
        self.context = context
        self.dialect = session.get_bind().dialect.name
        self.contacts = table_for(CONTACTS)
        self.companies = table_for(COMPANIES)
        self.problems: list[ErrorDetail] = []
        self.ids: list[int] | None = None
        self._catalogs: dict[str, Catalog] = {}

    def _catalog(self, name: str) -> Catalog:
        if name not in self._catalogs:
            ot = CONTACTS if name == CONTACTS.name else COMPANIES
            self._catalogs[name] = properties.load_catalog(self.session, ot)
        return self._catalogs[name]

    def _problem(self, path: str, code: str, message: str) -> None:
        self.problems.append(ErrorDetail(f"{path}: {message}", code, {"field": [path]}))

    # -- the statement

    def members(self, node: Node, ids: Collection[int] | None = None) -> Select[Any]:
        """The ids of the live contacts meeting ``node`` (among ``ids`` when given)."""
        self.ids = sorted(set(ids)) if ids is not None else None
        c = self.contacts.c
        # Merged contacts are archived too, so "live" is the one flag.
        scope: list[ColumnElement[bool]] = [c.archived == false()]
        if self.ids is not None:
            scope.append(self._among(c.id))
        condition = self.condition(node)
        if condition is not None:
            scope.append(condition)
        return select(c.id).where(*scope)

    def _among(self, column: Any) -> ColumnElement[bool]:
        """``column`` is one of the contacts being re-evaluated (one array parameter on
        PostgreSQL, however many there are)."""
        assert self.ids is not None
        return in_values(self.dialect, column, self.ids)

    def condition(self, node: Node) -> ColumnElement[bool] | None:
        if isinstance(node, Group):
            parts = [self.condition(child) for child in node.children]
            if any(p is None for p in parts):
                return None
            kept = [p for p in parts if p is not None]
            return and_(*kept) if node.op == "and" else or_(*kept)
        if isinstance(node, Not):
            inner = self.condition(node.child)
            return None if inner is None else not_(inner)
        if isinstance(node, PropertyLeaf):
            return self._property(node)
        if isinstance(node, SegmentLeaf):
            return self._segment(node)
        return self._event(node)

    # -- leaves

    def _property(self, leaf: PropertyLeaf) -> ColumnElement[bool] | None:
        ot = COMPANIES if leaf.company else CONTACTS
        found, problems = filter_condition(
            self.session, ot, self._catalog(ot.name), leaf.filter, leaf.path
        )
        for p in problems:
            self.problems.append(ErrorDetail(p.message, p.code, {"field": [leaf.path]}))
        if found is None:
            return None
        if not leaf.company:
            return found
        a = Association
        primary = (
            select(a.from_id)
            .join(self.companies, self.companies.c.id == a.to_id)
            .where(
                a.from_type == CONTACTS.name,
                a.to_type == COMPANIES.name,
                a.category == HUBSPOT_DEFINED,
                a.type_id == PRIMARY_COMPANY_TYPE_ID,
                a.archived == false(),
                self.companies.c.archived == false(),
                found,
            )
        )
        if self.ids is not None:
            primary = primary.where(self._among(a.from_id))
        return self.contacts.c.id.in_(primary)

    def _segment(self, leaf: SegmentLeaf) -> ColumnElement[bool] | None:
        if leaf.segment_id not in self.context.live_segments:
            key = "notInSegment" if leaf.negated else "inSegment"
            self._problem(
                f"{leaf.path}.{key}",
                "SEGMENT_NOT_FOUND",
                f"segment {leaf.segment_id} does not exist or is archived",
            )
            return None
        members = select(SegmentMember.contact_id).where(
            SegmentMember.segment_id == leaf.segment_id
        )
        if self.ids is not None:
            # Incremental: only the concerned contacts' rows (primary key probes), not the
            # whole membership of a segment that may hold most of the workspace.
            members = members.where(self._among(SegmentMember.contact_id))
        inside = self.contacts.c.id.in_(members)
        return not_(inside) if leaf.negated else inside

    def _aggregate_details(
        self, leaf: EventLeaf, key: str | None
    ) -> tuple[bool, frozenset[str] | None]:
        """Whether daily counts can answer the leaf, and for which key-property values
        (None: any; an empty set: none, as two disjoint filters ask)."""
        allowed: frozenset[str] | None = None
        for f in leaf.where:
            if key is None or f.property_name != key or f.operator not in ("EQ", "IN"):
                return False, None
            values = frozenset([str(f.value)] if f.operator == "EQ" else f.values)
            allowed = values if allowed is None else allowed & values
        return True, allowed

    def _event(self, leaf: EventLeaf) -> ColumnElement[bool] | None:
        if leaf.event_type in SYSTEM_TYPES:
            self._problem(
                f"{leaf.path}.event",
                "SYSTEM_EVENT_TYPE",
                f"{leaf.event_type} is written by segments themselves and cannot be a condition",
            )
            return None
        if leaf.event_type not in self.context.event_types:
            self._problem(
                f"{leaf.path}.event",
                "EVENT_TYPE_NOT_FOUND",
                f"event type '{leaf.event_type}' is neither built in nor defined",
            )
            return None
        key = self.context.event_types[leaf.event_type]
        first, last = leaf.window(self.context.today)
        threshold = leaf.at_least if leaf.at_least is not None else (leaf.at_most or 0) + 1
        aggregate, details = self._aggregate_details(leaf, key)
        counted: Select[Any]
        if aggregate and not self.context.force_raw:
            d = EventDailyCount
            counted = select(d.contact_id).where(d.event_type == leaf.event_type)
            if details is not None:
                counted = counted.where(d.detail.in_(sorted(details)) if details else false())
            if first is not None:
                counted = counted.where(d.day >= first)
            if last is not None:
                counted = counted.where(d.day <= last)
            if self.ids is not None:
                counted = counted.where(self._among(d.contact_id))
            counted = counted.group_by(d.contact_id).having(func.sum(d.count) >= threshold)
        else:
            e = Event
            counted = select(e.contact_id).where(
                e.event_type == leaf.event_type,
                e.contact_id.is_not(None),
                *[self._event_filter(f) for f in leaf.where],
            )
            if first is not None:
                counted = counted.where(e.occurred_at >= day_start(first))
            if last is not None:
                counted = counted.where(e.occurred_at < day_start(last + timedelta(days=1)))
            if self.ids is not None:
                counted = counted.where(self._among(e.contact_id))
            counted = counted.group_by(e.contact_id).having(func.count() >= threshold)
        did = self.contacts.c.id.in_(counted)
        return did if leaf.at_least is not None else not_(did)

    def _event_filter(self, f: EventFilter) -> ColumnElement[bool]:
        # Compared as text, exactly as the key property's value is kept in the detail column.
        text = cast(json_text(self.dialect, Event.properties, f.property_name), String)
        present = and_(text.is_not(None), text != "")
        op = f.operator
        if op == "HAS_PROPERTY":
            return present
        if op == "NOT_HAS_PROPERTY":
            return not_(present)
        if op == "EQ":
            equal: ColumnElement[bool] = text == str(f.value)
            return equal
        if op == "NEQ":
            return or_(not_(present), text != str(f.value))
        if op == "IN":
            return text.in_(f.values)
        if op == "NOT_IN":
            return or_(not_(present), text.not_in(f.values))
        if op == "CONTAINS_TOKEN":
            word = "%".join(like_escape(p) for p in str(f.value).lower().split("*"))
            padded = literal(" ", String) + func.lower(text) + literal(" ", String)
            return padded.like("% " + word + " %", escape="\\")
        number = json_numeric(self.dialect, Event.properties, f.property_name)
        value = float(f.value)
        comparisons: dict[str, ColumnElement[bool]] = {
            "GT": number > value,
            "GTE": number >= value,
            "LT": number < value,
            "LTE": number <= value,
        }
        return comparisons[op]
