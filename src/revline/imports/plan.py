"""Reading and checking an import file before anything is written: every row becomes either
a planned record (a deal with its stage timeline, or a contact, and their property values) or
a reported problem.

Nothing here touches the database, so ``--dry-run`` and the load see the same verdicts."""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from revline.crm.properties.values import ValueProblem, parse_value
from revline.imports.mapping import (
    FROM_DATA,
    ColumnSpec,
    ContactMapping,
    LifecycleMapping,
    Mapping,
    PropertySpec,
    fields_of,
    mapping_error,
)

REJECTED = "rejected"
WARNING = "warning"

Row = dict[str, str]


@dataclass(frozen=True)
class Problem:
    """One row that was not loaded (``rejected``) or loaded with a caveat (``warning``)."""

    line: int  # line of the file, the header being line 1
    source_id: str
    field: str
    code: str
    reason: str
    level: str = REJECTED


@dataclass
class Step:
    """The deal entering ``stage`` at ``at`` with ``properties`` (the first step creates it)."""

    stage: str
    at: datetime
    properties: dict[str, str]


@dataclass
class PlannedDeal:
    line: int
    key: str
    stage: str
    steps: list[Step]
    # Values sent whatever the stage (the first step carries them).
    properties: dict[str, str]
    owner_email: str | None
    company_key: str | None


@dataclass
class PlannedOwner:
    email: str
    first_name: str
    last_name: str
    role: str
    team: str | None


@dataclass
class PlannedCompany:
    key: str
    properties: dict[str, str]
    first_at: datetime | None = None  # first step of its deals: when the company is created


@dataclass
class ImportPlan:
    mapping: Mapping
    file_name: str
    rows: int
    deals: list[PlannedDeal] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    owners: dict[str, PlannedOwner] = field(default_factory=dict)
    companies: dict[str, PlannedCompany] = field(default_factory=dict)

    @property
    def rejected(self) -> list[Problem]:
        return [p for p in self.problems if p.level == REJECTED]

    def rejected_by_code(self) -> Counter[str]:
        return Counter(p.code for p in self.rejected)


