"""Announcing changes that segments and scores react to.

Packages below segments and scoring (records, associations, events) cannot call them;
instead they call :func:`contacts_changed` in the transaction of the change, which writes one
durable job of kind ``segments.reevaluate`` when a dynamic segment exists and one of kind
``scoring.recompute`` when an active score model exists. The handlers (in
``revline.segments.tasks`` and ``revline.scoring.tasks``) work out which segments or models
the change can affect and re-evaluate only those, only for the contacts concerned.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from revline.jobs import queue
from revline.models import ScoreModel, Segment

REEVALUATE = "segments.reevaluate"
RESCORE = "scoring.recompute"


def _has_dynamic_segments(session: Session) -> bool:
    found = session.execute(
        select(Segment.id).where(Segment.kind == "dynamic", Segment.archived.is_(False)).limit(1)
    ).first()
    return found is not None


def _has_active_score_models(session: Session) -> bool:
    found = session.execute(
        select(ScoreModel.id)
        .where(ScoreModel.active.is_(True), ScoreModel.archived.is_(False))
        .limit(1)
    ).first()
    return found is not None


def contacts_changed(
    session: Session,
    *,
    object_type: str = "contacts",
    ids: Collection[int],
    properties: Collection[str] = (),
    events: Collection[str] = (),
    associations: bool = False,
    scoring: bool = True,
) -> int | None:
    """Ask for the segments that read any of what changed to be re-evaluated for ``ids``.

    ``object_type`` is ``contacts`` (the ids are contacts) or ``companies`` (contacts whose
    primary company is one of them are concerned). ``properties`` are the property names that
    changed on those records, ``events`` the event types recorded for them, and
    ``associations`` says that their contact-company links changed. ``scoring`` False leaves
    scores alone (the change is a score). Returns the segment job's id, or None when no
    dynamic segment exists.
    """
    if not ids:
        return None
    payload = {
        "object_type": object_type,
        "ids": sorted(set(ids)),
        "properties": sorted(set(properties)),
        "events": sorted(set(events)),
        "associations": associations,
    }
    if scoring and _has_active_score_models(session):
        queue.enqueue(session, RESCORE, payload)
    if not _has_dynamic_segments(session):
        return None
    return queue.enqueue(session, REEVALUATE, payload)
