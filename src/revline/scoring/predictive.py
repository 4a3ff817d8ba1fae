"""The predictive score: train a model of the chance that a contact reaches an outcome, keep
every trained version, and score every live contact with the active one.

Training rows are the labelled population of :mod:`revline.scoring.outcomes`: for the
time-based outcomes, the contacts that had not converted at R = now - withinDays, labelled by
whether they converted within the window after R, with behaviour counted only before R; for a
property outcome, every live contact. The model is a scikit-learn pipeline (median imputation
with missing indicators and scaling for numbers, one-hot categories, then a logistic
regression or gradient boosting), seeded so the same data and settings give the same model.

Scores are the probability x 100 with one decimal in ``revline_predictive_score`` and the
quartile among all scored contacts in ``revline_predictive_tier`` (``tier_1``: top 25%),
written set-based; each contact whose score or tier changed gets a ``score_history`` row and
the segments that read them are told.
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import joblib
import numpy as np
import sklearn
from numpy.typing import NDArray
from sklearn.pipeline import Pipeline
from sqlalchemy.orm import Session

from revline.crm import signals
from revline.crm.properties.values import format_number
from revline.errors import Conflict, ErrorDetail, NotFound, ValidationError
from revline.kit.pagination import parse_id
from revline.kit.time import ensure_utc, iso_ms, utcnow
from revline.logging import log_event
from revline.models import PredictiveModel
from revline.scoring import features as feats
from revline.scoring import outcomes
from revline.scoring import predictive_model as learn
from revline.scoring import predictive_repository as repo
from revline.scoring.features import FeatureSpec, RawValues
from revline.scoring.outcomes import Outcome
from revline.scoring.predictive_model import ALGORITHMS, LOGISTIC_REGRESSION

logger = logging.getLogger("revline.scoring")

DEFAULT_SEED = 42
DEFAULT_C = 1.0
MAX_C = 1e6
MAX_SEED = 2**31 - 1
MIN_ROWS = 50
MIN_PER_CLASS = 10
# More rows add little to a model of a few dozen columns but cost time and memory: larger
# populations are sampled (seeded) down to this.
MAX_TRAINING_ROWS = 200_000
SCORE_CHUNK = 10_000
MAX_LIMIT = 500
TIERS = ("tier_1", "tier_2", "tier_3", "tier_4")
CAUSE = "predictive"
# score_history.model_id refers to score_models; predictive versions are not score models,
# so their rows carry 0 and name the version in cause_detail ("v3").
HISTORY_MODEL_ID = 0


@dataclass(frozen=True)
class TrainSettings:
    """What one training is asked for (kept with the model, so a retrain repeats it)."""

    outcome: Outcome
    algorithm: str
    include: tuple[str, ...] | None
    exclude: tuple[str, ...]
    seed: int
    c: float
    activate: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "include": list(self.include) if self.include is not None else None,
            "exclude": list(self.exclude),
            "C": self.c,
        }


@dataclass(frozen=True)
class ScoringSummary:
    version: int
    scored: int
    changed: int
    tier_cutoffs: list[dict[str, Any]]


@dataclass(frozen=True)
class Trained:
    model: PredictiveModel
    scoring: ScoringSummary | None


@dataclass(frozen=True)
class ModelsPage:
    items: list[PredictiveModel]
    next_after: str | None


def _bad(field: str, code: str, message: str) -> ErrorDetail:
    return ErrorDetail(f"{field}: {message}", code, {"field": [field]})


def _fail(message: str, problems: list[ErrorDetail]) -> ValidationError:
    return ValidationError(message + ": " + "; ".join(p.message for p in problems), errors=problems)


# --- settings ---------------------------------------------------------------------------


def parse_settings(
    *,
    outcome: Any,
    algorithm: Any = None,
    include: Any = None,
    exclude: Any = None,
    seed: Any = None,
    c: Any = None,
    activate: Any = None,
) -> TrainSettings:
    """Check a training request; one 400 names every bad field."""
    problems: list[ErrorDetail] = []
    parsed: Outcome | None = None
    if outcome is None:
        problems.append(_bad("outcome", "REQUIRED", "is required"))
    else:
        try:
            parsed = outcomes.parse_outcome(outcome, "outcome")
        except ValidationError as error:
            problems.extend(error.errors)
    algorithm = LOGISTIC_REGRESSION if algorithm is None else algorithm
    if algorithm not in ALGORITHMS:
        problems.append(
            _bad("algorithm", "INVALID_ALGORITHM", f"must be one of {', '.join(ALGORITHMS)}")
        )
    seed = DEFAULT_SEED if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        problems.append(
            _bad("seed", "INVALID_SEED", f"must be a whole number from 0 to {MAX_SEED}")
        )
        seed = DEFAULT_SEED
    c = DEFAULT_C if c is None else c
    if (
        isinstance(c, bool)
        or not isinstance(c, int | float)
        or not math.isfinite(c)
        or not 0 < c <= MAX_C
    ):
        problems.append(_bad("C", "INVALID_C", f"must be a number above 0 and at most {MAX_C:g}"))
        c = DEFAULT_C
    activate = True if activate is None else activate
    if not isinstance(activate, bool):
        problems.append(_bad("activate", "INVALID_ACTIVATE", "must be true or false"))
    included, bad_include = feats.parse_names(include, "include")
    excluded, bad_exclude = feats.parse_names(exclude, "exclude")
    problems += bad_include + bad_exclude
    if include is not None and not bad_include and not included:
        problems.append(_bad("include", "INVALID_FIELDS", "must name at least one field"))
    if problems or parsed is None:
        raise _fail("Invalid training request", problems)
    return TrainSettings(
        parsed, str(algorithm), included, excluded or (), int(seed), float(c), bool(activate)
    )


def _settings_of(model: PredictiveModel) -> TrainSettings:
    stored = model.features.get("settings", {})
    return parse_settings(
        outcome=model.outcome,
        algorithm=model.algorithm,
        include=stored.get("include"),
        exclude=stored.get("exclude"),
        seed=model.seed,
        c=stored.get("C"),
        activate=True,
    )


# --- training ---------------------------------------------------------------------------


def _reference(outcome: Outcome, now: datetime) -> datetime:
    if outcome.time_based:
        assert outcome.within_days is not None
        return now - timedelta(days=outcome.within_days)
    return now


def _rows(labels: dict[int, bool], seed: int) -> tuple[list[int], NDArray[np.int_]]:
    ids = sorted(labels)
    if len(ids) > MAX_TRAINING_ROWS:
        picked = np.sort(
            np.random.default_rng(seed).choice(len(ids), MAX_TRAINING_ROWS, replace=False)
        )
        ids = [ids[i] for i in picked]
    return ids, np.array([1 if labels[i] else 0 for i in ids], dtype=int)


def _check_balance(y: NDArray[np.int_], outcome: Outcome) -> None:
    rows, positives = len(y), int(y.sum())
    negatives = rows - positives
    if rows < MIN_ROWS:
        raise _fail(
            "Not enough data to train",
            [
                _bad(
                    "outcome",
                    "NOT_ENOUGH_ROWS",
                    f"the population has {rows} contacts; at least {MIN_ROWS} are needed",
                )
            ],
        )
    if min(positives, negatives) < MIN_PER_CLASS:
        raise _fail(
            "Not enough data to train",
            [
                _bad(
                    "outcome",
                    "NOT_ENOUGH_OUTCOMES",
                    f"{positives} contacts {outcome.describe()} and {negatives} did not; "
                    f"at least {MIN_PER_CLASS} of each are needed",
                )
            ],
        )


def _artifact(pipeline: Pipeline, spec: FeatureSpec) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(
        {"pipeline": pipeline, "spec": spec.to_json(), "sklearn": sklearn.__version__}, buffer
    )
    return buffer.getvalue()


def _load(model: PredictiveModel) -> tuple[Pipeline, FeatureSpec]:
    # The artifact was written by this workspace's own training (joblib is pickle: never
    # load one from elsewhere).
    stored = joblib.load(io.BytesIO(model.artifact))
    return stored["pipeline"], FeatureSpec.from_json(stored["spec"])


def train(
    session: Session,
    *,
    outcome: Any,
    algorithm: Any = None,
    include: Any = None,
    exclude: Any = None,
    seed: Any = None,
    c: Any = None,
    activate: Any = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> Trained:
    """Train, evaluate and store a new version; with ``activate`` (the default) it becomes
    the active model and every live contact is scored. 400 when the request is invalid or
    the data too thin (fewer than 50 rows or 10 of either class)."""
    settings = parse_settings(
        outcome=outcome,
        algorithm=algorithm,
        include=include,
        exclude=exclude,
        seed=seed,
        c=c,
        activate=activate,
    )
    return _train(session, settings, user_id=user_id, now=ensure_utc(now or utcnow()))


def _train(
    session: Session, settings: TrainSettings, *, user_id: int | None, now: datetime
) -> Trained:
    outcomes.check_outcome(session, settings.outcome)
    candidates = feats.choose_fields(session, settings.outcome, settings.include, settings.exclude)
    reference = _reference(settings.outcome, now)
    labels = outcomes.labelled_population(session, settings.outcome, reference)
    ids, y = _rows(labels, settings.seed)
    _check_balance(y, settings.outcome)
    raw = feats.read_values(session, candidates.fields, ids, reference)
    spec = feats.fit_columns(candidates, raw)
    if not spec.columns:
        where = "include" if settings.include is not None else "exclude"
        raise _fail(
            "Nothing to learn from",
            [
                _bad(
                    where,
                    "NO_FEATURES",
                    "no field left has values that differ between contacts",
                )
            ],
        )
    x = feats.matrix(spec, raw)
    pipeline = learn.build_pipeline(spec, settings.algorithm, settings.c, settings.seed)
    with learn.one_thread():
        fold_aucs, predicted = learn.cross_validate(pipeline, x, y, settings.seed)
        pipeline.fit(x, y)
        top = learn.top_features(pipeline, spec, settings.algorithm, x, y, settings.seed)
    univariate = learn.univariate_auc(spec, x, y)
    late = learn.set_after_conversion(
        session,
        settings.outcome,
        spec,
        [i for i, label in zip(ids, y, strict=True) if label],
        reference,
    )
    positives = int(y.sum())
    metrics: dict[str, Any] = {
        "rows": len(y),
        "populationRows": len(labels),
        "positives": positives,
        "negatives": len(y) - positives,
        "positiveRate": learn.rounded(positives / len(y)),
        "referenceDate": iso_ms(reference),
        "auc": {
            "mean": learn.rounded(float(np.mean(fold_aucs))),
            "folds": [learn.rounded(a) for a in fold_aucs],
        },
        "calibration": learn.calibration(y, predicted),
        "topFeatures": top,
        "univariateAuc": univariate,
        "warnings": learn.leakage_warnings(univariate, late, spec),
    }
    repo.lock_versions(session)
    model = PredictiveModel(
        version=repo.next_version(session),
        algorithm=settings.algorithm,
        outcome=settings.outcome.to_api(),
        features={**spec.to_json(), "settings": settings.to_json()},
        metrics=metrics,
        seed=settings.seed,
        artifact=_artifact(pipeline, spec),
        active=False,
        trained_at=now,
        trained_by=user_id,
        tier_cutoffs=[],
    )
    repo.add_model(session, model)
    log_event(
        logger,
        "scoring.predictive_trained",
        version=model.version,
        algorithm=model.algorithm,
        rows=len(y),
        auc=metrics["auc"]["mean"],
        warnings=len(metrics["warnings"]),
    )
    scoring = _activate(session, model, now) if settings.activate else None
    return Trained(model, scoring)


# --- scoring ----------------------------------------------------------------------------


def _score_text(score: float) -> str:
    return format_number(Decimal(f"{score:.1f}"))


def _cutoffs(scores: NDArray[np.float64]) -> list[float]:
    """The lowest score of tier 1, 2 and 3 (quartiles of the scored population)."""
    if scores.size == 0:
        return []
    return [learn.rounded(q, 3) for q in np.quantile(scores, [0.75, 0.5, 0.25])]


def _tier(score: float, cutoffs: list[float]) -> str:
    for tier, floor in zip(TIERS, cutoffs, strict=False):
        if score >= floor:
            return tier
    return TIERS[-1]


def score_all(session: Session, model: PredictiveModel, *, now: datetime) -> ScoringSummary:
    """Score every live contact with ``model``; write the scores and tiers that changed."""
    pipeline, spec = _load(model)
    fields = feats.usable_fields(session, spec)
    ids = repo.live_contact_ids(session)
    scores = np.zeros(len(ids))
    for start in range(0, len(ids), SCORE_CHUNK):
        chunk = ids[start : start + SCORE_CHUNK]
        raw: RawValues = feats.read_values(session, fields, chunk, now)
        with learn.one_thread():
            chance = pipeline.predict_proba(feats.matrix(spec, raw))[:, 1]
        scores[start : start + len(chunk)] = np.round(chance * 100, 1)
    cutoffs = _cutoffs(scores)
    detail = f"v{model.version}"
    changed = 0
    # Written chunk by chunk: memory stays bounded whatever the number of contacts.
    for start in range(0, len(ids), repo.CHUNK):
        chunk = ids[start : start + repo.CHUNK]
        held = repo.current_scores(session, chunk, feats.SCORE_PROPERTY, feats.TIER_PROPERTY)
        writes: list[tuple[int, str, str]] = []
        history: list[dict[str, Any]] = []
        for offset, contact_id in enumerate(chunk):
            score = float(scores[start + offset])
            text, tier = _score_text(score), _tier(score, cutoffs)
            old_text, old_tier = held.get(contact_id, (None, None))
            if (text, tier) == (old_text, old_tier):
                continue
            writes.append((contact_id, text, tier))
            history.append(
                {
                    "model_id": HISTORY_MODEL_ID,
                    "contact_id": contact_id,
                    "changed_at": now,
                    "old_score": _decimal(old_text),
                    "new_score": Decimal(text),
                    "old_label": old_tier,
                    "new_label": tier,
                    "cause": CAUSE,
                    "cause_detail": detail,
                }
            )
        if not writes:
            continue
        repo.write_scores(session, writes, feats.SCORE_PROPERTY, feats.TIER_PROPERTY)
        repo.add_score_changes(session, history)
        signals.contacts_changed(
            session,
            ids=[w[0] for w in writes],
            properties=[feats.SCORE_PROPERTY, feats.TIER_PROPERTY],
        )
        changed += len(writes)
    floors = [*cutoffs, 0.0] if cutoffs else []
    model.tier_cutoffs = [
        {"tier": tier, "minScore": floor} for tier, floor in zip(TIERS, floors, strict=False)
    ]
    model.scored_at = now
    session.flush()
    log_event(
        logger,
        "scoring.predictive_scored",
        version=model.version,
        scored=len(ids),
        changed=changed,
    )
    return ScoringSummary(model.version, len(ids), changed, list(model.tier_cutoffs))


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except ArithmeticError:
        return None


def _activate(session: Session, model: PredictiveModel, now: datetime) -> ScoringSummary:
    repo.deactivate_others(session, model.version)
    model.active = True
    session.flush()
    return score_all(session, model, now=now)


# --- reading and managing versions ------------------------------------------------------


def access_model(session: Session, version: str | int) -> PredictiveModel:
    number = parse_id(str(version))
    model = repo.get_model(session, number) if number is not None and number < 2**31 else None
    if model is None:
        raise NotFound(
            f"Predictive model version {version} does not exist",
            context={"version": [str(version)]},
        )
    return model


def list_models(session: Session, *, after: str | None = None, limit: Any = 100) -> ModelsPage:
    """Stored versions, newest first; ``after`` is the version the previous page ended at."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise _fail(
            "Invalid limit",
            [_bad("limit", "INVALID_LIMIT", f"must be a whole number from 1 to {MAX_LIMIT}")],
        )
    before: int | None = None
    if after is not None:
        before = parse_id(after)
        if before is None:
            raise _fail(
                "Invalid cursor", [_bad("after", "INVALID_AFTER", "must be a version number")]
            )
    rows = repo.page_models(session, before=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return ModelsPage(rows, str(rows[-1].version) if more and rows else None)


def activate(
    session: Session, version: str | int, *, now: datetime | None = None
) -> tuple[PredictiveModel, ScoringSummary]:
    """Make a stored version the active one and score every live contact with it."""
    model = access_model(session, version)
    return model, _activate(session, model, ensure_utc(now or utcnow()))


def rescore(
    session: Session, *, now: datetime | None = None
) -> tuple[PredictiveModel, ScoringSummary]:
    """Score every live contact again with the active model (409 when there is none)."""
    model = repo.active_model(session)
    if model is None:
        raise Conflict("No predictive model is active: train one first")
    return model, score_all(session, model, now=ensure_utc(now or utcnow()))


def rescore_if_active(session: Session, *, now: datetime | None = None) -> ScoringSummary | None:
    """The daily job: re-score with the active model, or do nothing without one."""
    model = repo.active_model(session)
    if model is None:
        return None
    return score_all(session, model, now=ensure_utc(now or utcnow()))


def retrain_active(session: Session, *, now: datetime | None = None) -> Trained | None:
    """The weekly job: train again with the active model's own settings (the new version
    becomes active). Nothing without an active model; a retrain the data no longer allows
    is logged and skipped, the active model stays."""
    model = repo.active_model(session)
    if model is None:
        return None
    try:
        settings = _settings_of(model)
        return _train(session, settings, user_id=None, now=ensure_utc(now or utcnow()))
    except ValidationError as error:
        log_event(
            logger,
            "scoring.predictive_retrain_skipped",
            logging.WARNING,
            version=model.version,
            error=error.message,
        )
        return None


# --- documents --------------------------------------------------------------------------


def model_document(model: PredictiveModel) -> dict[str, Any]:
    """A stored version as the API and ``--json`` show it (never the artifact)."""
    return {
        "id": str(model.id),
        "version": model.version,
        "algorithm": model.algorithm,
        "active": model.active,
        "outcome": model.outcome,
        "seed": model.seed,
        "settings": model.features.get("settings", {}),
        "features": {
            "used": [f["name"] for f in model.features.get("fields", [])],
            "columns": model.features.get("columns", []),
            "excluded": model.features.get("excluded", []),
        },
        "metrics": model.metrics,
        "warnings": model.metrics.get("warnings", []),
        "trainedAt": iso_ms(model.trained_at),
        "trainedBy": str(model.trained_by) if model.trained_by is not None else None,
        "scoredAt": iso_ms(model.scored_at) if model.scored_at else None,
        "tierCutoffs": model.tier_cutoffs,
    }


def summary_document(summary: ScoringSummary) -> dict[str, Any]:
    return {
        "version": summary.version,
        "scored": summary.scored,
        "changed": summary.changed,
        "tierCutoffs": summary.tier_cutoffs,
    }


__all__ = [
    "ALGORITHMS",
    "CAUSE",
    "HISTORY_MODEL_ID",
    "TIERS",
    "ModelsPage",
    "ScoringSummary",
    "TrainSettings",
    "Trained",
    "access_model",
    "activate",
    "list_models",
    "model_document",
    "parse_settings",
    "rescore",
    "rescore_if_active",
    "retrain_active",
    "score_all",
    "summary_document",
    "train",
]
