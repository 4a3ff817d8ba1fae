"""Test-driving score models: score the population of a past reference date as it stood at
the start of that day, and measure how well the scores foretold who converted afterwards.

The population and its labels come from ``outcomes`` (live contacts created at or before the
reference date's midnight UTC that had not yet reached the outcome; converted = reached it
within the outcome's window). Each rule is measured with ``engine.statement(until=R)``:
behaviour counts only events of days before R, windows and decay end on R - 1. Property
rules read contacts' (and companies') CURRENT values; there is no as-of reconstruction of
properties, so a backtest counts the population contacts whose read properties changed after
R and warns about them.

Metrics (``docs/reference/scoring-backtest.md`` defines each one and its tie rule): the
score distribution, threshold and label conversion, conversion per score decile, ROC AUC,
lift in the top decile, and the misses. :func:`backtest` answers the API and the CLI; the
pure functions (:func:`roc_auc`, :func:`deciles_of`, :func:`mid_percentile_rank`) serve other
callers (``backtest_points``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from revline.crm.object_types import CONTACTS
from revline.crm.records import repository as records_repo
from revline.errors import ErrorDetail, NotFound, ValidationError
from revline.kit.time import utcnow
from revline.scoring import backtest_repository as repo
from revline.scoring import engine, service
from revline.scoring.outcomes import (
    PROPERTY,
    Outcome,
    check_outcome,
    labelled_population,
    parse_outcome,
    population_statement,
)
from revline.scoring.rules import (
    Definition,
    Matrix,
    Vector,
    grid_label,
    invalid,
    rule_points,
    score,
)

DEFAULT_MISSES = 25
# Suggested points (``backtest_points``): the held-out share and the split's seed.
DEFAULT_TEST_SHARE = 0.3
MIN_TEST_SHARE = 0.1
MAX_TEST_SHARE = 0.5
DEFAULT_SEED = 42
MAX_SEED = 2**32 - 1
MAX_MISSES = 500
DECILES = 10
BUCKETS = 10
# Up to this many population contacts are named to the measuring statement; above it every
# live contact is measured and the population kept in memory (one pass either way, and no
# statement with hundreds of thousands of parameters).
ID_LIST_LIMIT = 5_000
EARLIEST = date(1970, 1, 1)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BACKTEST_FIELDS = ("model", "compareWith", "outcome", "referenceDate", "missesLimit")
_REQUIRED = ("model", "outcome")

Flags = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


def bad(field_name: str, code: str, message: str) -> ValidationError:
    """A 400 naming one field of the request."""
    return ValidationError(
        f"{field_name}: {message}",
        errors=[ErrorDetail(f"{field_name}: {message}", code, {"field": [field_name]})],
    )


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value: float, digits: int = 2) -> float:
    return round(float(value), digits)


# --- the request ------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A model under test: a stored one (by name or id) or an unsaved draft."""

    name: str
    definition: Definition
    stored: bool


@dataclass(frozen=True)
class Notice:
    """Something the numbers cannot say by themselves (open outcomes, current values)."""

    code: str
    message: str
    context: dict[str, Any] = field(default_factory=dict)

    def to_api(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "context": self.context}


@dataclass(frozen=True)
class Population:
    """The labelled population at the reference date, by ascending contact id."""

    reference: date
    outcome: Outcome
    ids: Ints
    converted: Flags

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def positives(self) -> int:
        return int(self.converted.sum())

    def to_api(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "converted": self.positives,
            "baseRate": rate(self.positives, self.size),
        }


