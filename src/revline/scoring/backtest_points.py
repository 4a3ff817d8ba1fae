"""Data-driven points: let the outcome say how much each rule of a model is worth.

Each rule's measurement at the reference date (1/0 for a property rule, the weighted count
for a behaviour rule) is one feature of the backtest population. The population is split,
stratified by outcome with a seed, into a training part and a held-out part; an L2 logistic
regression (no class weights) is fitted on the standardised training features. A rule's
coefficient per unit of its raw measurement becomes its points, scaled so that the largest
absolute suggested points equal the model's largest absolute current points, rounded half
away from zero. Rules whose coefficient is negligible get 0 (and leave the suggested model,
since a rule cannot be worth 0 points). The held-out part scores the current and the
suggested model through the model's own arithmetic (caps, floor, rounding), so the AUCs
compare the two point sets as they would be used.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sqlalchemy.orm import Session

from revline.kit.time import utcnow
from revline.scoring.backtest import (
    DEFAULT_SEED,
    DEFAULT_TEST_SHARE,
    MAX_SEED,
    MAX_TEST_SHARE,
    MIN_TEST_SHARE,
    Candidate,
    Flags,
    Notice,
    Population,
    bad,
    check_body,
    load_candidate,
    load_outcome,
    load_population,
    outcome_notices,
    parse_whole,
    property_notices,
    rate,
    reference_of,
    roc_auc,
    score_population,
)
from revline.scoring.outcomes import Outcome
from revline.scoring.rules import NAME, Definition, Matrix, parse_definition, score

# A standardised coefficient below this share of the largest one is negligible.
NEGLIGIBLE_SHARE = 0.05
NEGLIGIBLE = "NEGLIGIBLE"
CONSTANT = "CONSTANT"
ROUNDS_TO_ZERO = "ROUNDS_TO_ZERO"
_FIELDS = ("model", "outcome", "referenceDate", "testShare", "seed")
_SUFFIX = "_suggested"


@dataclass(frozen=True)
class RulePoints:
    """One rule: what it is worth now, what the data suggests, and why."""

    name: str
    group: str
    kind: str
    current: float
    suggested: int
    coefficient: float  # standardised: change in log-odds per standard deviation
    per_unit: float  # change in log-odds per unit of the raw measurement
    flag: str | None

    def to_api(self) -> dict[str, Any]:
        notes = {
            NEGLIGIBLE: f"coefficient below {NEGLIGIBLE_SHARE:.0%} of the largest: 0 points",
            CONSTANT: "measured the same for every training contact: 0 points",
            ROUNDS_TO_ZERO: "its scaled coefficient rounds to 0 points",
        }
        return {
            "name": self.name,
            "group": self.group,
            "kind": self.kind,
            "currentPoints": self.current,
            "suggestedPoints": self.suggested,
            "coefficient": round(self.coefficient, 4),
            "coefficientPerUnit": round(self.per_unit, 6),
            "flag": self.flag,
            "note": notes.get(self.flag or ""),
        }


@dataclass(frozen=True)
class Suggestion:
    reference: date
    outcome: Outcome
    population: Population
    test_share: float
    seed: int
    training: tuple[int, int]  # contacts, converted
    held_out: tuple[int, int]
    rules: list[RulePoints]
    scale: float | None  # points per unit of log-odds
    current_auc: float | None
    suggested_auc: float | None
    regression_auc: float | None
    suggested_model: dict[str, Any] | None
    notices: list[Notice]
    as_of_now: bool = False

    @property
    def improvement(self) -> float | None:
        if self.current_auc is None or self.suggested_auc is None:
            return None
        return round(self.suggested_auc - self.current_auc, 4)

    def to_api(self) -> dict[str, Any]:
        def part(contacts: int, converted: int) -> dict[str, Any]:
            return {
                "contacts": contacts,
                "converted": converted,
                "conversionRate": rate(converted, contacts),
            }

        return {
            "referenceDate": None if self.as_of_now else self.reference.isoformat(),
            "asOfNow": self.as_of_now,
            "outcome": self.outcome.to_api(),
            "outcomeDescription": self.outcome.describe(),
            "population": self.population.to_api(),
            "split": {
                "testShare": self.test_share,
                "seed": self.seed,
                "training": part(*self.training),
                "heldOut": part(*self.held_out),
            },
            "rules": [r.to_api() for r in self.rules],
            "pointsPerLogOdds": round(self.scale, 4) if self.scale is not None else None,
            "heldOutAuc": {
                "current": self.current_auc,
                "suggested": self.suggested_auc,
                "improvement": self.improvement,
                "regression": self.regression_auc,
            },
            "suggestedModel": self.suggested_model,
            "warnings": [n.to_api() for n in self.notices],
        }


def _share(raw: Any) -> float:
    if (
        isinstance(raw, bool)
        or not isinstance(raw, int | float)
        or not MIN_TEST_SHARE <= raw <= MAX_TEST_SHARE
    ):
        raise bad(
            "testShare",
            "INVALID_NUMBER",
            f"must be a number from {MIN_TEST_SHARE} to {MAX_TEST_SHARE}",
        )
    return float(raw)


def _half_away(value: float) -> int:
    return int(np.sign(value) * np.floor(abs(value) + 0.5))


def _split(
    converted: Flags, share: float, seed: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    rows = np.arange(len(converted))
    positives = int(converted.sum())
    negatives = len(converted) - positives
    need = "at least 2 converted and 2 non-converted contacts, with each part of the split"
    try:
        train, test = train_test_split(
            rows, test_size=share, random_state=seed, stratify=converted.astype(np.int64)
        )
    except ValueError as error:
        raise bad(
            "outcome",
            "TOO_FEW_OUTCOMES",
            f"the population has {positives} converted and {negatives} non-converted "
            f"contacts; suggesting points needs {need} holding both ({error})",
        ) from None
    for part in (train, test):
        if converted[part].all() or not converted[part].any():
            raise bad(
                "outcome",
                "TOO_FEW_OUTCOMES",
                f"the population has {positives} converted and {negatives} non-converted "
                f"contacts; suggesting points needs {need} holding both",
            )
    return np.sort(train), np.sort(test)


def _fit(
    features: Matrix, converted: Flags
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], Any, bool]:
    """Standardised coefficients, whether each feature was constant, the fitted pipeline
    parts and whether the solver converged."""
    scaler = StandardScaler().fit(features)
    regression = LogisticRegression(C=1.0, l1_ratio=0.0, class_weight=None, max_iter=1000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        regression.fit(scaler.transform(features), converted.astype(np.int64))
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    constant = np.asarray(scaler.var_ == 0)
    return np.asarray(regression.coef_[0]), constant, (scaler, regression), converged


def _suggested_definition(
    candidate: Candidate, points: list[int]
) -> tuple[dict[str, Any] | None, list[int]]:
    """The model's definition with the suggested points (rules at 0 left out, groups left
    empty dropped), and the rule columns it keeps, in order."""
    definition = candidate.definition
    raw = copy.deepcopy(definition.raw or {})
    by_path = {rule.path: j for j, rule in enumerate(definition.rules)}
    groups = []
    kept: list[int] = []
    for g, raw_group in enumerate(raw.get("groups", [])):
        rules = []
        for i, raw_rule in enumerate(raw_group.get("rules", [])):
            j = by_path[f"groups[{g}].rules[{i}]"]
            if points[j] == 0:
                continue
            rules.append({**raw_rule, "name": definition.rules[j].key, "points": points[j]})
            kept.append(j)
        if rules:
            groups.append({**raw_group, "name": definition.groups[g].name, "rules": rules})
    if not groups:
        return None, []
    raw["groups"] = groups
    return raw, kept


def _model_body(candidate: Candidate, definition: dict[str, Any]) -> dict[str, Any]:
    base = candidate.name if NAME.match(candidate.name) else "draft"
    name = base[: 40 - len(_SUFFIX)] + _SUFFIX
    return {
        "name": name,
        "label": f"{candidate.name[:200]} (suggested points)",
        "description": f"Points suggested from outcomes for score model '{candidate.name[:200]}'.",
        "active": False,
        **definition,
    }


def suggest_points(session: Session, body: Any, *, today: date | None = None) -> Suggestion:
    """``POST /revline/v1/scoring/suggest-points``: fit each rule's worth on the backtest
    population and propose the model with those points (a draft, ready to create)."""
    today = today or utcnow().date()
    raw = check_body(body, _FIELDS)
    share = _share(raw["testShare"]) if "testShare" in raw else DEFAULT_TEST_SHARE
    seed = parse_whole(raw["seed"], "seed", 0, MAX_SEED) if "seed" in raw else DEFAULT_SEED
    candidate = load_candidate(session, raw["model"], "model")
    definition = candidate.definition
    if definition.kind != "rules":
        components = ", ".join(r.key for r in definition.rules)
        raise bad(
            "model",
            "COMBINED_MODEL",
            f"'{candidate.name}' is a combined model; suggest points for its rule models "
            f"({components}) instead",
        )
    outcome = load_outcome(session, raw["outcome"])
    reference, now = reference_of(raw, outcome, today)
    population = load_population(session, outcome, reference)
    notices = outcome_notices(outcome, reference, today)
    if not now:
        notices += property_notices(session, "model", candidate, population)
    scored = score_population(session, candidate, population, today)
    converted = population.converted
    train, test = _split(converted, share, seed)
    coefficients, constant, (scaler, regression), converged = _fit(
        scored.measured[train], converted[train]
    )
    if not converged:
        notices.append(
            Notice(
                "NOT_CONVERGED",
                "the regression did not converge in 1000 iterations; the suggestion may be "
                "unstable",
            )
        )
    per_unit = coefficients / np.asarray(scaler.scale_)
    strongest = float(np.abs(coefficients).max()) if len(coefficients) else 0.0
    negligible = constant | (np.abs(coefficients) < NEGLIGIBLE_SHARE * strongest)
    if strongest < 1e-9:
        negligible[:] = True
    current = [r.points for r in definition.rules]
    largest_unit = float(np.abs(per_unit[~negligible]).max()) if (~negligible).any() else 0.0
    scale = max(abs(p) for p in current) / largest_unit if largest_unit else None
    points: list[int] = []
    flags: list[str | None] = []
    for j in range(len(definition.rules)):
        if negligible[j]:
            points.append(0)
            flags.append(CONSTANT if constant[j] else NEGLIGIBLE)
            continue
        assert scale is not None
        value = _half_away(float(per_unit[j]) * scale)
        points.append(value)
        flags.append(ROUNDS_TO_ZERO if value == 0 else None)
    rules = [
        RulePoints(
            rule.key,
            definition.groups[rule.group].name,
            rule.kind,
            rule.points,
            points[j],
            float(coefficients[j]),
            float(per_unit[j]),
            flags[j],
        )
        for j, rule in enumerate(definition.rules)
    ]
    held_out = scored.measured[test]
    current_auc, _ = roc_auc(score(definition, held_out), converted[test])
    regression_auc, _ = roc_auc(
        regression.decision_function(scaler.transform(held_out)).astype(np.float64),
        converted[test],
    )
    suggested_raw, kept = _suggested_definition(candidate, points)
    suggested_auc = None
    suggested_model = None
    if suggested_raw is None:
        notices.append(
            Notice(
                "NO_SIGNAL",
                "no rule's measurement carries a usable signal about the outcome, so there is "
                "no suggested model; try another outcome, reference date or rules",
            )
        )
    else:
        suggested: Definition = parse_definition(suggested_raw)
        suggested_auc, _ = roc_auc(score(suggested, held_out[:, kept]), converted[test])
        suggested_model = _model_body(candidate, suggested_raw)
    return Suggestion(
        reference=reference,
        outcome=outcome,
        population=population,
        test_share=share,
        seed=seed,
        training=(len(train), int(converted[train].sum())),
        held_out=(len(test), int(converted[test].sum())),
        rules=rules,
        scale=scale,
        current_auc=current_auc,
        suggested_auc=suggested_auc,
        regression_auc=regression_auc,
        suggested_model=suggested_model,
        notices=notices,
        as_of_now=now,
    )
