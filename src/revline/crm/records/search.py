"""Search records the way HubSpot's CRM search does, compiled to one SQL statement.

A request is checked whole before any SQL runs, so every problem comes back as one 400
naming it. Filters become conditions on the typed columns (built-in properties) or on the
``custom`` JSON document (custom properties, stored as canonical API strings); the matching
page and the total are two statements (rows, then a count only when the page cannot tell it).
Text matching uses the substring indexes of migration 0003 through ``kit/db/dialect.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    and_,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression

from revline.crm.object_types import (
    CALLS,
    COMPANIES,
    CONTACTS,
    DEALS,
    EMAILS,
    MEETINGS,
    NOTES,
    TASKS,
    ObjectType,
    get_object_type,
)
from revline.crm.properties import service as properties
from revline.crm.properties.service import Catalog, PropertyDef
from revline.crm.properties.values import (
    ValueProblem,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_number,
    parse_string,
)
from revline.crm.records import scores
from revline.crm.records import service as records
from revline.crm.records.repository import table_for
from revline.crm.records.service import RecordView
from revline.errors import ErrorDetail, ValidationError
from revline.kit.db.dialect import (
    indexed_equals,
    indexed_like,
    indexed_words,
    json_number,
    json_text,
    like_escape,
)
from revline.kit.pagination import parse_id
from revline.kit.time import iso_ms
from revline.kit.validation import is_storable
from revline.models import Association

MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18
MAX_VALUES = 100  # per IN / NOT_IN filter
DEFAULT_LIMIT = 10
MAX_LIMIT = 200
MAX_RESULTS = 10_000  # HubSpot's cap: no page may reach past the 10,000th result
MAX_QUERY_LENGTH = 3_000
MAX_QUERY_WORDS = 20

# What ``query`` searches, per object type (HubSpot's default searchable properties). Each
# of these columns has a substring index (migration 0003).
SEARCHABLE: dict[str, tuple[str, ...]] = {
    CONTACTS.name: ("firstname", "lastname", "email", "phone", "company"),
    COMPANIES.name: ("name", "domain", "phone"),
    DEALS.name: ("dealname",),
    CALLS.name: ("hs_call_title", "hs_call_body"),
    EMAILS.name: ("hs_email_subject", "hs_email_text"),
    MEETINGS.name: ("hs_meeting_title", "hs_meeting_body"),
    NOTES.name: ("hs_note_body",),
    TASKS.name: ("hs_task_subject", "hs_task_body"),
}
_INDEXED_TEXT: dict[str, frozenset[str]] = {
    "contacts": frozenset(SEARCHABLE[CONTACTS.name]),
    "companies": frozenset(SEARCHABLE[COMPANIES.name]),
    "deals": frozenset(SEARCHABLE[DEALS.name]),
    "engagements": frozenset(
        c for t in (CALLS, EMAILS, MEETINGS, NOTES, TASKS) for c in SEARCHABLE[t.name]
    ),
}
# ``associations.<type>`` filters: which record types may be named, with EQ or IN on ids.
_ASSOCIATION_TARGETS = (CONTACTS, COMPANIES, DEALS)

OPERATORS = (
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
)
_RANGE = frozenset({"LT", "LTE", "GT", "GTE", "BETWEEN"})
_TOKEN = frozenset({"CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"})
_LIST = frozenset({"IN", "NOT_IN"})
_PRESENCE = frozenset({"HAS_PROPERTY", "NOT_HAS_PROPERTY"})
# Which operators each property type accepts; enumerations and booleans have no order.
_ALLOWED: dict[str, frozenset[str]] = {
    "string": frozenset(OPERATORS),
    "number": frozenset(OPERATORS) - _TOKEN,
    "date": frozenset(OPERATORS) - _TOKEN,
    "datetime": frozenset(OPERATORS) - _TOKEN,
    "enumeration": frozenset(OPERATORS) - _RANGE,
    "bool": frozenset({"EQ", "NEQ", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY"}),
}
# Columns that are never NULL need no NULLS FIRST/LAST (which would keep SQLite off an index).
_NOT_NULL_COLUMNS = frozenset({"id", "created_at", "updated_at"})


# --- the request ------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    property_name: str
    operator: str
    value: Any = None
    high_value: Any = None
    values: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class Sort:
    property_name: str
    descending: bool = False


@dataclass(frozen=True)
class SearchRequest:
    groups: tuple[tuple[Filter, ...], ...] = ()
    query: str | None = None
    sorts: tuple[Sort, ...] = ()
    properties: tuple[str, ...] | None = None
    limit: int = DEFAULT_LIMIT
    after: int = 0


@dataclass(frozen=True)
class SearchResult:
    total: int
    items: list[RecordView]
    next_after: str | None


def _problem(code: str, message: str, where: str, value: str = "") -> ErrorDetail:
    return ErrorDetail(message, code, {where: [value]})


def _fail(problems: list[ErrorDetail]) -> NoReturn:
    raise ValidationError(
        "Invalid search request: " + "; ".join(p.message for p in problems), errors=problems
    )


def _scalar_ok(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def parse_filter(raw: Any, where: str, problems: list[ErrorDetail]) -> Filter | None:
    """One ``{"propertyName", "operator", "value" | "highValue" | "values"}`` filter checked for
    shape (the property and the values' types are checked when it is compiled)."""
    if not isinstance(raw, dict):
        problems.append(_problem("INVALID_FILTER", f"{where} must be an object", where))
        return None
    name = raw.get("propertyName")
    operator = raw.get("operator")
    if not isinstance(name, str) or not name.strip():
        problems.append(
            _problem("MISSING_PROPERTY_NAME", f"{where}.propertyName is required", where)
        )
        return None
    if not isinstance(operator, str) or operator.strip().upper() not in OPERATORS:
        shown = operator if isinstance(operator, str) else repr(operator)
        problems.append(
            _problem(
                "INVALID_OPERATOR",
                f"{where}.operator '{shown}' is not one of {', '.join(OPERATORS)}",
                where,
                str(shown),
            )
        )
        return None
    operator = operator.strip().upper()
    value, high, values = raw.get("value"), raw.get("highValue"), raw.get("values")
    bad = [k for k, v in (("value", value), ("highValue", high)) if not _scalar_ok(v)]
    if values is not None and (
        not isinstance(values, list) or not all(_scalar_ok(v) for v in values)
    ):
        bad.append("values")
    if bad:
        problems.append(
            _problem(
                "INVALID_FILTER_VALUE",
                f"{where}: {', '.join(bad)} must be a string, number or boolean"
                + (" (values: a list of them)" if "values" in bad else ""),
                where,
                name,
            )
        )
        return None
    return Filter(
        property_name=name.strip(),
        operator=operator,
        value=value,
        high_value=high,
        values=tuple(values) if isinstance(values, list) else None,
    )


def _parse_sorts(raw: Any, problems: list[ErrorDetail]) -> tuple[Sort, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(_problem("INVALID_SORTS", "sorts must be a list", "sorts"))
        return ()
    sorts: list[Sort] = []
    for i, item in enumerate(raw):
        if isinstance(item, str) and item.strip().lstrip("-").strip():
            text = item.strip()
            sorts.append(Sort(text.lstrip("-").strip(), descending=text.startswith("-")))
            continue
        if isinstance(item, dict) and isinstance(item.get("propertyName"), str):
            direction = item.get("direction", "ASCENDING")
            if not isinstance(direction, str) or direction.upper() not in (
                "ASCENDING",
                "DESCENDING",
            ):
                problems.append(
                    _problem(
                        "INVALID_SORT_DIRECTION",
                        f"sorts[{i}].direction must be ASCENDING or DESCENDING",
                        "sorts",
                        str(direction),
                    )
                )
                continue
            sorts.append(Sort(item["propertyName"].strip(), direction.upper() == "DESCENDING"))
            continue
        problems.append(
            _problem(
                "INVALID_SORT",
                f'sorts[{i}] must be a property name ("createdate", "-createdate") or '
                '{"propertyName": ..., "direction": "ASCENDING" | "DESCENDING"}',
                "sorts",
                str(i),
            )
        )
    if len(sorts) > 1:
        problems.append(_problem("TOO_MANY_SORTS", "Search sorts by one property at most", "sorts"))
    return tuple(sorts)


def _parse_int(raw: Any, name: str, default: int, problems: list[ErrorDetail]) -> int:
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        problems.append(_problem("INVALID_" + name.upper(), f"{name} must be an integer", name))
        return default
    value = parse_id(str(raw))
    if value is None:
        problems.append(
            _problem(
                "INVALID_" + name.upper(),
                f"{name} must be a non-negative integer, not '{raw}'",
                name,
                str(raw),
            )
        )
        return default
    return value


def parse_search_request(raw: Any) -> SearchRequest:
    """Check the shape of a search body (a JSON object) and return it typed, or raise 400."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        _fail([_problem("INVALID_BODY", "The search body must be a JSON object", "body")])
    problems: list[ErrorDetail] = []

    raw_groups = raw.get("filterGroups")
    groups_in: list[Any] = []
    if raw_groups is not None and not isinstance(raw_groups, list):
        problems.append(_problem("INVALID_FILTER_GROUPS", "filterGroups must be a list", "body"))
    elif raw_groups:
        groups_in = list(raw_groups)
    legacy = raw.get("filters")
    if legacy is not None:
        # HubSpot's older top-level ``filters`` list is one more AND-group.
        if isinstance(legacy, list):
            if legacy:
                groups_in.append({"filters": legacy})
        else:
            problems.append(_problem("INVALID_FILTERS", "filters must be a list", "body"))

    groups: list[tuple[Filter, ...]] = []
    if len(groups_in) > MAX_GROUPS:
        problems.append(
            _problem(
                "TOO_MANY_FILTER_GROUPS",
                f"At most {MAX_GROUPS} filterGroups are allowed, got {len(groups_in)}",
                "filterGroups",
                str(len(groups_in)),
            )
        )
    total = 0
    for g, group in enumerate(groups_in):
        where = f"filterGroups[{g}]"
        filters_in = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters_in, list):
            problems.append(
                _problem("INVALID_FILTER_GROUP", f"{where} must be {{'filters': [...]}}", where)
            )
            continue
        if len(filters_in) > MAX_FILTERS_PER_GROUP:
            problems.append(
                _problem(
                    "TOO_MANY_FILTERS",
                    f"{where} has {len(filters_in)} filters; at most "
                    f"{MAX_FILTERS_PER_GROUP} are allowed in a group",
                    where,
                    str(len(filters_in)),
                )
            )
        total += len(filters_in)
        parsed = [
            parse_filter(f, f"{where}.filters[{i}]", problems) for i, f in enumerate(filters_in)
        ]
        group_filters = tuple(f for f in parsed if f is not None)
        if group_filters:
            groups.append(group_filters)
    if total > MAX_FILTERS:
        problems.append(
            _problem(
                "TOO_MANY_FILTERS",
                f"The request has {total} filters; at most {MAX_FILTERS} are allowed in all",
                "filterGroups",
                str(total),
            )
        )

    query = raw.get("query")
    if query is not None and not isinstance(query, str):
        problems.append(_problem("INVALID_QUERY", "query must be a string", "query"))
        query = None
    elif isinstance(query, str):
        if len(query) > MAX_QUERY_LENGTH or not is_storable(query):
            problems.append(
                _problem(
                    "INVALID_QUERY",
                    f"query must be text of at most {MAX_QUERY_LENGTH} characters",
                    "query",
                )
            )
        elif len(query.split()) > MAX_QUERY_WORDS:
            problems.append(
                _problem(
                    "INVALID_QUERY", f"query may hold at most {MAX_QUERY_WORDS} words", "query"
                )
            )

    props = raw.get("properties")
    properties_: tuple[str, ...] | None = None
    if isinstance(props, str):
        properties_ = tuple(p.strip() for p in props.split(",") if p.strip())
    elif isinstance(props, list) and all(isinstance(p, str) for p in props):
        properties_ = tuple(p.strip() for p in props if p.strip())
    elif props is not None:
        problems.append(
            _problem("INVALID_PROPERTIES", "properties must be a list of names", "properties")
        )

    limit = _parse_int(raw.get("limit"), "limit", DEFAULT_LIMIT, problems)
    if limit > MAX_LIMIT:
        problems.append(
            _problem(
                "INVALID_LIMIT",
                f"limit must be at most {MAX_LIMIT}, got {limit}",
                "limit",
                str(limit),
            )
        )
    after = _parse_int(raw.get("after"), "after", 0, problems)
    if not problems and after + limit > MAX_RESULTS:
        problems.append(
            _problem(
                "RESULT_WINDOW_EXCEEDED",
                f"Search returns at most {MAX_RESULTS} results: after ({after}) + limit "
                f"({limit}) goes past that; narrow the filters instead",
                "after",
                str(after),
            )
        )
    sorts = _parse_sorts(raw.get("sorts"), problems)
    if problems:
        _fail(problems)
    return SearchRequest(
        groups=tuple(groups),
        query=query.strip() if query and query.strip() else None,
        sorts=sorts,
        properties=properties_,
        limit=limit,
        after=after,
    )


# --- compiling to SQL ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """What a filter or sort on one property reads, and how its values compare."""

    prop: PropertyDef
    expr: ColumnElement[Any]
    column: str | None  # typed column name, None for custom values


class _Compiler:
    def __init__(self, session: Session, ot: ObjectType, catalog: Catalog) -> None:
        self.ot = ot
        self.catalog = catalog
        self.table: Table = table_for(ot)
        self.dialect = session.get_bind().dialect.name
        self.problems: list[ErrorDetail] = []

    # -- targets and values

    def target(self, name: str, where: str) -> _Target | None:
        prop = self.catalog.get(name)
        if prop is None:
            self.problems.append(
                _problem(
                    "PROPERTY_DOESNT_EXIST",
                    f'{where}: property "{name}" does not exist on {self.ot.name}',
                    "propertyName",
                    name,
                )
            )
            return None
        if prop.column is not None:
            return _Target(prop, self.table.c[prop.column], prop.column)
        if scores.is_score_property(self.ot, prop.name):
            return _Target(prop, scores.expression(prop.name, self.table.c.id), None)
        if prop.type == "number":
            expr = json_number(self.dialect, self.table.c.custom, prop.name)
        else:
            expr = json_text(self.dialect, self.table.c.custom, prop.name)
        return _Target(prop, expr, None)

    def value(self, t: _Target, raw: Any) -> Any:
        """A filter value as the SQL value it is compared with; ValueProblem when it is bad."""
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            raise ValueProblem("MISSING_VALUE", "a value is required")
        kind = t.prop.type
        if t.column == "hubspot_owner_id":
            owner = parse_id(str(raw))
            if owner is None or isinstance(raw, bool):
                raise ValueProblem("INVALID_OWNER_ID", f"'{raw}' is not an owner id")
            return owner
        if kind == "number":
            number = parse_number(raw)
            if t.column == "id":
                return int(number) if number == number.to_integral_value() else float(number)
            if t.column is None and self.dialect == "sqlite":
                return float(number)  # compared with CAST(... AS REAL)
            return number
        if kind == "datetime":
            moment = parse_datetime(raw)
            return moment if t.column is not None else iso_ms(moment)
        if kind == "date":
            day = parse_date(raw)
            return day if t.column is not None else day.isoformat()
        if kind == "bool":
            flag = parse_bool(raw)
            return flag if t.column is not None else ("true" if flag else "false")
        return parse_string(raw)

    # -- conditions

    def _is_text(self, t: _Target) -> bool:
        return t.prop.type in ("string", "enumeration") and t.column != "hubspot_owner_id"

    def _present(self, t: _Target) -> ColumnElement[bool]:
        if self._is_text(t):
            return and_(t.expr.is_not(None), t.expr != "")
        return t.expr.is_not(None)

    def _equals(self, t: _Target, value: Any) -> ColumnElement[bool]:
        if t.prop.type == "string":
            if t.column is not None and t.column in _INDEXED_TEXT[self.table.name]:
                return indexed_equals(self.dialect, self.table, t.column, value)
            return func.lower(t.expr) == func.lower(literal(value, String))
        if t.prop.type == "enumeration" and t.prop.field_type == "checkbox":
            # A multi-select holds "a;b;c": equal to one option means that option is chosen.
            boxed = literal(";", String) + t.expr + literal(";", String)
            return boxed.like("%;" + like_escape(value) + ";%", escape="\\")
        equal: ColumnElement[bool] = t.expr == value
        return equal

    def _token(self, t: _Target, raw: str) -> ColumnElement[bool]:
        """Some whitespace-separated word of the value matches ``raw`` (``*``: any characters)."""
        parts = [like_escape(p) for p in raw.split("*")]
        word = "%".join(parts)
        padded = literal(" ", String) + func.lower(t.expr) + literal(" ", String)
        exact = padded.like(func.lower(literal("% " + word + " %", String)), escape="\\")
        core = max(raw.split("*"), key=len)
        if t.column is not None and t.column in _INDEXED_TEXT[self.table.name] and core:
            # The index narrows to values holding the longest literal piece; ``exact`` decides.
            return and_(indexed_like(self.dialect, self.table, t.column, "%" + core + "%"), exact)
        return exact

    def condition(self, f: Filter, where: str) -> ColumnElement[bool] | None:
        if f.property_name.lower().startswith("associations."):
            return self._association(f, where)
        t = self.target(f.property_name, where)
        if t is None:
            return None
        op = f.operator
        allowed = _ALLOWED.get(t.prop.type, frozenset(OPERATORS))
        if t.column == "hubspot_owner_id":
            allowed = allowed - _TOKEN
        if op not in allowed:
            self.problems.append(
                _problem(
                    "INVALID_OPERATOR_FOR_TYPE",
                    f"{where}: operator {op} is not valid for {t.prop.type} property "
                    f'"{t.prop.name}" (valid: {", ".join(o for o in OPERATORS if o in allowed)})',
                    "operator",
                    op,
                )
            )
            return None
        try:
            return self._build(t, f)
        except ValueProblem as problem:
            self.problems.append(
                _problem(
                    problem.code if problem.code != "MISSING_VALUE" else "MISSING_FILTER_VALUE",
                    f'{where}: {op} on "{t.prop.name}": {problem.message}',
                    "propertyName",
                    t.prop.name,
                )
            )
            return None

    def _build(self, t: _Target, f: Filter) -> ColumnElement[bool]:
        op = f.operator
        if op == "HAS_PROPERTY":
            return self._present(t)
        if op == "NOT_HAS_PROPERTY":
            return not_(self._present(t))
        if op in _LIST:
            if not f.values:
                raise ValueProblem("MISSING_VALUE", "values (a non-empty list) is required")
            if len(f.values) > MAX_VALUES:
                raise ValueProblem("TOO_MANY_VALUES", f"at most {MAX_VALUES} values are allowed")
            values = [self.value(t, v) for v in f.values]
            matched: ColumnElement[bool]
            if t.prop.type == "string":
                matched = func.lower(t.expr).in_([func.lower(literal(v, String)) for v in values])
            elif t.prop.field_type == "checkbox":
                matched = or_(*[self._equals(t, v) for v in values])
            else:
                matched = t.expr.in_(values)
            # Like HubSpot, "not in" also matches records without a value.
            return matched if op == "IN" else or_(not_(self._present(t)), not_(matched))
        if op == "BETWEEN":
            if f.high_value is None or f.high_value == "":
                raise ValueProblem("MISSING_VALUE", "highValue is required for BETWEEN")
            low, high = self.value(t, f.value), self.value(t, f.high_value)
            return and_(t.expr >= low, t.expr <= high)
        if op in _TOKEN:
            text = parse_string(f.value) if f.value is not None else ""
            if not text.strip() or not text.strip("*").strip():
                raise ValueProblem("MISSING_VALUE", "a token to look for is required")
            found = self._token(t, text.strip())
            return found if op == "CONTAINS_TOKEN" else or_(not_(self._present(t)), not_(found))
        value = self.value(t, f.value)
        if op == "EQ":
            return self._equals(t, value)
        if op == "NEQ":
            return or_(not_(self._present(t)), not_(self._equals(t, value)))
        comparisons: dict[str, ColumnElement[bool]] = {
            "LT": t.expr < value,
            "LTE": t.expr <= value,
            "GT": t.expr > value,
            "GTE": t.expr >= value,
        }
        return comparisons[op]

    def _association(self, f: Filter, where: str) -> ColumnElement[bool] | None:
        name = f.property_name.split(".", 1)[1].strip()
        other = get_object_type(name)
        if other is None or other not in _ASSOCIATION_TARGETS or other == self.ot:
            choices = ", ".join(
                f"associations.{o.singular}" for o in _ASSOCIATION_TARGETS if o != self.ot
            )
            self.problems.append(
                _problem(
                    "INVALID_ASSOCIATION_FILTER",
                    f"{where}: {f.property_name} cannot be filtered on {self.ot.name} "
                    f"(use {choices})",
                    "propertyName",
                    f.property_name,
                )
            )
            return None
        if f.operator not in ("EQ", "IN"):
            self.problems.append(
                _problem(
                    "INVALID_OPERATOR_FOR_TYPE",
                    f"{where}: {f.property_name} accepts EQ and IN only",
                    "operator",
                    f.operator,
                )
            )
            return None
        raw_ids = [f.value] if f.operator == "EQ" else list(f.values or [])
        ids = [
            parse_id(str(v)) if v is not None and not isinstance(v, bool) else None for v in raw_ids
        ]
        if not raw_ids or len(raw_ids) > MAX_VALUES or any(i is None for i in ids):
            self.problems.append(
                _problem(
                    "INVALID_FILTER_VALUE",
                    f"{where}: {f.property_name} needs "
                    + ("value" if f.operator == "EQ" else f"values (1 to {MAX_VALUES})")
                    + " holding record ids",
                    "propertyName",
                    f.property_name,
                )
            )
            return None
        # Each link is stored in both directions: read the other record's side, which the
        # (from_type, from_id, to_type, to_id) index answers directly.
        linked = select(Association.to_id).where(
            Association.from_type == other.name,
            Association.from_id.in_([i for i in ids if i is not None]),
            Association.to_type == self.ot.name,
            Association.archived == false(),
        )
        return self.table.c.id.in_(linked)

    def where(self, request: SearchRequest) -> ColumnElement[bool]:
        table = self.table
        # Merged records are archived, so "live" needs no merged_into_id term; leaving it out
        # lets the partial list-view indexes (WHERE archived = false) answer on their own.
        scope: list[ColumnElement[bool]] = [table.c.archived == false()]
        if self.ot.engagement_type is not None:
            scope.append(table.c.engagement_type == self.ot.engagement_type)
        groups: list[ColumnElement[bool]] = []
        for g, group in enumerate(request.groups):
            conds = [
                self.condition(f, f"filterGroups[{g}].filters[{i}]") for i, f in enumerate(group)
            ]
            groups.append(and_(true(), *[c for c in conds if c is not None]))
        if groups:
            scope.append(or_(*groups))
        if request.query:
            words = request.query.split()
            scope.append(indexed_words(self.dialect, table, SEARCHABLE[self.ot.name], words))
        return and_(*scope)

    def order_by(self, request: SearchRequest) -> list[UnaryExpression[Any] | ColumnElement[Any]]:
        keys: list[UnaryExpression[Any] | ColumnElement[Any]] = []
        for sort in request.sorts:
            t = self.target(sort.property_name, "sorts")
            if t is None:
                continue
            if t.column == "id":
                return [t.expr.desc() if sort.descending else t.expr.asc()]
            key = t.expr.desc() if sort.descending else t.expr.asc()
            if t.column not in _NOT_NULL_COLUMNS:
                # Empty values sort as if larger than any value (PostgreSQL's own default, so
                # its B-tree indexes still serve both directions).
                key = key.nulls_first() if sort.descending else key.nulls_last()
            keys.append(key)
        keys.append(self.table.c.id.asc())  # ties broken by id: pages never overlap or skip
        return keys


def filter_condition(
    session: Session, ot: ObjectType, catalog: Catalog, f: Filter, where: str
) -> tuple[ColumnElement[bool] | None, list[ErrorDetail]]:
    """The SQL condition one filter puts on the table of ``ot`` (exactly as search reads it),
    or the problems that make it invalid, each naming ``where``. Segments build on this."""
    compiler = _Compiler(session, ot, catalog)
    condition = compiler.condition(f, where)
    return (condition if not compiler.problems else None), compiler.problems


def search_records(session: Session, ot: ObjectType, request: SearchRequest) -> SearchResult:
    """One page of the live records of ``ot`` matching ``request``, and how many match."""
    catalog = properties.load_catalog(session, ot)
    compiler = _Compiler(session, ot, catalog)
    where = compiler.where(request)
    order = compiler.order_by(request)
    if compiler.problems:
        _fail(compiler.problems)
    table = compiler.table

    rows: list[Any] = []
    if request.limit > 0:
        rows = list(
            session.execute(
                select(table)
                .where(where)
                .order_by(*order)
                .offset(request.after)
                .limit(request.limit)
            ).mappings()
        )
    if rows and len(rows) < request.limit:
        total = request.after + len(rows)  # a short page is the last one: no count needed
    elif not rows and request.after == 0 and request.limit > 0:
        total = 0
    else:
        total = int(
            session.execute(select(func.count()).select_from(table).where(where)).scalar_one()
        )

    end = request.after + len(rows)
    next_after = str(end) if rows and end < min(total, MAX_RESULTS) else None
    views = records.render_rows(session, ot, rows, properties_=request.properties)
    return SearchResult(total=total, items=views, next_after=next_after)


__all__ = [
    "MAX_RESULTS",
    "SEARCHABLE",
    "Filter",
    "SearchRequest",
    "SearchResult",
    "Sort",
    "filter_condition",
    "parse_filter",
    "parse_search_request",
    "search_records",
]
