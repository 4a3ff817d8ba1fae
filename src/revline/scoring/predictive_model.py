"""The estimator of the predictive score and how it is judged: the scikit-learn pipeline,
cross-validated ROC AUC, calibration by decile, the features that weigh most, and the
leakage checks (a field that alone separates the outcome, or a property that converted
contacts only got after converting)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from revline.kit.time import ensure_utc
from revline.scoring import outcomes
from revline.scoring import predictive_repository as repo
from revline.scoring.features import CATEGORICAL, MISSING, NUMERIC, FeatureSpec
from revline.scoring.outcomes import Outcome

LOGISTIC_REGRESSION = "logistic_regression"
GRADIENT_BOOSTING = "gradient_boosting"
ALGORITHMS = (LOGISTIC_REGRESSION, GRADIENT_BOOSTING)
FOLDS = 5
# A single field this good on its own is more likely written after the outcome than a cause.
LEAKAGE_AUC = 0.9
# At least this many converted contacts must show when a property was first set.
HISTORY_EVIDENCE = 5
TOP_FEATURES = 15
PERMUTATION_ROWS = 5_000
PERMUTATION_REPEATS = 5


@contextmanager
def one_thread() -> Iterator[None]:
    """Fit and predict on one thread. The worker shares its machine with the database and the
    web process; OpenMP and BLAS threads that spin while waiting for busy cores made a
    gradient-boosting fit some 40 times slower under load than on one thread (and a small
    fit is quicker on one thread even on an idle machine)."""
    with threadpool_limits(limits=1):
        yield


# --- the model --------------------------------------------------------------------------


def build_pipeline(spec: FeatureSpec, algorithm: str, c: float, seed: int) -> Pipeline:
    numeric = [i for i, col in enumerate(spec.columns) if col.kind == NUMERIC]
    categorical = [i for i, col in enumerate(spec.columns) if col.kind == CATEGORICAL]
    parts: list[tuple[str, Any, list[int]]] = []
    if numeric:
        parts.append(
            (
                "numeric",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median", add_indicator=True)),
                        ("scale", StandardScaler()),
                    ]
                ),
                numeric,
            )
        )
    if categorical:
        # Every code is a known category (the kept ones, other, missing), so the encoder's
        # columns are the same whatever a training sample happens to hold.
        categories = [np.arange(len(spec.columns[i].labels()), dtype=float) for i in categorical]
        parts.append(
            (
                "categorical",
                OneHotEncoder(
                    categories=categories,
                    handle_unknown="ignore",
                    sparse_output=False,
                ),
                categorical,
            )
        )
    estimator: Any
    if algorithm == GRADIENT_BOOSTING:
        estimator = HistGradientBoostingClassifier(random_state=seed)
    else:
        estimator = LogisticRegression(C=c, l1_ratio=0.0, max_iter=2_000, random_state=seed)
    return Pipeline([("prepare", ColumnTransformer(parts, remainder="drop")), ("model", estimator)])


def _transformed(pipeline: Pipeline, spec: FeatureSpec) -> list[tuple[str, str, str | None]]:
    """(field, column, category or "missing") of each column the model sees."""
    out: list[tuple[str, str, str | None]] = []
    prepare: ColumnTransformer = pipeline.named_steps["prepare"]
    for name, transformer, index in prepare.transformers_:
        if name == "numeric":
            columns = [spec.columns[i] for i in index]
            out += [(col.field, col.name, None) for col in columns]
            indicator = transformer.named_steps["impute"].indicator_
            if indicator is not None:
                out += [(columns[k].field, columns[k].name, MISSING) for k in indicator.features_]
        elif name == "categorical":
            for k, i in enumerate(index):
                col = spec.columns[i]
                labels = col.labels()
                out += [
                    (col.field, col.name, labels[int(code)]) for code in transformer.categories_[k]
                ]
    return out


def rounded(value: Any, places: int = 6) -> float:
    return float(round(float(value), places))


def _auc(y: NDArray[np.int_], scores: NDArray[np.float64]) -> float:
    return float(roc_auc_score(y, scores))


def cross_validate(
    pipeline: Pipeline, x: NDArray[np.float64], y: NDArray[np.int_], seed: int
) -> tuple[list[float], NDArray[np.float64]]:
    """Per-fold ROC AUC and every row's out-of-fold probability."""
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    predicted = np.zeros(len(y))
    aucs: list[float] = []
    for train_rows, test_rows in folds.split(x, y):
        model = clone(pipeline).fit(x[train_rows], y[train_rows])
        predicted[test_rows] = model.predict_proba(x[test_rows])[:, 1]
        aucs.append(_auc(y[test_rows], predicted[test_rows]))
    return aucs, predicted


def calibration(y: NDArray[np.int_], predicted: NDArray[np.float64]) -> list[dict[str, Any]]:
    """Mean predicted chance and observed rate per tenth of the rows, lowest first."""
    order = np.argsort(predicted, kind="stable")
    out = []
    for i, rows in enumerate(np.array_split(order, 10)):
        if len(rows) == 0:
            continue
        out.append(
            {
                "decile": i + 1,
                "rows": len(rows),
                "meanPredicted": rounded(np.mean(predicted[rows])),
                "observedRate": rounded(np.mean(y[rows])),
            }
        )
    return out


