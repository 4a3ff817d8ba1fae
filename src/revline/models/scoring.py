"""Lead scoring: rule-based score models, the history of every score change, and trained
predictive models. A model's current score lives on the contact itself, as the read-only
number property the model owns (``custom`` document), so it reads, searches and segments
like any other property."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Index, Integer, LargeBinary, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from revline.kit.db import Base, JSONDocument, Number, UTCDateTime
from revline.models._columns import BigId


class ScoreModel(Base):
    """A rule model (groups of rules, caps, thresholds, labels) or a combination of other
    models. Only active models keep scores on contacts; drafts are for backtests."""

    __tablename__ = "score_models"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    label: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # rules | combined
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    # The checked definition (groups and rules, caps, thresholds, labels, components).
    definition: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    # What can change a contact's score: properties, company properties, event types,
    # associations, other models (derived from the definition).
    dependencies: Mapped[dict[str, Any]] = mapped_column(
        JSONDocument, nullable=False, default=dict, server_default=text("'{}'")
    )
    # The contact properties the model writes: its score and, with labels, its tier.
    score_property: Mapped[str] = mapped_column(String(100), nullable=False)
    label_property: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    last_recomputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(
            "uq_score_models_name_active",
            "name",
            unique=True,
            sqlite_where=text("archived = 0"),
            postgresql_where=text("archived = false"),
        ),
    )


class ContactScore(Base):
    """A contact's current score (and label) under one active model, the value of the
    read-only contact properties ``revline_score_<model>`` and ``revline_score_<model>_label``.

    Kept beside the contact rather than in its ``custom`` document: a model change rescores
    every contact, and rewriting a million contact rows (each update touching every index of
    the table, trigram ones included) costs minutes where this narrow table takes seconds.
    Reads, search and segments see them as ordinary properties (``crm.records.scores``)."""

    __tablename__ = "contact_scores"

    score_property: Mapped[str] = mapped_column(String(100), primary_key=True)
    contact_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    score: Mapped[Decimal] = mapped_column(Number, nullable=False)
    label: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_contact_scores_contact", "contact_id"),)


class ScoreChange(Base):
    """A contact's score under one model changed: from what, to what, and why."""

    __tablename__ = "score_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(BigId, nullable=False)
    contact_id: Mapped[int] = mapped_column(BigId, nullable=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    old_score: Mapped[Decimal | None] = mapped_column(Number)
    new_score: Mapped[Decimal | None] = mapped_column(Number)
    old_label: Mapped[str | None] = mapped_column(String(32))
    new_label: Mapped[str | None] = mapped_column(String(32))
    # event, property, association, merge, model, decay, recompute, predictive
    cause: Mapped[str] = mapped_column(String(32), nullable=False)
    # What exactly: the event types, property names, model version, ...
    cause_detail: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        Index("ix_score_history_contact", "contact_id", "model_id", "changed_at"),
        Index("ix_score_history_model", "model_id", "changed_at"),
    )


class PredictiveModel(Base):
    """One trained version of the predictive score: what it learnt from, how well it did,
    and the fitted estimator itself."""

    __tablename__ = "predictive_models"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # logistic_regression | gradient_boosting
    algorithm: Mapped[str] = mapped_column(String(32), nullable=False)
    # The outcome trained against, the features used and those left out (and why).
    outcome: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    features: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    # Cross-validated AUC, calibration by decile, top features, warnings, row counts.
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    seed: Mapped[int] = mapped_column(Integer, nullable=False)
    # The fitted estimator (scikit-learn pipeline), serialised by joblib.
    artifact: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    trained_by: Mapped[int | None] = mapped_column(BigId)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Score cut-offs of the quartile tiers, learnt from the scored population.
    tier_cutoffs: Mapped[list[Any]] = mapped_column(
        JSONDocument, nullable=False, default=list, server_default=text("'[]'")
    )

    __table_args__ = (Index("ix_predictive_models_version", "version", unique=True),)
