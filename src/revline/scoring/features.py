"""The features a predictive model reads, and the numeric matrix it reads them as.

A *field* is what a user names in ``include`` and ``exclude``: a contact property
(``jobtitle``), a property of the contact's primary company (``company.industry``), an event
type (``events.page_view``) or an engagement type (``engagements.calls``). A field gives one
or more *columns*:

- numbers are numeric; dates and datetimes become the number of days before the reference
  time; missing values stay NaN, and the model's pipeline imputes the median and adds a
  missing indicator;
- enumerations, strings and booleans are categorical: the categories seen often enough in
  training are kept, the rest become ``(other)``, and a missing value is its own
  ``(missing)`` category; each is coded as a small integer that the pipeline one-hot encodes;
- an event type gives its count in the last 30 and 90 days and in total, and an engagement
  type the number of engagements linked to the contact, both counted only before the
  reference time (the training rows look back from a reference date; nothing after it leaks
  in).

What was learnt (which fields, the kept categories) is the :class:`FeatureSpec`, stored with
the model so scoring builds exactly the same columns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from revline.crm.object_types import COMPANIES, CONTACTS
from revline.crm.properties import service as properties
from revline.crm.properties.service import PropertyDef
from revline.crm.properties.values import ValueProblem, parse_date, parse_datetime, parse_number
from revline.errors import ErrorDetail, ValidationError
from revline.events import service as events
from revline.events.definitions import SYSTEM_TYPES
from revline.kit.time import ensure_utc
from revline.scoring import predictive_repository as repo
from revline.scoring.outcomes import Outcome

NUMERIC = "numeric"
CATEGORICAL = "categorical"
MISSING = "(missing)"
OTHER = "(other)"
COMPANY_PREFIX = "company."
EVENTS_PREFIX = "events."
ENGAGEMENTS_PREFIX = "engagements."
ENGAGEMENT_TYPES = ("calls", "emails", "meetings", "notes", "tasks")
WINDOWS = (30, 90)
# A category is kept when at least this many training rows (and this share of them) hold it;
# at most MAX_CATEGORIES per field, the commonest first.
MIN_CATEGORY_ROWS = 5
MIN_CATEGORY_SHARE = 0.01
MAX_CATEGORIES = 30
MAX_FIELDS = 500
# The properties the predictive score writes itself: never its own inputs.
SCORE_PROPERTY = "revline_predictive_score"
TIER_PROPERTY = "revline_predictive_tier"
OWN_PROPERTIES = frozenset({SCORE_PROPERTY, TIER_PROPERTY})

# Why a field was left out.
EXCLUDED_BY_USER = "excluded"
OUTCOME = "restates the outcome"
OWN_SCORE = "written by the predictive score"
NO_VALUES = "no values"
CONSTANT = "a single value once rare ones are grouped"


@dataclass(frozen=True)
class Field:
    name: str  # as include/exclude name it
    source: str  # contact | company | events | engagements
    key: str  # the property name, event type or engagement type
    type: str | None = None  # property type
    column: str | None = None  # typed column of a built-in property (None: custom document)

    def columns(self) -> list[str]:
        if self.source == "events":
            return [*(f"{self.name}.last{w}d" for w in WINDOWS), f"{self.name}.total"]
        return [self.name]

    @property
    def numeric(self) -> bool:
        return self.source in ("events", "engagements") or self.type in (
            "number",
            "date",
            "datetime",
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "key": self.key,
            "type": self.type,
            "column": self.column,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Field:
        return cls(raw["name"], raw["source"], raw["key"], raw.get("type"), raw.get("column"))


@dataclass(frozen=True)
class Column:
    name: str
    field: str
    kind: str  # numeric | categorical
    categories: tuple[str, ...] = ()  # kept categories (categorical)

    def labels(self) -> list[str]:
        """What each integer code of a categorical column stands for."""
        return [*self.categories, OTHER, MISSING]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "field": self.field, "kind": self.kind}
        if self.kind == CATEGORICAL:
            out["categories"] = list(self.categories)
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Column:
        return cls(raw["name"], raw["field"], raw["kind"], tuple(raw.get("categories", ())))


@dataclass(frozen=True)
class FeatureSpec:
    fields: tuple[Field, ...]
    columns: tuple[Column, ...]
    excluded: tuple[tuple[str, str], ...] = ()  # (field, why)

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": [f.to_json() for f in self.fields],
            "columns": [c.to_json() for c in self.columns],
            "excluded": [{"field": f, "reason": r} for f, r in self.excluded],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FeatureSpec:
        return cls(
            tuple(Field.from_json(f) for f in raw.get("fields", [])),
            tuple(Column.from_json(c) for c in raw.get("columns", [])),
            tuple((str(e["field"]), str(e["reason"])) for e in raw.get("excluded", [])),
        )


@dataclass
class Candidates:
    """The fields a training may use, and those left out before looking at any data."""

    fields: list[Field]
    excluded: list[tuple[str, str]] = field(default_factory=list)


# --- choosing fields --------------------------------------------------------------------


def _bad(path: str, code: str, message: str) -> ErrorDetail:
    return ErrorDetail(f"{path}: {message}", code, {"field": [path]})


def parse_names(raw: Any, path: str) -> tuple[tuple[str, ...] | None, list[ErrorDetail]]:
    """A list of field names (``include`` / ``exclude``), or None when absent."""
    if raw is None:
        return None, []
    if not isinstance(raw, list) or len(raw) > MAX_FIELDS:
        return None, [_bad(path, "INVALID_FIELDS", f"must be a list of at most {MAX_FIELDS} names")]
    names: list[str] = []
    problems: list[ErrorDetail] = []
    for i, item in enumerate(raw):
        if not isinstance(item, str) or not item.strip() or len(item) > 255:
            problems.append(_bad(f"{path}[{i}]", "INVALID_FIELD", "must be a field name"))
        else:
            names.append(item.strip())
    # Duplicates stay, so a problem found later still names the position the client sent.
    return tuple(names), problems


def _property_field(prop: PropertyDef, company: bool) -> Field:
    if company:
        return Field(COMPANY_PREFIX + prop.name, "company", prop.name, prop.type, prop.column)
    return Field(prop.name, "contact", prop.name, prop.type, prop.column)


def _by_default(prop: PropertyDef) -> bool:
    return not prop.hidden and not prop.calculated


def available_fields(session: Session) -> tuple[dict[str, Field], set[str]]:
    """Every field that may be named, and those used when nothing is included."""
    known: dict[str, Field] = {}
    default: set[str] = set()
    for ot, company in ((CONTACTS, False), (COMPANIES, True)):
        for prop in properties.load_catalog(session, ot).by_name.values():
            f = _property_field(prop, company)
            known[f.name] = f
            if _by_default(prop):
                default.add(f.name)
    for name in sorted(events.event_types(session)):
        if name in SYSTEM_TYPES:
            continue
        f = Field(EVENTS_PREFIX + name, "events", name)
        known[f.name] = f
        default.add(f.name)
    for kind in ENGAGEMENT_TYPES:
        f = Field(ENGAGEMENTS_PREFIX + kind, "engagements", kind)
        known[f.name] = f
        default.add(f.name)
    return known, default


def choose_fields(
    session: Session,
    outcome: Outcome,
    include: tuple[str, ...] | None,
    exclude: tuple[str, ...],
    *,
    include_path: str = "include",
    exclude_path: str = "exclude",
) -> Candidates:
    """The fields to read: the defaults (or ``include``), less ``exclude``, the outcome's own
    properties and the score's. Unknown names are a 400 naming ``include[i]``/``exclude[i]``."""
    known, default = available_fields(session)
    problems: list[ErrorDetail] = []
    for path, names in ((include_path, include or ()), (exclude_path, exclude)):
        for i, name in enumerate(names):
            if name not in known:
                problems.append(
                    _bad(
                        f"{path}[{i}]",
                        "UNKNOWN_FIELD",
                        f"'{name}' is neither a contact property, a company property "
                        "(company.<name>), an event type (events.<type>) nor an engagement "
                        f"type (engagements.<{'|'.join(ENGAGEMENT_TYPES)}>)",
                    )
                )
    if problems:
        raise ValidationError(
            "Unknown fields: " + "; ".join(p.message for p in problems), errors=problems
        )
    wanted = list(dict.fromkeys(include)) if include is not None else sorted(default)
    chosen: list[Field] = []
    excluded: list[tuple[str, str]] = []
    skip = set(exclude)
    for name in wanted:
        f = known[name]
        if name in skip:
            excluded.append((name, EXCLUDED_BY_USER))
        elif f.source == "contact" and f.key in outcome.own_properties:
            excluded.append((name, OUTCOME))
        elif f.source == "contact" and f.key in OWN_PROPERTIES:
            excluded.append((name, OWN_SCORE))
        else:
            chosen.append(f)
    return Candidates(chosen, excluded)