def _read_csv(path: Path, what: str) -> tuple[list[str], list[Row]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = [{k: (v or "").strip() for k, v in r.items() if k is not None} for r in reader]
            header = list(reader.fieldnames or [])
    except OSError as exc:
        raise mapping_error(f"cannot read {what} {path}: {exc.strerror}", what) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise mapping_error(f"{what} {path} is not a UTF-8 CSV file: {exc}", what) from None
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        # The reader keeps one value per name: the other column would vanish unnoticed.
        raise mapping_error(f"{what} {path} has the column '{twice[0]}' more than once", what)
    return header, rows


def _check_column(header: list[str], column: str, key: str, file_name: str) -> None:
    if column not in header:
        raise mapping_error(
            f"{key} names column '{column}', which {file_name} does not have "
            f"(it has: {', '.join(header)})",
            key,
        )


def owner_email(name: str, domain: str) -> str:
    """first.last@domain from a person's name: accents dropped, letters and digits kept,
    every word after the first joined into the last name part."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = ["".join(c for c in w.lower() if c.isalnum()) for w in ascii_name.split()]
    words = [w for w in words if w]
    local = words[0] + ("." + "".join(words[1:]) if len(words) > 1 else "")
    return f"{local}@{domain.lower()}"


class _Context:
    """A row with its aliases applied and its lookup rows joined, for templates."""

    def __init__(self, mapping: Mapping, row: Row, joined: dict[str, Row]) -> None:
        self.mapping = mapping
        self.row = row
        self.joined = joined

    def get(self, name: str) -> str:
        if "." in name:
            lookup, column = name.split(".", 1)
            value = self.joined.get(lookup, {}).get(column, "")
        else:
            value = self.row.get(name, "")
        return self.mapping.aliases.get(name, {}).get(value, value)

    def render(self, templates: list[str]) -> str:
        for template in templates:
            names = fields_of(template)
            if all(self.get(n) for n in names):
                out = template
                for n in names:
                    out = out.replace("{" + n + "}", self.get(n))
                return out.strip()
        return ""


def _value(spec: PropertySpec, ctx: _Context) -> str:
    if spec.value is not None:
        return spec.value
    if spec.column is not None:
        return ctx.get(spec.column)
    return ctx.render(spec.templates)


def _scaled(spec: PropertySpec, text: str) -> str:
    if spec.scale is None or text == "":
        return text
    return format(Decimal(text) * spec.scale, "f")


def _parse_date(text: str) -> datetime:
    """A date (midnight UTC) or an ISO date-time (UTC when it names no zone)."""
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class _Planner:
    def __init__(self, mapping: Mapping, path: Path, now: datetime) -> None:
        self.m = mapping
        self.path = path
        self.now = now
        self.header, self.rows = _read_csv(path, "file")
        self.lookups: dict[str, dict[str, Row]] = {}
        self.lookup_headers: dict[str, list[str]] = {}
        for name, lookup in mapping.lookups.items():
            lpath = path.parent / lookup.file
            header, rows = _read_csv(lpath, f"lookups.{name}.file")
            _check_column(header, lookup.key, f"lookups.{name}.key", lookup.file)
            _check_column(self.header, lookup.column, f"lookups.{name}.column", path.name)
            # Aliases of the lookup's own columns apply to its values (e.g. a typo'd sector).
            self.lookups[name] = {r[lookup.key]: r for r in rows}
            self.lookup_headers[name] = header
        self._check_columns()
        self.plan = ImportPlan(mapping, path.name, len(self.rows))
        self.seen: dict[str, int] = {}

    def _check_field(self, name: str, key: str) -> None:
        if "." in name:
            lookup, column = name.split(".", 1)
            if lookup not in self.lookups:
                raise mapping_error(f"{key} names lookup '{lookup}', which is not declared", key)
            _check_column(self.lookup_headers[lookup], column, key, self.m.lookups[lookup].file)
        else:
            _check_column(self.header, name, key, self.path.name)

    def _check_specs(self, specs: dict[str, PropertySpec], where: str) -> None:
        for name, spec in specs.items():
            key = f"{where}.{name}"
            if spec.column is not None:
                self._check_field(spec.column, f"{key}.column")
            for template in spec.templates:
                for f in fields_of(template):
                    self._check_field(f, f"{key}.template")

    def _check_columns(self) -> None:
        m = self.m
        self._check_field(m.stage.column, "stage.column")
        self._check_field(m.deals.key_column, "deals.key_column")
        for stage, column in m.stage.dates.items():
            self._check_field(column, f"stage.dates.{stage}")
        self._check_specs(m.deals.properties, "deals.properties")
        if m.owners is not None:
            self._check_field(m.owners.column, "owners.column")
            for key in ("team", "manager"):
                template = getattr(m.owners, key)
                for f in fields_of(template or ""):
                    self._check_field(f, f"owners.{key}")
        if m.companies is not None:
            self._check_field(m.companies.column, "companies.column")
            self._check_specs(m.companies.properties, "companies.properties")
        for name in m.aliases:
            self._check_field(name, f"aliases.{name}")

    def problem(
        self, line: int, key: str, fld: str, code: str, reason: str, level: str = REJECTED
    ) -> None:
        self.plan.problems.append(Problem(line, key, fld, code, reason, level))

    def run(self) -> ImportPlan:
        for index, row in enumerate(self.rows):
            self._row(index + 2, row)
        return self.plan

    def _join(self, line: int, key: str, ctx: _Context) -> bool:
        for name, lookup in self.m.lookups.items():
            value = ctx.get(lookup.column)
            if value == "":
                continue
            found = self.lookups[name].get(value)
            if found is None:
                if lookup.required:
                    raw = ctx.row.get(lookup.column, "")
                    shown = raw if raw == value else f"{raw}' (read as '{value}"
                    self.problem(
                        line,
                        key,
                        lookup.column,
                        "UNKNOWN_VALUE",
                        f"{lookup.column} '{shown}' is not in {lookup.file}",
                    )
                    return False
                continue
            ctx.joined[name] = found
        return True

    def _row(self, line: int, row: Row) -> None:
        m = self.m
        ctx = _Context(m, row, {})
        key = row.get(m.deals.key_column, "")
        if key == "":
            self.problem(line, "", m.deals.key_column, "MISSING_KEY", "no source id")
            return
        if key in self.seen:
            self.problem(
                line,
                key,
                m.deals.key_column,
                "DUPLICATE_KEY",
                f"source id already used on line {self.seen[key]}",
            )
            return
        self.seen[key] = line
        raw_stage = ctx.get(m.stage.column)
        stage = m.stage.values.get(raw_stage)
        if stage is None:
            self.problem(
                line,
                key,
                m.stage.column,
                "UNKNOWN_STAGE",
                f"stage value '{raw_stage}' is not mapped",
            )
            return
        if not self._join(line, key, ctx):
            return
        steps = self._steps(line, key, ctx, stage)
        if steps is None:
            return
        props: dict[str, str] = {}
        for name, spec in m.deals.properties.items():
            text = _value(spec, ctx)
            if spec.scale is not None and text:
                try:
                    text = _scaled(spec, text)
                except InvalidOperation:
                    self.problem(
                        line,
                        key,
                        spec.column or name,
                        "INVALID_NUMBER",
                        f"'{text}' is not a number",
                    )
                    return
            if spec.stages is None:
                if text:
                    props[name] = text
                continue
            for step in steps:
                if step.stage in spec.stages and text:
                    step.properties[name] = text
        company = self._company(line, key, ctx)
        if company is False:
            return
        owner = self._owner(line, key, ctx)
        company_key = company if isinstance(company, str) else None
        deal = PlannedDeal(line, key, stage, steps, props, owner, company_key)
        if deal.company_key is not None:
            planned = self.plan.companies[deal.company_key]
            if planned.first_at is None or steps[0].at < planned.first_at:
                planned.first_at = steps[0].at
        self.plan.deals.append(deal)

    def _steps(self, line: int, key: str, ctx: _Context, stage: str) -> list[Step] | None:
        """The stages the deal went through, from the date columns: every stage up to its
        current one that has a date column with a value; stages without one are skipped."""
        order = self.m.stage_order()
        steps: list[Step] = []
        dated = self.m.stage.dates
        current = self.m.pipeline.stages[order.index(stage)]
        # A closed deal went through the open stages only: the other closed stages are not
        # on its way (a won deal was never lost).
        path = [
            s.id
            for s in self.m.pipeline.stages[: order.index(stage) + 1]
            if not s.closed or s.id == stage
        ]
        for stage_id in path:
            column = dated.get(stage_id)
            if column is None:
                continue
            text = ctx.get(column)
            if text == "":
                if stage_id == stage:
                    self.problem(
                        line,
                        key,
                        column,
                        "MISSING_DATE",
                        f"{column} is empty but needed for stage {current.label}",
                    )
                    return None
                continue
            try:
                at = _parse_date(text)
            except ValueError:
                self.problem(line, key, column, "INVALID_DATE", f"'{text}' is not a date")
                return None
            if steps and at < steps[-1].at:
                self.problem(
                    line,
                    key,
                    column,
                    "DATES_OUT_OF_ORDER",
                    f"{column} {text} is before the date of an earlier stage",
                )
                return None
            steps.append(Step(stage_id, at, {}))
        if not steps or steps[-1].stage != stage:
            # No date for the current stage (e.g. a prospect): created in it, at the
            # mapping's undated time.
            undated = self.m.stage.undated
            at = (
                self.now
                if undated == "import"
                else datetime.combine(undated, datetime.min.time(), tzinfo=UTC)
            )
            if steps and at < steps[-1].at:
                at = steps[-1].at
            steps.append(Step(stage, at, {}))
        return steps

    def _company(self, line: int, key: str, ctx: _Context) -> str | bool | None:
        """The company's key; None for none; False when the row is rejected."""
        spec = self.m.companies
        if spec is None:
            return None
        name = ctx.get(spec.column)
        if name == "":
            level = REJECTED if spec.missing == "reject" else WARNING
            reason = "no company" + ("" if level == REJECTED else "; loaded without one")
            self.problem(line, key, spec.column, "MISSING_COMPANY", reason, level)
            return False if level == REJECTED else None
        if name not in self.plan.companies:
            props = {}
            for prop, pspec in spec.properties.items():
                text = _value(pspec, ctx)
                try:
                    text = _scaled(pspec, text)
                except InvalidOperation:
                    text = ""
                if text:
                    props[prop] = text
            self.plan.companies[name] = PlannedCompany(name, props)
        return name

    def _owner(self, line: int, key: str, ctx: _Context) -> str | None:
        spec = self.m.owners
        if spec is None:
            return None
        name = ctx.get(spec.column)
        if name == "" or not any(c.isalnum() for c in name):
            self.problem(
                line, key, spec.column, "MISSING_OWNER", "no owner; loaded without one", WARNING
            )
            return None
        email = owner_email(name, spec.email_domain)
        team = ctx.render([spec.team]) if spec.team else ""
        if email not in self.plan.owners:
            first, _, last = name.partition(" ")
            self.plan.owners[email] = PlannedOwner(email, first, last, "sales_rep", team or None)
        manager = ctx.render([spec.manager]) if spec.manager else ""
        if manager and any(c.isalnum() for c in manager):
            memail = owner_email(manager, spec.email_domain)
            if memail not in self.plan.owners:
                first, _, last = manager.partition(" ")
                self.plan.owners[memail] = PlannedOwner(
                    memail, first, last, "sales_manager", team or None
                )
        return email


def plan_import(mapping: Mapping, path: Path, *, now: datetime) -> ImportPlan:
    """Read ``path`` (and the mapping's lookup files, beside it) and decide, row by row,
    what the import will write and which rows it refuses and why. ``now`` is the import's
    time (when undated deals are created)."""
    return _Planner(mapping, path, now).run()


# --- contacts ---------------------------------------------------------------------------------

# The field type of a property the import creates, by type.
FIELD_TYPES = {
    "string": "text",
    "number": "number",
    "enumeration": "select",
    "bool": "booleancheckbox",
    "date": "date",
    "datetime": "date",
}


@dataclass
class PlannedProperty:
    """A mapped column's property: created from ``spec`` when missing; ``options`` are the
    enumeration's (from the mapping, or the distinct values of the file with from-data)."""

    column: str
    name: str
    spec: ColumnSpec
    key: bool
    options: list[dict[str, Any]] | None = None


@dataclass
class PlannedContact:
    line: int
    key: str
    properties: dict[str, str]


@dataclass
class ContactPlan:
    mapping: ContactMapping
    file_name: str
    rows: int
    contacts: list[PlannedContact] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    properties: list[PlannedProperty] = field(default_factory=list)

    @property
    def rejected(self) -> list[Problem]:
        return [p for p in self.problems if p.level == REJECTED]

    @property
    def rejected_rows(self) -> int:
        """Rows not loaded (a row can have a problem in several columns)."""
        return len({p.line for p in self.rejected})

    def column_of(self, name: str) -> str:
        """The column (or mapping key) that fills property ``name``; "" when none does."""
        for prop in self.properties:
            if prop.name == name:
                return prop.column
        if name == "lifecyclestage" and self.mapping.lifecycle_stage is not None:
            stage = self.mapping.lifecycle_stage
            return stage.column if isinstance(stage, LifecycleMapping) else "lifecycle_stage"
        return ""


class _ContactPlanner:
    def __init__(self, mapping: ContactMapping, path: Path) -> None:
        self.m = mapping
        self.header, self.rows = _read_csv(path, "file")
        self._check_columns(path.name)
        self.plan = ContactPlan(mapping, path.name, len(self.rows))
        self.missing = set(mapping.missing)
        self.maps = {column: mapping.value_map(column) for column in mapping.columns}
        self.seen: dict[str, int] = {}
        self.email_key = mapping.key_property == "email"
        # Enumerations with listed options: their values are checked here, before writing.
        self.allowed: dict[str, set[str]] = {}
        self.distinct: dict[str, set[str]] = {}
        self.valid: dict[str, set[str]] = {column: set() for column in mapping.columns}
        for column, spec in mapping.columns.items():
            rows = spec.option_rows()
            if rows is not None:
                self.allowed[column] = {str(o["value"]) for o in rows}
            elif spec.options == FROM_DATA:
                self.distinct[column] = set()
            self.plan.properties.append(
                PlannedProperty(column, spec.property, spec, column == mapping.key_column, rows)
            )

    def _check_columns(self, file_name: str) -> None:
        m = self.m
        for column in m.columns:
            _check_column(self.header, column, f"columns.{column}", file_name)
        for i, column in enumerate(m.ignore):
            _check_column(self.header, column, f"ignore[{i}]", file_name)
        used = {*m.columns, *m.ignore}
        if isinstance(m.lifecycle_stage, LifecycleMapping):
            _check_column(
                self.header, m.lifecycle_stage.column, "lifecycle_stage.column", file_name
            )
            used.add(m.lifecycle_stage.column)
        unused = [c for c in self.header if c not in used]
        if unused:
            # A column nobody decided about is more often a mistake than an intent.
            raise mapping_error(
                f"columns: {file_name} has columns the mapping neither maps nor ignores: "
                f"{', '.join(unused)} (list them under ignore to leave them out)",
                "columns",
            )

    def problem(self, line: int, key: str, fld: str, code: str, reason: str) -> None:
        self.plan.problems.append(Problem(line, key, fld, code, reason))

    def cell(self, column: str, row: Row) -> str:
        """A cell as the import reads it: the column's value map first, then the values
        meaning "missing"; "" is no value."""
        text = row.get(column, "")
        values = self.maps.get(column, {})
        if text in values:
            return values[text] or ""
        return "" if text in self.missing else text

    def run(self) -> ContactPlan:
        for index, row in enumerate(self.rows):
            self._row(index + 2, row)
        for prop in self.plan.properties:
            if prop.column in self.distinct:
                prop.options = [
                    {"value": v, "label": v} for v in sorted(self.distinct[prop.column])
                ]
        return self.plan

    def _row(self, line: int, row: Row) -> None:
        m = self.m
        values = {column: self.cell(column, row) for column in m.columns}
        for column, found in self.distinct.items():
            if values[column]:
                found.add(values[column])
        key = values[m.key_column]
        if self.email_key:
            key = key.lower()
            values[m.key_column] = key
        if key == "":
            self.problem(line, "", m.key_column, "MISSING_KEY", f"{m.key_column} is empty")
            return
        if key in self.seen:
            self.problem(
                line,
                key,
                m.key_column,
                "DUPLICATE_KEY",
                f"{m.key_column} '{key}' already used on line {self.seen[key]}",
            )
            return
        self.seen[key] = line
        props: dict[str, str] = {}
        rejected = False
        for column, spec in m.columns.items():
            text = values[column]
            if text == "":
                continue
            if spec.type is not None and text not in self.valid[column]:
                try:
                    parse_value(text, spec.type, self.allowed.get(column), FIELD_TYPES[spec.type])
                except ValueProblem as problem:
                    self.problem(line, key, column, problem.code, problem.message)
                    rejected = True
                    continue
                # Columns repeat their values (Yes, No, ...): each is checked once.
                self.valid[column].add(text)
            props[spec.property] = text
        stage = self._stage(line, key, row)
        if stage is False or rejected:
            return
        if isinstance(stage, str):
            props["lifecyclestage"] = stage
        self.plan.contacts.append(PlannedContact(line, key, props))

    def _stage(self, line: int, key: str, row: Row) -> str | bool | None:
        """The row's lifecycle stage; None for none; False when the row is rejected."""
        spec = self.m.lifecycle_stage
        if spec is None or isinstance(spec, str):
            return spec
        text = row.get(spec.column, "")
        if text in spec.values:
            return spec.values[text] or None
        if text == "" or text in self.missing:
            return None
        self.problem(
            line,
            key,
            spec.column,
            "UNKNOWN_STAGE",
            f"lifecycle stage value '{text}' is not mapped",
        )
        return False


def plan_contact_import(mapping: ContactMapping, path: Path) -> ContactPlan:
    """Read ``path`` and decide, row by row, which contacts the import will write with which
    values, and which rows it refuses and why (every bad cell of a row is reported). Checks
    that the file's columns and the mapping's agree first."""
    return _ContactPlanner(mapping, path).run()
