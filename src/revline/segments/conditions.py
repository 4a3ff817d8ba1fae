"""The condition tree of a dynamic segment: its JSON grammar, checked into typed nodes.

The shape of the whole tree is checked before anything reads the database, and every problem
names the path of its node (``conditions.and[2].atLeast``), so one 400 tells the client all
that is wrong. What needs the database (does the property exist, is the event type known,
is the segment live) is checked when the tree is compiled (``compiler.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NoReturn

from revline.crm.records.search import Filter, parse_filter
from revline.errors import ErrorDetail, ValidationError
from revline.kit.pagination import parse_id

MAX_DEPTH = 5  # nested and/or/not groups
MAX_NODES = 100
MAX_WHERE = 10
MAX_VALUES = 100
MAX_COUNT = 1_000_000
MAX_DAYS = 3_650

EVENT_OPERATORS = (
    "EQ",
    "NEQ",
    "IN",
    "NOT_IN",
    "GT",
    "GTE",
    "LT",
    "LTE",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
)
_NUMERIC = frozenset({"GT", "GTE", "LT", "LTE"})
_LEAF_KEYS = ("property", "companyProperty", "inSegment", "notInSegment", "event")
_GROUP_KEYS = ("and", "or", "not")


# --- nodes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """All (``and``) or any (``or``) of the children."""

    path: str
    op: str  # and | or
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    path: str
    child: Node


@dataclass(frozen=True)
class PropertyLeaf:
    """A condition on the contact's own property (``company`` False) or on its primary
    company's (``company`` True), with CRM search's operators and semantics."""

    path: str
    filter: Filter
    company: bool = False


@dataclass(frozen=True)
class SegmentLeaf:
    path: str
    segment_id: int
    negated: bool


@dataclass(frozen=True)
class EventFilter:
    property_name: str
    operator: str
    value: Any = None
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventLeaf:
    """Did the contact do ``event_type`` (matching ``where``) at least ``at_least`` or at most
    ``at_most`` times in the window? Windows are whole UTC days."""

    path: str
    event_type: str
    where: tuple[EventFilter, ...]
    at_least: int | None
    at_most: int | None
    in_last_days: int | None
    between: tuple[date, date] | None

    def window(self, today: date) -> tuple[date | None, date | None]:
        """The first and last day counted (None: unbounded)."""
        if self.in_last_days is not None:
            return today - timedelta(days=self.in_last_days - 1), today
        if self.between is not None:
            return self.between
        return None, None


Node = Group | Not | PropertyLeaf | SegmentLeaf | EventLeaf


# --- parsing ----------------------------------------------------------------------------


class ConditionParser:
    """Checks condition nodes, collecting every problem (each naming its path) rather than
    stopping at the first. Score models parse their rules' conditions with it too."""

    def __init__(self) -> None:
        self.problems: list[ErrorDetail] = []
        self.nodes = 0

    def fail(self, path: str, code: str, message: str) -> None:
        self.problems.append(ErrorDetail(f"{path}: {message}", code, {"field": [path]}))

    def node(self, raw: Any, path: str, depth: int) -> Node | None:
        self.nodes += 1
        if self.nodes == MAX_NODES + 1:
            self.fail(path, "TOO_MANY_CONDITIONS", f"a tree may hold at most {MAX_NODES} nodes")
        if not isinstance(raw, dict) or not raw:
            self.fail(path, "INVALID_CONDITION", "must be a non-empty object")
            return None
        kinds = [k for k in (*_GROUP_KEYS, *_LEAF_KEYS) if k in raw]
        if len(kinds) != 1:
            shown = ", ".join(kinds) if kinds else ", ".join(sorted(map(str, raw)))
            self.fail(
                path,
                "INVALID_CONDITION",
                f"must hold exactly one of {', '.join((*_GROUP_KEYS, *_LEAF_KEYS))} "
                f"(found: {shown})",
            )
            return None
        kind = kinds[0]
        if kind in _GROUP_KEYS:
            if depth >= MAX_DEPTH:
                self.fail(path, "TOO_DEEP", f"groups may nest at most {MAX_DEPTH} deep")
                return None
            extra = sorted(set(raw) - {kind})
            if extra:
                self.fail(path, "UNKNOWN_FIELD", f"unexpected field(s) {', '.join(extra)}")
            if kind == "not":
                child = self.node(raw["not"], f"{path}.not", depth + 1)
                return Not(path, child) if child is not None else None
            items = raw[kind]
            if not isinstance(items, list) or not items:
                self.fail(f"{path}.{kind}", "INVALID_CONDITION", "must be a non-empty list")
                return None
            children = [self.node(c, f"{path}.{kind}[{i}]", depth + 1) for i, c in enumerate(items)]
            if any(c is None for c in children):
                return None
            return Group(path, kind, tuple(c for c in children if c is not None))
        if kind in ("property", "companyProperty"):
            return self.property_leaf(raw, path, kind)
        if kind in ("inSegment", "notInSegment"):
            return self.segment_leaf(raw, path, kind)
        return self.event_leaf(raw, path)

    def property_leaf(self, raw: dict[str, Any], path: str, key: str) -> PropertyLeaf | None:
        extra = sorted(set(raw) - {key, "operator", "value", "highValue", "values"})
        if extra:
            self.fail(path, "UNKNOWN_FIELD", f"unexpected field(s) {', '.join(extra)}")
            return None
        name = raw[key]
        if not isinstance(name, str) or not name.strip():
            self.fail(f"{path}.{key}", "MISSING_PROPERTY_NAME", "must be a property name")
            return None
        if name.strip().lower().startswith("associations."):
            self.fail(
                f"{path}.{key}",
                "INVALID_PROPERTY",
                "association filters are not conditions; use companyProperty",
            )
            return None
        problems: list[ErrorDetail] = []
        parsed = parse_filter({**raw, "propertyName": name}, path, problems)
        for p in problems:
            self.problems.append(ErrorDetail(p.message, p.code, {"field": [path]}))
        if parsed is None:
            return None
        return PropertyLeaf(path, parsed, company=key == "companyProperty")

    def segment_leaf(self, raw: dict[str, Any], path: str, key: str) -> SegmentLeaf | None:
        if len(raw) != 1:
            self.fail(path, "UNKNOWN_FIELD", f"{key} takes no other field")
            return None
        value = raw[key]
        ident = None if isinstance(value, bool) else parse_id(str(value))
        if ident is None or ident == 0:
            self.fail(f"{path}.{key}", "INVALID_SEGMENT_ID", f"'{value}' is not a segment id")
            return None
        return SegmentLeaf(path, ident, negated=key == "notInSegment")

    def count(self, raw: dict[str, Any], path: str, key: str, low: int) -> int | None:
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_COUNT:
            self.fail(
                f"{path}.{key}", "INVALID_COUNT", f"must be an integer from {low} to {MAX_COUNT}"
            )
            return None
        return value

    def days(self, raw: dict[str, Any], path: str, key: str) -> int | None:
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
            self.fail(
                f"{path}.{key}",
                "INVALID_WINDOW",
                f"must be a whole number of days, 1 to {MAX_DAYS}",
            )
            return None
        return value

    def between(self, raw: Any, path: str) -> tuple[date, date] | None:
        if not isinstance(raw, dict) or set(raw) != {"from", "to"}:
            self.fail(path, "INVALID_WINDOW", 'must be {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}')
            return None
        days: list[date] = []
        for key in ("from", "to"):
            try:
                days.append(date.fromisoformat(str(raw[key])))
            except ValueError:
                self.fail(f"{path}.{key}", "INVALID_DATE", f"'{raw[key]}' is not a YYYY-MM-DD date")
                return None
        if days[0] > days[1]:
            self.fail(path, "INVALID_WINDOW", "from must not be after to")
            return None
        return days[0], days[1]

    def event_filter(self, raw: Any, path: str) -> EventFilter | None:
        if not isinstance(raw, dict):
            self.fail(path, "INVALID_FILTER", "must be an object")
            return None
        extra = sorted(set(raw) - {"property", "operator", "value", "values"})
        if extra:
            self.fail(path, "UNKNOWN_FIELD", f"unexpected field(s) {', '.join(extra)}")
            return None
        name, op = raw.get("property"), raw.get("operator")
        if not isinstance(name, str) or not name.strip():
            self.fail(f"{path}.property", "MISSING_PROPERTY_NAME", "must be a property name")
            return None
        if not isinstance(op, str) or op.strip().upper() not in EVENT_OPERATORS:
            self.fail(
                f"{path}.operator",
                "INVALID_OPERATOR",
                f"'{op}' is not one of {', '.join(EVENT_OPERATORS)}",
            )
            return None
        op = op.strip().upper()
        value, values = raw.get("value"), raw.get("values")
        if op in ("IN", "NOT_IN"):
            if (
                not isinstance(values, list)
                or not values
                or len(values) > MAX_VALUES
                or not all(isinstance(v, str | int | float) and v != "" for v in values)
            ):
                self.fail(
                    f"{path}.values",
                    "INVALID_FILTER_VALUE",
                    f"{op} needs values: a list of 1 to {MAX_VALUES} strings or numbers",
                )
                return None
            return EventFilter(name.strip(), op, values=tuple(_text(v) for v in values))
        if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
            return EventFilter(name.strip(), op)
        if isinstance(value, bool) or not isinstance(value, str | int | float) or value == "":
            self.fail(f"{path}.value", "INVALID_FILTER_VALUE", f"{op} needs a value")
            return None
        if op in _NUMERIC:
            try:
                number = float(value)
            except ValueError:
                self.fail(f"{path}.value", "INVALID_FILTER_VALUE", f"{op} needs a number")
                return None
            if number != number or number in (float("inf"), float("-inf")):
                self.fail(f"{path}.value", "INVALID_FILTER_VALUE", f"{op} needs a number")
                return None
            return EventFilter(name.strip(), op, value=number)
        if op == "CONTAINS_TOKEN" and not str(value).strip("* "):
            self.fail(f"{path}.value", "INVALID_FILTER_VALUE", "a token to look for is required")
            return None
        return EventFilter(
            name.strip(), op, value=_text(value).strip() if op != "EQ" else _text(value)
        )

    def event_leaf(self, raw: dict[str, Any], path: str) -> EventLeaf | None:
        allowed = {"event", "where", "atLeast", "atMost", "inLastDays", "between", "notInLastDays"}
        extra = sorted(set(raw) - allowed)
        if extra:
            self.fail(path, "UNKNOWN_FIELD", f"unexpected field(s) {', '.join(extra)}")
            return None
        name = raw["event"]
        if not isinstance(name, str) or not name.strip():
            self.fail(f"{path}.event", "INVALID_EVENT_TYPE", "must be an event type name")
            return None
        ok = True
        where: list[EventFilter] = []
        raw_where = raw.get("where", [])
        if not isinstance(raw_where, list) or len(raw_where) > MAX_WHERE:
            self.fail(f"{path}.where", "INVALID_FILTER", f"must be a list of at most {MAX_WHERE}")
            ok = False
        else:
            for i, item in enumerate(raw_where):
                parsed = self.event_filter(item, f"{path}.where[{i}]")
                ok = ok and parsed is not None
                if parsed is not None:
                    where.append(parsed)
        if "notInLastDays" in raw:
            if {"atLeast", "atMost", "inLastDays", "between"} & set(raw):
                self.fail(
                    f"{path}.notInLastDays",
                    "INVALID_CONDITION",
                    "notInLastDays stands alone (it means atMost 0 in the last days)",
                )
                return None
            days = self.days(raw, path, "notInLastDays")
            if days is None or not ok:
                return None
            return EventLeaf(path, name.strip(), tuple(where), None, 0, days, None)
        if "atLeast" in raw and "atMost" in raw:
            self.fail(f"{path}.atMost", "INVALID_CONDITION", "give atLeast or atMost, not both")
            return None
        at_least = at_most = None
        if "atMost" in raw:
            at_most = self.count(raw, path, "atMost", 0)
            ok = ok and at_most is not None
        else:
            at_least = self.count(raw, path, "atLeast", 1) if "atLeast" in raw else 1
            ok = ok and at_least is not None
        if "inLastDays" in raw and "between" in raw:
            self.fail(f"{path}.between", "INVALID_WINDOW", "give inLastDays or between, not both")
            return None
        in_last = between = None
        if "inLastDays" in raw:
            in_last = self.days(raw, path, "inLastDays")
            ok = ok and in_last is not None
        if "between" in raw:
            between = self.between(raw["between"], f"{path}.between")
            ok = ok and between is not None
        if not ok:
            return None
        return EventLeaf(path, name.strip(), tuple(where), at_least, at_most, in_last, between)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def invalid(problems: list[ErrorDetail]) -> NoReturn:
    raise ValidationError(
        "Invalid segment conditions: " + "; ".join(p.message for p in problems), errors=problems
    )