# --- reading values ---------------------------------------------------------------------


def _days_before(value: Any, prop_type: str | None, reference: datetime) -> float:
    try:
        if isinstance(value, datetime):
            moment = ensure_utc(value)
        elif isinstance(value, date):
            moment = datetime(value.year, value.month, value.day, tzinfo=reference.tzinfo)
        elif prop_type == "date":
            day = parse_date(value)
            moment = datetime(day.year, day.month, day.day, tzinfo=reference.tzinfo)
        else:
            moment = parse_datetime(value)
    except (ValueProblem, TypeError):
        return float("nan")
    return (reference - moment).total_seconds() / 86_400


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | Decimal):
        return float(value)
    try:
        return float(parse_number(value))
    except (ValueProblem, TypeError):
        return float("nan")


def _category(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text or None


def _convert(f: Field, value: Any, reference: datetime) -> Any:
    """A stored value as the column reads it: a float (NaN when missing) for numeric fields,
    text (None when missing) for categorical ones."""
    if value is None or value == "":
        return float("nan") if f.numeric else None
    if f.type == "number":
        return _number(value)
    if f.type in ("date", "datetime"):
        return _days_before(value, f.type, reference)
    return _category(value)


@dataclass
class RawValues:
    """Each column's values for some contacts (in ``ids`` order): floats for numeric columns,
    text or None for categorical ones."""

    ids: list[int]
    columns: dict[str, list[Any]]


def _stored(f: Field, row: Any) -> Any:
    if f.column is not None:
        return row.get(f.column)
    return (row["custom"] or {}).get(f.key)


def read_values(
    session: Session, fields: Sequence[Field], ids: Sequence[int], reference: datetime
) -> RawValues:
    """Every column of ``fields`` for the contacts ``ids`` as of ``reference``: current
    property values (dates as days before it) and behaviour counted before it."""
    reference = ensure_utc(reference)
    out: dict[str, list[Any]] = {}
    contact_fields = [f for f in fields if f.source == "contact"]
    company_fields = [f for f in fields if f.source == "company"]
    event_fields = {f.key: f for f in fields if f.source == "events"}
    engagement_fields = {f.key: f for f in fields if f.source == "engagements"}
    for f in fields:
        for name in f.columns():
            out[name] = []
    # Behaviour is counted by whole UTC days before the reference day.
    before_day = reference.date()
    for chunk in repo.chunks(list(ids)):
        position = {cid: i for i, cid in enumerate(chunk)}
        n = len(chunk)
        if contact_fields:
            found = {
                int(r["id"]): r
                for r in repo.contact_rows(
                    session, chunk, [f.column for f in contact_fields if f.column]
                )
            }
            for f in contact_fields:
                values: list[Any] = [
                    _convert(f, _stored(f, found[c]) if c in found else None, reference)
                    for c in chunk
                ]
                out[f.name].extend(values)
        if company_fields:
            companies = {
                int(r["contact_id"]): r
                for r in repo.primary_company_rows(
                    session, chunk, [f.column for f in company_fields if f.column]
                )
            }
            for f in company_fields:
                out[f.name].extend(
                    _convert(f, _stored(f, companies[c]) if c in companies else None, reference)
                    for c in chunk
                )
        if event_fields:
            counts = {name: np.zeros((n, len(WINDOWS) + 1)) for name in event_fields}
            for cid, kind, windowed, total in repo.event_counts(
                session, chunk, sorted(event_fields), before_day, WINDOWS
            ):
                counts[kind][position[cid]] = [*windowed, total]
            for kind, f in event_fields.items():
                for j, name in enumerate(f.columns()):
                    out[name].extend(float(v) for v in counts[kind][:, j])
        if engagement_fields:
            linked = {kind: [0.0] * n for kind in engagement_fields}
            for cid, kind, count in repo.engagement_counts(
                session, chunk, sorted(engagement_fields), reference
            ):
                linked[kind][position[cid]] = float(count)
            for kind, f in engagement_fields.items():
                out[f.name].extend(linked[kind])
    return RawValues(list(ids), out)


# --- learning the columns ---------------------------------------------------------------


def _kept_categories(values: Sequence[str | None]) -> tuple[str, ...]:
    counts = Counter(v for v in values if v is not None)
    floor = max(MIN_CATEGORY_ROWS, MIN_CATEGORY_SHARE * len(values))
    common = sorted((v for v, c in counts.items() if c >= floor), key=lambda v: (-counts[v], v))
    return tuple(common[:MAX_CATEGORIES])


def _numeric_state(values: Sequence[float]) -> str | None:
    """Why a numeric column cannot inform a model (None: it can)."""
    array = np.asarray(values, dtype=float)
    present = array[~np.isnan(array)]
    if present.size == 0:
        return NO_VALUES
    if present.size == array.size and np.all(present == present[0]):
        return CONSTANT
    return None


def fit_columns(candidates: Candidates, raw: RawValues) -> FeatureSpec:
    """Keep the fields whose values can tell rows apart, and learn each categorical
    column's categories."""
    fields: list[Field] = []
    columns: list[Column] = []
    excluded = list(candidates.excluded)
    for f in candidates.fields:
        names = f.columns()
        if f.numeric:
            states = [_numeric_state(raw.columns[name]) for name in names]
            if f.source in ("events", "engagements"):
                # Counts are never missing: a field with no event at all has nothing to say.
                total = sum(float(np.sum(raw.columns[name])) for name in names)
                if total == 0:
                    excluded.append((f.name, NO_VALUES))
                    continue
                fields.append(f)
                columns.extend(Column(name, f.name, NUMERIC) for name in names)
                continue
            if states[0] is not None:
                excluded.append((f.name, states[0]))
                continue
            fields.append(f)
            columns.append(Column(names[0], f.name, NUMERIC))
            continue
        values = raw.columns[names[0]]
        if all(v is None for v in values):
            excluded.append((f.name, NO_VALUES))
            continue
        kept = _kept_categories(values)
        levels = {v if v in kept else OTHER for v in values if v is not None}
        if any(v is None for v in values):
            levels.add(MISSING)
        if len(levels) < 2:
            excluded.append((f.name, CONSTANT))
            continue
        fields.append(f)
        columns.append(Column(names[0], f.name, CATEGORICAL, kept))
    return FeatureSpec(tuple(fields), tuple(columns), tuple(excluded))


def matrix(spec: FeatureSpec, raw: RawValues) -> NDArray[np.float64]:
    """The rows as numbers: numeric columns as they are (NaN when missing), categorical ones
    as the code of their category (kept ones in order, then (other), then (missing))."""
    out = np.empty((len(raw.ids), len(spec.columns)), dtype=float)
    for j, column in enumerate(spec.columns):
        values = raw.columns.get(column.name)
        if values is None:
            # A property gone since training: every row is missing it.
            out[:, j] = np.nan if column.kind == NUMERIC else len(column.categories) + 1
            continue
        if column.kind == NUMERIC:
            out[:, j] = np.asarray(values, dtype=float)
            continue
        codes = {c: i for i, c in enumerate(column.categories)}
        other, missing = len(column.categories), len(column.categories) + 1
        out[:, j] = [missing if v is None else codes.get(v, other) for v in values]
    return out


def usable_fields(session: Session, spec: FeatureSpec) -> list[Field]:
    """The spec's fields that still exist (a property archived since training reads as
    missing everywhere)."""
    known, _ = available_fields(session)
    return [f for f in spec.fields if f.name in known]


__all__ = [
    "CATEGORICAL",
    "MISSING",
    "NUMERIC",
    "OTHER",
    "OWN_PROPERTIES",
    "SCORE_PROPERTY",
    "TIER_PROPERTY",
    "Candidates",
    "Column",
    "FeatureSpec",
    "Field",
    "RawValues",
    "choose_fields",
    "fit_columns",
    "matrix",
    "parse_names",
    "read_values",
    "usable_fields",
]
