"""A score model's definition: its JSON grammar, checked into typed rules, and the arithmetic
that turns what each rule measured into points, a score and a label.

Rules measure; the model counts. The engine (``engine.py``) measures every rule for many
contacts at once in SQL: a property rule gives 1 when the contact meets its condition, a
behaviour rule the number of matching events (weighted by age under linear decay), a
component of a combined model the component's score. :func:`score` then applies points,
rule caps, group caps, the model's cap and its floor of 0, vectorised over those
measurements, so a full recompute, an incremental one, an explanation and a backtest all
count the same way.

Shapes (``docs/reference/scoring.md``)::

    {"name": "fit", "label": "Fit", "maxScore": 100,
     "groups": [{"name": "Title", "maxPoints": 30, "rules": [
         {"property": "jobtitle", "operator": "CONTAINS_TOKEN", "value": "vp", "points": 15},
         {"companyProperty": "numberofemployees", "operator": "GTE", "value": 50, "points": 10},
         {"event": "form_submitted", "where": [...], "points": 10, "maxPoints": 30,
          "inLastDays": 90}]}],
     "thresholds": [{"minScore": 60, "lifecycleStage": "marketingqualifiedlead"}],
     "labels": [{"label": "A", "minScore": 60}, {"label": "B", "minScore": 30}]}

    {"name": "grade", "kind": "combined", "components": [{"model": "fit", "weight": 1},
     {"model": "engagement", "weight": 1}], "grid": true, ...}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt

from revline.errors import ErrorDetail, ValidationError
from revline.segments.conditions import (
    ConditionParser,
    EventFilter,
    EventLeaf,
    PropertyLeaf,
)

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_GROUPS = 20
MAX_RULES = 100
MAX_POINTS = Decimal(100_000)
MAX_DAYS = 3_650
MAX_THRESHOLDS = 10
MAX_LABELS = 10
MAX_COMPONENTS = 5
SCORE_PROPERTY_PREFIX = "revline_score_"
KINDS = ("rules", "combined")

Vector = npt.NDArray[np.float64]
Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Rule:
    """One rule. Exactly one of ``condition`` (a property or company-property leaf, measured
    as 1 or 0), ``event`` (measured as the weighted number of matching events) and
    ``component`` (another model's score) is set."""

    key: str  # stable name, unique in the model ("Title.1" unless named)
    group: int
    path: str
    points: float
    max_points: float | None = None  # cap on the rule's total, in absolute value
    condition: PropertyLeaf | None = None
    event: EventLeaf | None = None
    decay_days: int | None = None
    component: str | None = None  # model name
    description: str = ""

    @property
    def kind(self) -> str:
        if self.condition is not None:
            return "companyProperty" if self.condition.company else "property"
        return "event" if self.event is not None else "component"


@dataclass(frozen=True)
class Group:
    name: str
    max_points: float | None


@dataclass(frozen=True)
class Threshold:
    min_score: float
    lifecycle_stage: str


@dataclass(frozen=True)
class Label:
    label: str
    min_score: float


@dataclass(frozen=True)
class Definition:
    kind: str
    groups: tuple[Group, ...]
    rules: tuple[Rule, ...]
    max_score: float | None
    thresholds: tuple[Threshold, ...]
    labels: tuple[Label, ...]  # highest minScore first
    grid: bool = False
    raw: dict[str, Any] | None = None

    @property
    def time_based(self) -> bool:
        """Whether the passing of days alone changes scores (windows and decay)."""
        return any(
            r.event is not None and (r.event.in_last_days is not None or r.decay_days is not None)
            for r in self.rules
        )

    def dependencies(self) -> dict[str, Any]:
        """What can change a contact's score under this model."""
        leaves = [r.condition for r in self.rules if r.condition is not None]
        company = sorted({leaf.filter.property_name for leaf in leaves if leaf.company})
        return {
            "properties": sorted(
                {leaf.filter.property_name for leaf in leaves if not leaf.company}
            ),
            "companyProperties": company,
            "events": sorted({r.event.event_type for r in self.rules if r.event is not None}),
            "models": sorted({r.component for r in self.rules if r.component is not None}),
            # A contact's primary company changes what every company rule reads.
            "associations": bool(company),
        }

    def labels_of(self, scores: Vector) -> list[str | None]:
        """:meth:`label_of` for many scores at once."""
        lowest_first = list(reversed(self.labels))
        mins = np.array([lab.min_score for lab in lowest_first], dtype=np.float64)
        at = np.searchsorted(mins, scores, side="right") - 1
        names = [lab.label for lab in lowest_first]
        return [names[k] if k >= 0 else None for k in at.tolist()]

    def label_of(self, score: float) -> str | None:
        for label in self.labels:
            if score >= label.min_score:
                return label.label
        return None


def grid_label(first: str | None, second: str | None) -> str | None:
    """A grid's label: its two components' labels joined (none when either has none)."""
    return first + second if first is not None and second is not None else None


def score_property(name: str) -> str:
    return f"{SCORE_PROPERTY_PREFIX}{name}"


def label_property(name: str) -> str:
    return f"{SCORE_PROPERTY_PREFIX}{name}_label"


# --- counting ---------------------------------------------------------------------------


def rule_points(definition: Definition, measured: Matrix) -> Matrix:
    """Points per contact (row) and rule (column): points x measurement, capped per rule."""
    if not definition.rules:
        return np.zeros_like(measured)
    points = np.array([r.points for r in definition.rules], dtype=np.float64)
    out = measured * points
    for j, rule in enumerate(definition.rules):
        if rule.max_points is not None:
            np.clip(out[:, j], -rule.max_points, rule.max_points, out=out[:, j])
    return out


def round_scores(raw: Vector) -> Vector:
    """Scores to two decimals, halves away from zero. Raw sums are first rounded to six
    decimals, so that the same arithmetic done in another order (SQL's sums, numpy's) cannot
    land on different sides of a half."""
    settled = np.round(np.abs(raw) * 100.0, 6)
    rounded: Vector = (np.sign(raw) * np.floor(settled + 0.5) / 100.0).astype(np.float64)
    return rounded


def score(definition: Definition, measured: Matrix) -> Vector:
    """Every contact's score: rule points summed per group (each group capped), the groups
    summed, capped by the model, never below 0, rounded to two decimals (the same arithmetic
    as ``engine.total_expression``)."""
    per_rule = rule_points(definition, measured)
    total = np.zeros(measured.shape[0], dtype=np.float64)
    for g, group in enumerate(definition.groups):
        columns = [j for j, r in enumerate(definition.rules) if r.group == g]
        if not columns:
            continue
        summed = per_rule[:, columns].sum(axis=1)
        if group.max_points is not None:
            summed = np.minimum(summed, group.max_points)
        total += summed
    if definition.max_score is not None:
        total = np.minimum(total, definition.max_score)
    return round_scores(np.maximum(total, 0.0))


# --- parsing ----------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.items: list[ErrorDetail] = []

    def add(self, path: str, code: str, message: str) -> None:
        self.items.append(ErrorDetail(f"{path}: {message}", code, {"field": [path]}))


def _number(
    raw: dict[str, Any],
    key: str,
    path: str,
    problems: _Problems,
    *,
    low: Decimal,
    allow_zero: bool = True,
) -> float | None:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.add(f"{path}.{key}", "INVALID_NUMBER", "must be a number")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        problems.add(f"{path}.{key}", "INVALID_NUMBER", f"'{value}' is not a number")
        return None
    if not number.is_finite() or not low <= number <= MAX_POINTS or number != round(number, 2):
        problems.add(
            f"{path}.{key}",
            "INVALID_NUMBER",
            f"must be a number from {low} to {MAX_POINTS} with at most two decimals",
        )
        return None
    if not allow_zero and number == 0:
        problems.add(f"{path}.{key}", "INVALID_NUMBER", "must not be 0")
        return None
    return float(number)


def _days(raw: dict[str, Any], key: str, path: str, problems: _Problems) -> int | None:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        problems.add(f"{path}.{key}", "INVALID_WINDOW", f"must be whole days, 1 to {MAX_DAYS}")
        return None
    return value


def _text(raw: dict[str, Any], key: str, path: str, problems: _Problems, limit: int) -> str:
    value = raw.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        problems.add(f"{path}.{key}", "INVALID_TEXT", f"must be text of at most {limit} characters")
        return ""
    return value.strip()


_RULE_COMMON = {"name", "description", "points", "maxPoints"}
_PROPERTY_KEYS = {"operator", "value", "highValue", "values"}
_EVENT_KEYS = {"event", "where", "inLastDays", "decayDays"}


class _Parser:
    def __init__(self) -> None:
        self.problems = _Problems()
        self.conditions = ConditionParser()
        self.keys: set[str] = set()

    def rule(self, raw: Any, path: str, group: int, group_name: str, index: int) -> Rule | None:
        if not isinstance(raw, dict) or not raw:
            self.problems.add(path, "INVALID_RULE", "must be a non-empty object")
            return None
        kinds = [k for k in ("property", "companyProperty", "event") if k in raw]
        if len(kinds) != 1:
            self.problems.add(
                path,
                "INVALID_RULE",
                "must hold exactly one of property, companyProperty, event",
            )
            return None
        kind = kinds[0]
        allowed = _RULE_COMMON | ({kind} | _PROPERTY_KEYS if kind != "event" else _EVENT_KEYS)
        extra = sorted(set(raw) - allowed)
        if extra:
            self.problems.add(path, "UNKNOWN_FIELD", f"unexpected field(s) {', '.join(extra)}")
            return None
        key = _text(raw, "name", path, self.problems, 100) or f"{group_name}.{index + 1}"
        if key in self.keys:
            self.problems.add(f"{path}.name", "DUPLICATE_RULE", f"rule name '{key}' is used twice")
        self.keys.add(key)
        description = _text(raw, "description", path, self.problems, 500)
        if "points" not in raw:
            self.problems.add(f"{path}.points", "MISSING_POINTS", "points are required")
            return None
        points = _number(raw, "points", path, self.problems, low=-MAX_POINTS, allow_zero=False)
        cap = None
        if "maxPoints" in raw:
            cap = _number(raw, "maxPoints", path, self.problems, low=Decimal(0))
        if points is None or ("maxPoints" in raw and cap is None):
            return None
        if kind != "event":
            body = {k: v for k, v in raw.items() if k in _PROPERTY_KEYS | {kind}}
            before = len(self.conditions.problems)
            leaf = self.conditions.property_leaf(body, path, kind)
            self._take_condition_problems(before)
            if leaf is None:
                return None
            return Rule(key, group, path, points, cap, condition=leaf, description=description)
        return self._event_rule(raw, path, group, key, points, cap, description)

    def _take_condition_problems(self, before: int) -> None:
        for p in self.conditions.problems[before:]:
            self.problems.items.append(p)
        del self.conditions.problems[before:]

    def _event_rule(
        self,
        raw: dict[str, Any],
        path: str,
        group: int,
        key: str,
        points: float,
        cap: float | None,
        description: str,
    ) -> Rule | None:
        name = raw["event"]
        if not isinstance(name, str) or not name.strip():
            self.problems.add(f"{path}.event", "INVALID_EVENT_TYPE", "must be an event type name")
            return None
        if "inLastDays" in raw and "decayDays" in raw:
            self.problems.add(
                f"{path}.decayDays",
                "INVALID_WINDOW",
                "give inLastDays (a window) or decayDays (linear decay), not both",
            )
            return None
        in_last = decay = None
        if "inLastDays" in raw:
            in_last = _days(raw, "inLastDays", path, self.problems)
            if in_last is None:
                return None
        if "decayDays" in raw:
            decay = _days(raw, "decayDays", path, self.problems)
            if decay is None:
                return None
        where: list[EventFilter] = []
        raw_where = raw.get("where", [])
        if not isinstance(raw_where, list) or len(raw_where) > 10:
            self.problems.add(f"{path}.where", "INVALID_FILTER", "must be a list of at most 10")
            return None
        before = len(self.conditions.problems)
        for i, item in enumerate(raw_where):
            parsed = self.conditions.event_filter(item, f"{path}.where[{i}]")
            if parsed is not None:
                where.append(parsed)
        if len(self.conditions.problems) > before:
            self._take_condition_problems(before)
            return None
        # Decay reads the same days a window of that length would.
        leaf = EventLeaf(path, name.strip(), tuple(where), 1, None, in_last or decay, None)
        return Rule(
            key, group, path, points, cap, event=leaf, decay_days=decay, description=description
        )

    def component(self, raw: Any, path: str, index: int) -> Rule | None:
        if not isinstance(raw, dict):
            self.problems.add(path, "INVALID_COMPONENT", "must be an object")
            return None
        extra = sorted(set(raw) - {"model", "weight"})
        if extra:
            self.problems.add(path, "UNKNOWN_FIELD", f"unexpected field(s) {', '.join(extra)}")
            return None
        name = raw.get("model")
        if not isinstance(name, str) or not NAME.match(name):
            self.problems.add(f"{path}.model", "INVALID_MODEL", "must be a score model's name")
            return None
        if name in self.keys:
            self.problems.add(f"{path}.model", "DUPLICATE_COMPONENT", f"'{name}' appears twice")
            return None
        self.keys.add(name)
        weight = 1.0
        if "weight" in raw:
            found = _number(raw, "weight", path, self.problems, low=Decimal(0), allow_zero=False)
            if found is None:
                return None
            weight = found
        return Rule(name, 0, path, weight, component=name)

    def thresholds(self, raw: Any) -> tuple[Threshold, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list) or len(raw) > MAX_THRESHOLDS:
            self.problems.add(
                "thresholds", "INVALID_THRESHOLDS", f"must be a list of at most {MAX_THRESHOLDS}"
            )
            return ()
        out = []
        for i, item in enumerate(raw):
            path = f"thresholds[{i}]"
            if not isinstance(item, dict) or set(item) != {"minScore", "lifecycleStage"}:
                self.problems.add(
                    path, "INVALID_THRESHOLD", 'must be {"minScore": n, "lifecycleStage": "..."}'
                )
                continue
            low = _number(item, "minScore", path, self.problems, low=Decimal(0))
            stage = item["lifecycleStage"]
            if not isinstance(stage, str) or not stage.strip():
                self.problems.add(
                    f"{path}.lifecycleStage", "INVALID_STAGE", "must be a lifecycle stage"
                )
                continue
            if low is not None:
                out.append(Threshold(low, stage.strip()))
        return tuple(sorted(out, key=lambda t: t.min_score))

    def labels(self, raw: Any) -> tuple[Label, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list) or len(raw) > MAX_LABELS:
            self.problems.add("labels", "INVALID_LABELS", f"must be a list of at most {MAX_LABELS}")
            return ()
        out = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            path = f"labels[{i}]"
            if not isinstance(item, dict) or set(item) != {"label", "minScore"}:
                self.problems.add(path, "INVALID_LABEL", 'must be {"label": "A", "minScore": n}')
                continue
            text = item["label"]
            if not isinstance(text, str) or not text.strip() or len(text.strip()) > 16:
                self.problems.add(f"{path}.label", "INVALID_LABEL", "must be 1 to 16 characters")
                continue
            if text.strip() in seen:
                self.problems.add(f"{path}.label", "DUPLICATE_LABEL", f"'{text}' is used twice")
                continue
            seen.add(text.strip())
            low = _number(item, "minScore", path, self.problems, low=Decimal(0))
            if low is not None:
                out.append(Label(text.strip(), low))
        mins = [label.min_score for label in out]
        if len(set(mins)) != len(mins):
            self.problems.add("labels", "INVALID_LABELS", "two labels share a minScore")
        return tuple(sorted(out, key=lambda lab: -lab.min_score))


def parse_definition(raw: dict[str, Any]) -> Definition:
    """Check a model's groups, rules, caps, thresholds and labels (or its components); raise
    one 400 naming every problem's path. What needs the database (do the properties, event
    types, stages and component models exist) is checked by the service."""
    parser = _Parser()
    problems = parser.problems
    kind = raw.get("kind", "rules")
    if kind not in KINDS:
        problems.add("kind", "INVALID_KIND", f"must be one of {', '.join(KINDS)}")
        invalid(problems.items)
    max_score = None
    if raw.get("maxScore") is not None:
        max_score = _number(raw, "maxScore", "model", problems, low=Decimal(0), allow_zero=False)
    groups: list[Group] = []
    rules: list[Rule] = []
    grid = False
    if kind == "rules":
        if "components" in raw or "grid" in raw:
            problems.add(
                "components", "UNKNOWN_FIELD", "components and grid belong to combined models"
            )
        raw_groups = raw.get("groups")
        if not isinstance(raw_groups, list) or not 1 <= len(raw_groups) <= MAX_GROUPS:
            problems.add("groups", "INVALID_GROUPS", f"must be a list of 1 to {MAX_GROUPS} groups")
            invalid(problems.items)
        assert isinstance(raw_groups, list)
        for g, raw_group in enumerate(raw_groups):
            path = f"groups[{g}]"
            if not isinstance(raw_group, dict):
                problems.add(path, "INVALID_GROUP", "must be an object")
                continue
            extra = sorted(set(raw_group) - {"name", "maxPoints", "rules"})
            if extra:
                problems.add(path, "UNKNOWN_FIELD", f"unexpected field(s) {', '.join(extra)}")
            name = _text(raw_group, "name", path, problems, 100) or f"Group {g + 1}"
            cap = None
            if raw_group.get("maxPoints") is not None:
                cap = _number(raw_group, "maxPoints", path, problems, low=Decimal(0))
            groups.append(Group(name, cap))
            raw_rules = raw_group.get("rules")
            if not isinstance(raw_rules, list) or not raw_rules:
                problems.add(f"{path}.rules", "INVALID_RULES", "must be a non-empty list")
                continue
            for i, raw_rule in enumerate(raw_rules):
                rule = parser.rule(raw_rule, f"{path}.rules[{i}]", g, name, i)
                if rule is not None:
                    rules.append(rule)
        if len(rules) > MAX_RULES:
            problems.add("groups", "TOO_MANY_RULES", f"a model may hold at most {MAX_RULES} rules")
    else:
        if "groups" in raw:
            problems.add("groups", "UNKNOWN_FIELD", "a combined model has components, not groups")
        raw_components = raw.get("components")
        if not isinstance(raw_components, list) or not 1 <= len(raw_components) <= MAX_COMPONENTS:
            problems.add(
                "components", "INVALID_COMPONENTS", f"must be a list of 1 to {MAX_COMPONENTS}"
            )
            invalid(problems.items)
        assert isinstance(raw_components, list)
        groups.append(Group("Components", None))
        for i, item in enumerate(raw_components):
            rule = parser.component(item, f"components[{i}]", i)
            if rule is not None:
                rules.append(rule)
        grid = raw.get("grid", False)
        if not isinstance(grid, bool):
            problems.add("grid", "INVALID_GRID", "must be true or false")
            grid = False
        if grid and len(rules) != 2:
            problems.add("grid", "INVALID_GRID", "a grid combines exactly two components")
    thresholds = parser.thresholds(raw.get("thresholds"))
    labels = parser.labels(raw.get("labels"))
    if grid and labels:
        problems.add("labels", "INVALID_LABELS", "a grid's labels come from its two components")
    if problems.items:
        invalid(problems.items)
    return Definition(
        kind, tuple(groups), tuple(rules), max_score, thresholds, labels, grid, raw=raw
    )


def invalid(problems: list[ErrorDetail]) -> NoReturn:
    raise ValidationError(
        "Invalid score model: " + "; ".join(p.message for p in problems), errors=problems
    )
