"""SQL of the contact timeline: one keyset query per kind of item, newest first.

Every query orders by (timestamp, id) descending and takes the rows after the page's cursor
(timestamp, kind, id); the caller merges the kinds. Ties on the timestamp are broken by kind
name, then id, so the order is total and a page boundary never drops or repeats an item.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from revline.kit.db import UTCDateTime
from revline.models import (
    Association,
    Engagement,
    Event,
    LifecycleChange,
    PropertyHistory,
    ScoreChange,
    ScoreModel,
    StageTransition,
)

Cursor = tuple[datetime, str, int]
ENGAGEMENT_TYPES = ("calls", "emails", "meetings", "notes", "tasks")


def _after(kind: str, at: Any, ident: Any, cursor: Cursor | None) -> ColumnElement[bool]:
    if cursor is None:
        return true()
    ts, cursor_kind, cursor_id = cursor
    if kind < cursor_kind:
        return at <= ts  # type: ignore[no-any-return]
    if kind > cursor_kind:
        return at < ts  # type: ignore[no-any-return]
    return or_(at < ts, and_(at == ts, ident < cursor_id))


def events(session: Session, contact_id: int, cursor: Cursor | None, limit: int) -> list[Event]:
    return list(
        session.scalars(
            select(Event)
            .where(
                Event.contact_id == contact_id,
                _after("event", Event.occurred_at, Event.id, cursor),
            )
            .order_by(Event.occurred_at.desc(), Event.id.desc())
            .limit(limit)
        )
    )


def engagements(
    session: Session, contact_id: int, cursor: Cursor | None, limit: int
) -> list[tuple[Engagement, datetime]]:
    at = func.coalesce(Engagement.hs_timestamp, Engagement.created_at, type_=UTCDateTime())
    linked = select(Association.to_id).where(
        Association.from_type == "contacts",
        Association.from_id == contact_id,
        Association.to_type.in_(ENGAGEMENT_TYPES),
        Association.archived.is_(False),
    )
    rows = session.execute(
        select(Engagement, at)
        .where(
            Engagement.id.in_(linked),
            Engagement.archived == false(),
            _after("engagement", at, Engagement.id, cursor),
        )
        .order_by(at.desc(), Engagement.id.desc())
        .limit(limit)
    ).all()
    return [(r[0], r[1]) for r in rows]


def property_changes(
    session: Session, contact_id: int, cursor: Cursor | None, limit: int
) -> list[PropertyHistory]:
    return list(
        session.scalars(
            select(PropertyHistory)
            .where(
                PropertyHistory.object_type == "contacts",
                PropertyHistory.record_id == contact_id,
                _after("property_change", PropertyHistory.changed_at, PropertyHistory.id, cursor),
            )
            .order_by(PropertyHistory.changed_at.desc(), PropertyHistory.id.desc())
            .limit(limit)
        )
    )


def lifecycle_changes(
    session: Session, contact_id: int, cursor: Cursor | None, limit: int
) -> list[LifecycleChange]:
    return list(
        session.scalars(
            select(LifecycleChange)
            .where(
                LifecycleChange.object_type == "contacts",
                LifecycleChange.record_id == contact_id,
                _after("lifecycle_change", LifecycleChange.changed_at, LifecycleChange.id, cursor),
            )
            .order_by(LifecycleChange.changed_at.desc(), LifecycleChange.id.desc())
            .limit(limit)
        )
    )


def score_changes(
    session: Session, contact_id: int, cursor: Cursor | None, limit: int
) -> list[tuple[ScoreChange, str | None]]:
    """Score changes with the name of the model (None for the predictive score)."""
    return [
        (change, name)
        for change, name in session.execute(
            select(ScoreChange, ScoreModel.name)
            .outerjoin(ScoreModel, ScoreModel.id == ScoreChange.model_id)
            .where(
                ScoreChange.contact_id == contact_id,
                _after("score_change", ScoreChange.changed_at, ScoreChange.id, cursor),
            )
            .order_by(ScoreChange.changed_at.desc(), ScoreChange.id.desc())
            .limit(limit)
        )
    ]


def deal_stage_changes(
    session: Session, contact_id: int, cursor: Cursor | None, limit: int
) -> list[StageTransition]:
    deals = select(Association.to_id).where(
        Association.from_type == "contacts",
        Association.from_id == contact_id,
        Association.to_type == "deals",
        Association.archived.is_(False),
    )
    return list(
        session.scalars(
            select(StageTransition)
            .where(
                StageTransition.deal_id.in_(deals),
                _after("deal_stage_change", StageTransition.changed_at, StageTransition.id, cursor),
            )
            .order_by(StageTransition.changed_at.desc(), StageTransition.id.desc())
            .limit(limit)
        )
    )