def top_features(
    pipeline: Pipeline,
    spec: FeatureSpec,
    algorithm: str,
    x: NDArray[np.float64],
    y: NDArray[np.int_],
    seed: int,
) -> list[dict[str, Any]]:
    if algorithm == LOGISTIC_REGRESSION:
        weights = pipeline.named_steps["model"].coef_[0]
        names = _transformed(pipeline, spec)
        ranked = sorted(
            zip(names, weights, strict=True), key=lambda nw: (-abs(float(nw[1])), nw[0][1])
        )
        return [
            {"field": f, "column": col, "value": value, "weight": rounded(w)}
            for (f, col, value), w in ranked[:TOP_FEATURES]
        ]
    # Gradient boosting: how much shuffling each column costs in ROC AUC, on a seeded
    # sample of the training rows.
    rows = np.arange(len(y))
    if len(rows) > PERMUTATION_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, PERMUTATION_ROWS, replace=False))
    found = permutation_importance(
        pipeline,
        x[rows],
        y[rows],
        scoring="roc_auc",
        n_repeats=PERMUTATION_REPEATS,
        random_state=seed,
    )
    ranked_columns = sorted(
        range(len(spec.columns)),
        key=lambda j: (-float(found.importances_mean[j]), spec.columns[j].name),
    )
    return [
        {
            "field": spec.columns[j].field,
            "column": spec.columns[j].name,
            "value": None,
            "importance": rounded(found.importances_mean[j]),
        }
        for j in ranked_columns[:TOP_FEATURES]
    ]


# --- leakage ----------------------------------------------------------------------------


def _column_auc(values: NDArray[np.float64], kind: str, y: NDArray[np.int_]) -> float:
    """How well one column alone orders the rows (either way round)."""
    if kind == CATEGORICAL:
        # Each category scored by its own rate of the outcome.
        scores = np.zeros(len(y))
        for code in np.unique(values):
            rows = values == code
            scores[rows] = np.mean(y[rows])
    else:
        scores = values.copy()
        missing = np.isnan(scores)
        if missing.all():
            return 0.5
        # Missing values rank below every present one: "filled in" is a signal too.
        scores[missing] = np.nanmin(scores) - 1
    auc = _auc(y, scores)
    return max(auc, 1 - auc)


def univariate_auc(
    spec: FeatureSpec, x: NDArray[np.float64], y: NDArray[np.int_]
) -> dict[str, float]:
    best: dict[str, float] = {}
    for j, col in enumerate(spec.columns):
        auc = _column_auc(x[:, j], col.kind, y)
        best[col.field] = max(best.get(col.field, 0.0), auc)
    return {f: rounded(a, 4) for f, a in best.items()}


def set_after_conversion(
    session: Session,
    outcome: Outcome,
    spec: FeatureSpec,
    positives: list[int],
    reference: datetime,
) -> dict[str, float]:
    """Contact properties that most converted contacts only got after converting: the share
    of them, per property. Only contacts whose history began before they converted count
    (history written by a later import says nothing about timing)."""
    names = [f.key for f in spec.fields if f.source == "contact"]
    if not outcome.time_based or not names or not positives:
        return {}
    converted = outcomes.conversion_times(session, outcome, reference, positives)
    late: dict[str, int] = {}
    seen: dict[str, int] = {}
    for chunk in repo.chunks(sorted(converted)):
        began = repo.first_history(session, chunk)
        eligible = {c for c in chunk if c in began and ensure_utc(began[c]) <= converted[c]}
        for contact_id, name, first in repo.first_values(session, sorted(eligible), names):
            seen[name] = seen.get(name, 0) + 1
            if ensure_utc(first) > converted[contact_id]:
                late[name] = late.get(name, 0) + 1
    return {
        name: rounded(late.get(name, 0) / count, 4)
        for name, count in seen.items()
        if count >= HISTORY_EVIDENCE and late.get(name, 0) / count > 0.5
    }


def leakage_warnings(
    univariate: dict[str, float], late: dict[str, float], spec: FeatureSpec
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f in spec.fields:
        auc = univariate.get(f.name, 0.0)
        if auc >= LEAKAGE_AUC:
            out.append(
                {
                    "field": f.name,
                    "code": "SUSPICIOUSLY_PREDICTIVE",
                    "auc": auc,
                    "message": f"{f.name} alone separates the outcome with ROC AUC {auc:.3f}: "
                    "suspiciously predictive. Is it filled in after the outcome? If so, "
                    "exclude it.",
                }
            )
        if f.source == "contact" and f.key in late:
            share = late[f.key]
            out.append(
                {
                    "field": f.name,
                    "code": "SET_AFTER_CONVERSION",
                    "share": share,
                    "message": f"{f.name} was first set after the conversion for "
                    f"{share:.0%} of the converted contacts: it probably records the "
                    "outcome rather than predicting it. If so, exclude it.",
                }
            )
    return out