def check_body(raw: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad("body", "INVALID_BODY", "the body must be a JSON object")
    extra = sorted(str(k) for k in raw if k not in allowed)
    if extra:
        raise bad(extra[0], "UNKNOWN_FIELD", f"unexpected field(s) {', '.join(extra)}")
    for name in _REQUIRED:
        if name not in raw:
            raise bad(name, "MISSING_FIELD", f"{name} is required")
    return raw


def parse_reference_date(raw: Any, today: date, field_name: str = "referenceDate") -> date:
    """A ``YYYY-MM-DD`` day from 1970-01-01 to today."""
    if not isinstance(raw, str) or not _DATE.match(raw):
        raise bad(field_name, "INVALID_DATE", "must be a date written YYYY-MM-DD")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise bad(field_name, "INVALID_DATE", f"'{raw}' is not a calendar date") from None
    if day < EARLIEST:
        raise bad(field_name, "INVALID_DATE", f"must be {EARLIEST.isoformat()} or later")
    if day > today:
        raise bad(
            field_name,
            "REFERENCE_DATE_IN_FUTURE",
            f"{raw} is after today ({today.isoformat()}): scores are taken at the start of "
            "the reference date and outcomes after it, so it must not be in the future",
        )
    return day


def reference_of(raw: dict[str, Any], outcome: Outcome, today: date) -> tuple[date, bool]:
    """The reference date, and whether it stands for "now". A property outcome (a recorded
    result, such as an imported ``converted`` flag) may leave ``referenceDate`` out: the
    population is then scored as it stands at the end of today (every event so far)."""
    if "referenceDate" in raw:
        return parse_reference_date(raw["referenceDate"], today), False
    if outcome.kind != PROPERTY:
        raise bad(
            "referenceDate",
            "MISSING_FIELD",
            "referenceDate is required for a time-based outcome (it may be left out only for "
            "a property outcome, which is then tested as of now)",
        )
    return today + timedelta(days=1), True


def parse_whole(raw: Any, field_name: str, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise bad(field_name, "INVALID_NUMBER", f"must be a whole number from {low} to {high}")
    return raw


def load_candidate(session: Session, raw: Any, path: str) -> Candidate:
    """``{"model": "<name or id>"}`` or a draft definition. Every problem is a 400 naming a
    field under ``path``; a missing stored model too (a bad input here, not a missing
    resource)."""
    if isinstance(raw, dict) and "model" in raw and len(raw) > 1:
        raise bad(
            path,
            "INVALID_MODEL",
            'give {"model": "<name or id>"} alone, or a draft definition (without "model")',
        )
    try:
        name, definition = service.definition_for(session, raw, path)
    except NotFound:
        assert isinstance(raw, dict)
        raise bad(
            f"{path}.model",
            "MODEL_NOT_FOUND",
            f"no live score model has the name or id '{raw.get('model')}'",
        ) from None
    except ValidationError as error:
        raise _under(error, path) from None
    return Candidate(name, definition, isinstance(raw, dict) and set(raw) == {"model"})


def _under(error: ValidationError, path: str) -> ValidationError:
    """The error with every field it names placed under ``path`` (the definition's own
    checks already are; the top-level field checks are not)."""

    def placed(name: str) -> str:
        return (
            name if name == path or name.startswith((f"{path}.", f"{path}[")) else f"{path}.{name}"
        )

    details = [
        ErrorDetail(
            e.message,
            e.code,
            {**e.context, "field": [placed(f) for f in e.context.get("field", [])]},
        )
        if "field" in e.context
        else e
        for e in error.errors
    ]
    return ValidationError(error.message, errors=details)


def load_outcome(session: Session, raw: Any) -> Outcome:
    outcome = parse_outcome(raw, "outcome")
    check_outcome(session, outcome)
    return outcome


def reference_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def load_population(session: Session, outcome: Outcome, reference: date) -> Population:
    """The labelled population; a 400 naming ``referenceDate`` when it is empty."""
    labelled = labelled_population(session, outcome, reference_start(reference))
    if not labelled:
        raise bad(
            "referenceDate",
            "EMPTY_POPULATION",
            f"no contact is in the population at {reference.isoformat()}: it holds the live "
            "contacts created before that day that had not yet reached the outcome; choose a "
            "later reference date or another outcome",
        )
    ids = np.array(sorted(labelled), dtype=np.int64)
    converted = np.array([labelled[int(i)] for i in ids], dtype=np.bool_)
    return Population(reference, outcome, ids, converted)


# --- scoring the population at the reference date --------------------------------------


@dataclass(frozen=True)
class Scored:
    """One model's scores of the population (rows in the population's id order)."""

    candidate: Candidate
    measured: Matrix  # population x rules, measured as of the reference date
    scores: Vector
    labels: list[str | None]
    label_order: list[tuple[str, float | None]]  # tiers, highest first, with minScore


def measure_at(
    session: Session, definition: Definition, ids: Ints, reference: date, today: date
) -> Matrix:
    """Each rule's measurement for ``ids`` (ascending) as of the start of ``reference``.
    A combined model's components are scored at the reference date too (not read from their
    stored, current scores)."""
    if definition.kind == "combined":
        columns = []
        for rule in definition.rules:
            assert rule.component is not None
            component = service.load_definition(service.access_model(session, rule.component))
            columns.append(score(component, measure_at(session, component, ids, reference, today)))
        return np.column_stack(columns) if columns else np.zeros((len(ids), 0))
    named = [int(i) for i in ids] if len(ids) <= ID_LIST_LIMIT else None
    query, problems = engine.statement(
        session, definition, own_name=None, today=today, ids=named, until=reference
    )
    if problems:
        invalid(problems)
    values = np.zeros((len(ids), len(definition.rules)), dtype=np.float64)
    for chunk in engine.measure(session, query, definition):
        found = np.array(chunk.contact_ids, dtype=np.int64)
        at = np.searchsorted(ids, found)
        at_safe = np.minimum(at, len(ids) - 1)
        inside = (at < len(ids)) & (ids[at_safe] == found)
        values[at[inside]] = chunk.values[inside]
    return values


def _tiers(
    session: Session, definition: Definition, measured: Matrix, scores: Vector
) -> tuple[list[str | None], list[tuple[str, float | None]]]:
    """Each contact's label, and the possible labels highest first. A grid's label joins
    its two components' labels at the reference date."""
    if not definition.grid:
        order: list[tuple[str, float | None]] = [
            (lab.label, lab.min_score) for lab in definition.labels
        ]
        return definition.labels_of(scores), order
    sides = []
    for rule in definition.rules[:2]:
        assert rule.component is not None
        sides.append(service.load_definition(service.access_model(session, rule.component)))
    labels: list[str | None] = []
    for i in range(len(scores)):
        first = sides[0].label_of(float(measured[i, 0]))
        second = sides[1].label_of(float(measured[i, 1]))
        labels.append(grid_label(first, second))
    order = [(a.label + b.label, None) for a in sides[0].labels for b in sides[1].labels]
    return labels, order


def score_population(
    session: Session, candidate: Candidate, population: Population, today: date
) -> Scored:
    definition = candidate.definition
    measured = measure_at(session, definition, population.ids, population.reference, today)
    scores = score(definition, measured)
    labels, order = _tiers(session, definition, measured, scores)
    return Scored(candidate, measured, scores, labels, order)


# --- metrics ----------------------------------------------------------------------------


def roc_auc(scores: Vector, converted: Flags) -> tuple[float | None, str | None]:
    """The chance that a converted contact outscores a non-converted one (ties count half),
    from mid-ranks (the Mann-Whitney statistic); ``None`` and why when only one class is
    present."""
    positives = int(converted.sum())
    negatives = len(scores) - positives
    if positives == 0:
        return None, "no contact in the population converted; AUC needs both outcomes"
    if negatives == 0:
        return None, "every contact in the population converted; AUC needs both outcomes"
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    below = np.concatenate(([0], np.cumsum(counts)[:-1]))
    mid_ranks = below + (counts + 1) / 2.0  # 1-based average rank of each distinct score
    ranks = mid_ranks[inverse]
    u = float(ranks[converted].sum()) - positives * (positives + 1) / 2.0
    return round(u / (positives * negatives), 4), None


def deciles_of(scores: Vector) -> Ints:
    """Decile 1..10 of each contact, 1 the highest scores. Ties stay together: a contact's
    decile is ``floor(10 * above / n) + 1`` where ``above`` counts the contacts scoring
    strictly higher, so a tie group falls in the decile where its first place is."""
    n = len(scores)
    ordered = np.sort(scores)
    above = n - np.searchsorted(ordered, scores, side="right")
    out: Ints = (DECILES * above // n + 1).astype(np.int64)
    return out


def mid_percentile_rank(scores: Vector) -> Vector:
    """Share of the population scoring lower plus half the share tied with the contact."""
    n = len(scores)
    ordered = np.sort(scores)
    lower = np.searchsorted(ordered, scores, side="left")
    upper = np.searchsorted(ordered, scores, side="right")
    out: Vector = ((lower + (upper - lower) / 2.0) / n).astype(np.float64)
    return out


@dataclass(frozen=True)
class Group:
    """A set of contacts (a decile, a tier, the contacts reaching a threshold)."""

    contacts: int
    converted: int

    def to_api(self) -> dict[str, Any]:
        return {
            "contacts": self.contacts,
            "converted": self.converted,
            "conversionRate": rate(self.converted, self.contacts),
        }


def _group(members: Flags, converted: Flags) -> Group:
    return Group(int(members.sum()), int((members & converted).sum()))


def distribution(scores: Vector, converted: Flags) -> dict[str, Any]:
    """Summary statistics (percentiles by linear interpolation) and 10 equal-width buckets
    from the lowest to the highest score (the last one includes its upper edge; when every
    score is equal the buckets span that score +/- 0.5)."""
    p25, median, p75, p90 = np.percentile(scores, [25, 50, 75, 90])
    counts, edges = np.histogram(scores, bins=BUCKETS)
    hits, _ = np.histogram(scores[converted], bins=edges)
    return {
        "min": _round(scores.min()),
        "max": _round(scores.max()),
        "mean": _round(scores.mean()),
        "median": _round(median),
        "p25": _round(p25),
        "p75": _round(p75),
        "p90": _round(p90),
        "histogram": [
            {
                "from": _round(edges[b], 4),
                "to": _round(edges[b + 1], 4),
                **Group(int(counts[b]), int(hits[b])).to_api(),
            }
            for b in range(BUCKETS)
        ],
    }


@dataclass(frozen=True)
class Miss:
    contact_id: int
    email: str | None
    name: str | None
    score: float
    label: str | None
    rules: list[dict[str, Any]]

    def to_api(self) -> dict[str, Any]:
        return {
            "id": str(self.contact_id),
            "email": self.email,
            "name": self.name,
            "score": self.score,
            "label": self.label,
            "rules": self.rules,
        }


@dataclass(frozen=True)
class ModelReport:
    """Everything a backtest says about one model."""

    name: str
    kind: str
    stored: bool
    population: Population
    distribution: dict[str, Any]
    thresholds: list[tuple[float, str, Group]]
    tiers: list[tuple[str | None, float | None, Group]]
    deciles: list[tuple[int, Group, float | None, float | None]]  # decile, group, min, max
    auc: float | None
    auc_note: str | None
    lift: float | None
    lift_note: str | None
    top_decile: Flags = field(repr=False)
    miss_rule: str = ""
    misses_total: int = 0
    misses: list[Miss] = field(default_factory=list)

    @property
    def converted_in_top_decile(self) -> int:
        return int((self.top_decile & self.population.converted).sum())

    def to_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "stored": self.stored,
            "population": self.population.to_api(),
            "distribution": self.distribution,
            "thresholds": [
                {"minScore": low, "lifecycleStage": stage, **g.to_api()}
                for low, stage, g in self.thresholds
            ],
            "labels": [
                {"label": label, "minScore": low, **g.to_api()} for label, low, g in self.tiers
            ],
            "deciles": [
                {"decile": d, **g.to_api(), "minScore": low, "maxScore": high}
                for d, g, low, high in self.deciles
            ],
            "auc": self.auc,
            "aucNote": self.auc_note,
            "topDecileLift": self.lift,
            "topDecileLiftNote": self.lift_note,
            "convertedInTopDecile": self.converted_in_top_decile,
            "misses": {
                "rule": self.miss_rule,
                "total": self.misses_total,
                "contacts": [m.to_api() for m in self.misses],
            },
        }


def _deciles(
    scores: Vector, converted: Flags
) -> tuple[list[tuple[int, Group, float | None, float | None]], Ints]:
    of = deciles_of(scores)
    out = []
    for d in range(1, DECILES + 1):
        members = of == d
        inside = scores[members]
        low = _round(inside.min()) if len(inside) else None
        high = _round(inside.max()) if len(inside) else None
        out.append((d, _group(members, converted), low, high))
    return out, of


def _misses(
    session: Session, scored: Scored, population: Population, limit: int
) -> tuple[str, int, list[Miss]]:
    definition = scored.candidate.definition
    scores = scored.scores
    if definition.thresholds:
        lowest = definition.thresholds[0]
        rule = (
            f"converted contacts scoring below the lowest threshold ({lowest.min_score:g}, "
            f"{lowest.lifecycle_stage})"
        )
        missed = population.converted & (scores < lowest.min_score)
    else:
        rule = (
            "converted contacts in the bottom half of the scores (mid-percentile rank at most "
            "0.5: share scoring lower plus half the share tied)"
        )
        missed = population.converted & (mid_percentile_rank(scores) <= 0.5)
    rows = np.flatnonzero(missed)
    rows = rows[np.lexsort((population.ids[rows], scores[rows]))][:limit]
    ids = [int(population.ids[r]) for r in rows]
    records = records_repo.rows_by_id(session, CONTACTS, ids, archived=False)
    points = rule_points(definition, scored.measured[rows])
    out = []
    for k, r in enumerate(rows):
        record = records.get(ids[k])
        email = record["email"] if record is not None else None
        names = [record["firstname"], record["lastname"]] if record is not None else []
        out.append(
            Miss(
                ids[k],
                email,
                " ".join(str(n) for n in names if n) or None,
                _round(scores[r]),
                scored.labels[r],
                [
                    {
                        "name": rule_.key,
                        "group": definition.groups[rule_.group].name,
                        "measured": _round(scored.measured[r, j], 4),
                        "points": _round(points[k, j]),
                    }
                    for j, rule_ in enumerate(definition.rules)
                ],
            )
        )
    return rule, int(missed.sum()), out


def report(
    session: Session, scored: Scored, population: Population, *, misses_limit: int
) -> ModelReport:
    """The metrics of one scored model over the population."""
    definition = scored.candidate.definition
    scores, converted = scored.scores, population.converted
    thresholds = [
        (t.min_score, t.lifecycle_stage, _group(scores >= t.min_score, converted))
        for t in definition.thresholds
    ]
    tiers: list[tuple[str | None, float | None, Group]] = []
    if scored.label_order:
        labels = np.array(scored.labels, dtype=object)
        for label, low in scored.label_order:
            tiers.append((label, low, _group(labels == label, converted)))
        unlabelled = np.array([lab is None for lab in scored.labels], dtype=np.bool_)
        if unlabelled.any():
            tiers.append((None, None, _group(unlabelled, converted)))
    deciles, of = _deciles(scores, converted)
    auc, auc_note = roc_auc(scores, converted)
    top = deciles[0][1]
    lift = lift_note = None
    if population.positives == 0:
        lift_note = "no contact converted; lift needs a base rate above 0"
    else:
        lift = round((top.converted / top.contacts) / (population.positives / population.size), 4)
    miss_rule, misses_total, misses = _misses(session, scored, population, misses_limit)
    return ModelReport(
        name=scored.candidate.name,
        kind=definition.kind,
        stored=scored.candidate.stored,
        population=population,
        distribution=distribution(scores, converted),
        thresholds=thresholds,
        tiers=tiers,
        deciles=deciles,
        auc=auc,
        auc_note=auc_note,
        lift=lift,
        lift_note=lift_note,
        top_decile=of == 1,
        miss_rule=miss_rule,
        misses_total=misses_total,
        misses=misses,
    )


# --- warnings ---------------------------------------------------------------------------


def outcome_notices(outcome: Outcome, reference: date, today: date) -> list[Notice]:
    if not outcome.time_based or outcome.within_days is None:
        return []
    end = reference + timedelta(days=outcome.within_days)
    if end <= today:
        return []
    return [
        Notice(
            "OUTCOME_WINDOW_OPEN",
            f"outcomes are still open: the {outcome.within_days}-day window after "
            f"{reference.isoformat()} ends on {end.isoformat()}, after today; contacts may "
            "still convert, so conversion rates, AUC and lift are provisional",
            {"windowEnds": end.isoformat()},
        )
    ]


def property_notices(
    session: Session, key: str, candidate: Candidate, population: Population
) -> list[Notice]:
    """Warn when rules read properties that changed after the reference date for some
    population contacts (counted per property), and when a rule reads what the outcome
    itself states."""
    definition = candidate.definition
    if definition.kind == "combined":
        rules = []
        for rule in definition.rules:
            assert rule.component is not None
            stored = service.access_model(session, rule.component)
            rules += list(service.load_definition(stored).rules)
    else:
        rules = list(definition.rules)
    leaves = [r.condition for r in rules if r.condition is not None]
    contact_props = sorted({x.filter.property_name for x in leaves if not x.company})
    company_props = sorted({x.filter.property_name for x in leaves if x.company})
    out: list[Notice] = []
    outcome = population.outcome
    for rule in rules:
        if rule.condition is not None and not rule.condition.company:
            name = rule.condition.filter.property_name
            if name in outcome.own_properties:
                out.append(
                    Notice(
                        "RULE_RESTATES_OUTCOME",
                        f"{key}: rule '{rule.key}' reads {name}, which restates the outcome "
                        f"({outcome.describe()}); its points measure the outcome itself",
                        {"model": key, "rule": rule.key, "property": name},
                    )
                )
    counts, total = repo.changed_since(
        session,
        population_statement(session, outcome, reference_start(population.reference)),
        contact_properties=contact_props,
        company_properties=company_props,
        since=reference_start(population.reference),
    )
    if total:
        listed = ", ".join(f"{name}: {n}" for name, n in sorted(counts.items()))
        out.append(
            Notice(
                "PROPERTY_CHANGED_AFTER_REFERENCE",
                f"{key}: {total} of {population.size} population contacts had a property "
                f"that a rule reads change on or after {population.reference.isoformat()} "
                f"({listed}); rules read current values, so these contacts were scored on "
                "values they may not have held at the reference date",
                {"model": key, "contacts": total, "properties": dict(sorted(counts.items()))},
            )
        )
    return out


# --- the backtest -----------------------------------------------------------------------


@dataclass(frozen=True)
class Backtest:
    reference: date
    outcome: Outcome
    population: Population
    model: ModelReport
    compare_with: ModelReport | None
    notices: list[Notice]
    as_of_now: bool = False

    def comparison(self) -> dict[str, Any] | None:
        other = self.compare_with
        if other is None:
            return None
        both = self.model.top_decile & other.top_decile & self.population.converted
        difference = None
        if self.model.auc is not None and other.auc is not None:
            difference = round(self.model.auc - other.auc, 4)
        return {
            "aucDifference": difference,
            "convertedInTopDecile": {
                "model": self.model.converted_in_top_decile,
                "compareWith": other.converted_in_top_decile,
                "both": int(both.sum()),
            },
        }

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "referenceDate": None if self.as_of_now else self.reference.isoformat(),
            "asOfNow": self.as_of_now,
            "outcome": self.outcome.to_api(),
            "outcomeDescription": self.outcome.describe(),
            "population": self.population.to_api(),
            "warnings": [n.to_api() for n in self.notices],
            "model": self.model.to_api(),
        }
        if self.compare_with is not None:
            out["compareWith"] = self.compare_with.to_api()
            out["comparison"] = self.comparison()
        return out


def backtest(session: Session, body: Any, *, today: date | None = None) -> Backtest:
    """``POST /revline/v1/scoring/backtest``: score the population at the reference date
    under one model (and optionally a second) and measure the scores against the outcome."""
    today = today or utcnow().date()
    raw = check_body(body, _BACKTEST_FIELDS)
    limit = DEFAULT_MISSES
    if "missesLimit" in raw:
        limit = parse_whole(raw["missesLimit"], "missesLimit", 1, MAX_MISSES)
    candidate = load_candidate(session, raw["model"], "model")
    other = None
    if "compareWith" in raw:
        other = load_candidate(session, raw["compareWith"], "compareWith")
    outcome = load_outcome(session, raw["outcome"])
    reference, now = reference_of(raw, outcome, today)
    population = load_population(session, outcome, reference)
    notices = outcome_notices(outcome, reference, today)
    if not now:
        notices += property_notices(session, "model", candidate, population)
    scored = score_population(session, candidate, population, today)
    model_report = report(session, scored, population, misses_limit=limit)
    other_report = None
    if other is not None and not now:
        notices += property_notices(session, "compareWith", other, population)
        other_scored = score_population(session, other, population, today)
        other_report = report(session, other_scored, population, misses_limit=limit)
    return Backtest(reference, outcome, population, model_report, other_report, notices, now)
