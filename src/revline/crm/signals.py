"""Announcing changes that segments (and, later, scores) react to.

Packages below segments (records, associations, events) cannot call them; instead they call
:func:`contacts_changed` in the transaction of the change, which writes one durable job of
kind ``segments.reevaluate`` when there is anything to re-evaluate. The job's handler (in
``revline.segments.tasks``) works out which segments the change can affect and re-evaluates
only those, only for the contacts concerned.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from revline.jobs import queue
from revline.models import Segment

REEVALUATE = "segments.reevaluate"


def _has_dynamic_segments(session: Session) -> bool:
    found = session.execute(
        select(Segment.id).where(Segment.kind == "dynamic", Segment.archived.is_(False)).limit(1)
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
) -> int | None:
    """Ask for the segments that read any of what changed to be re-evaluated for ``ids``.

    ``object_type`` is ``contacts`` (the ids are contacts) or ``companies`` (contacts whose
    primary company is one of them are concerned). ``properties`` are the property names that
    changed on those records, ``events`` the event types recorded for them, and
    ``associations`` says that their contact-company links changed. Returns the job's id, or
    None when no dynamic segment exists (nothing to do).
    """
    if not ids or not _has_dynamic_segments(session):
        return None
    payload = {
        "object_type": object_type,
        "ids": sorted(set(ids)),
        "properties": sorted(set(properties)),
        "events": sorted(set(events)),
        "associations": associations,
    }
    return queue.enqueue(session, REEVALUATE, payload)