def parse_conditions(raw: Any, path: str = "conditions") -> Node:
    """Check the shape of a condition tree and return it typed, or raise 400 naming paths."""
    if raw is None:
        invalid([ErrorDetail(f"{path} is required", "MISSING_CONDITIONS", {"field": [path]})])
    parser = ConditionParser()
    node = parser.node(raw, path, 0)
    if parser.problems or node is None:
        invalid(parser.problems)
    return node


# --- what a tree reads ------------------------------------------------------------------


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children."""
    out: list[Node] = [node]
    if isinstance(node, Group):
        for child in node.children:
            out.extend(walk(child))
    elif isinstance(node, Not):
        out.extend(walk(node.child))
    return out


def dependencies(node: Node) -> dict[str, Any]:
    """What can change the tree's answer for a contact (stored with the segment)."""
    nodes = walk(node)
    company = sorted(
        {n.filter.property_name for n in nodes if isinstance(n, PropertyLeaf) and n.company}
    )
    return {
        "properties": sorted(
            {n.filter.property_name for n in nodes if isinstance(n, PropertyLeaf) and not n.company}
        ),
        "companyProperties": company,
        "events": sorted({n.event_type for n in nodes if isinstance(n, EventLeaf)}),
        "segments": sorted({n.segment_id for n in nodes if isinstance(n, SegmentLeaf)}),
        # A contact's primary company changes what every company condition reads.
        "associations": bool(company),
    }


def is_time_based(node: Node, today: date) -> bool:
    """Whether the passing of days alone can change the answer: a relative window, or fixed
    dates that are not all in the past yet."""
    for n in walk(node):
        if isinstance(n, EventLeaf) and (
            n.in_last_days is not None or (n.between is not None and n.between[1] >= today)
        ):
            return True
    return False
