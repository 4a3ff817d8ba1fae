"""All SQL of events, daily counts, anonymous identities and event definitions."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, and_, delete, false, or_, select, update
from sqlalchemy.orm import Session

from revline.kit.db.dialect import add_to_counters, in_values, insert_missing, insert_returning
from revline.models import (
    AnonymousIdentity,
    Contact,
    Event,
    EventDailyCount,
    EventDefinition,
)

EVENTS: Table = Event.__table__  # type: ignore[assignment]
COUNTS: Table = EventDailyCount.__table__  # type: ignore[assignment]
IDENTITIES: Table = AnonymousIdentity.__table__  # type: ignore[assignment]
_COUNT_KEYS = ("contact_id", "event_type", "detail", "day")


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


# --- definitions ------------------------------------------------------------------------


def definitions(session: Session, *, archived: bool | None = False) -> Sequence[EventDefinition]:
    query = select(EventDefinition).order_by(EventDefinition.name)
    if archived is not None:
        query = query.where(EventDefinition.archived.is_(archived))
    return session.scalars(query).all()


def definition_by_name(session: Session, name: str) -> EventDefinition | None:
    return session.scalars(select(EventDefinition).where(EventDefinition.name == name)).first()


def add_definition(session: Session, definition: EventDefinition) -> None:
    session.add(definition)
    session.flush()


# --- contacts and identities ------------------------------------------------------------


@dataclass(frozen=True)
class ContactState:
    id: int
    archived: bool
    merged_into_id: int | None


def contacts_by_id(session: Session, ids: Collection[int]) -> dict[int, ContactState]:
    if not ids:
        return {}
    rows = session.execute(
        select(Contact.id, Contact.archived, Contact.merged_into_id).where(
            in_values(_dialect(session), Contact.id, sorted(ids))
        )
    )
    return {int(r[0]): ContactState(int(r[0]), bool(r[1]), r[2]) for r in rows}


def contacts_by_email(session: Session, emails: Collection[str]) -> dict[str, int]:
    """Live contacts by their (lower-cased) email; one query on the unique email index."""
    if not emails:
        return {}
    rows = session.execute(
        select(Contact.email, Contact.id).where(
            in_values(_dialect(session), Contact.email, sorted(emails)),
            # "= false", not "IS FALSE": the partial unique index on email is "WHERE archived
            # = false", and only the same predicate lets the planner use it.
            Contact.archived == false(),
        )
    )
    return {str(r[0]): int(r[1]) for r in rows}


def identities(session: Session, anonymous_ids: Collection[str]) -> dict[str, int]:
    if not anonymous_ids:
        return {}
    rows = session.execute(
        select(AnonymousIdentity.anonymous_id, AnonymousIdentity.contact_id).where(
            in_values(_dialect(session), AnonymousIdentity.anonymous_id, sorted(anonymous_ids))
        )
    )
    return {str(r[0]): int(r[1]) for r in rows}


def add_identities(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Record new identities; one another transaction recorded meanwhile is left as it is
    (the caller reads them back to see who won)."""
    if rows:
        session.execute(insert_missing(_dialect(session), IDENTITIES, rows))


def attach_anonymous(
    session: Session, anonymous_ids: Collection[str], contact_id: int
) -> list[tuple[str, str | None, datetime]]:
    """Give the anonymous events of ``anonymous_ids`` to ``contact_id``; answers the moved
    events' (event_type, detail, occurred_at) for their daily counts."""
    if not anonymous_ids:
        return []
    result = session.execute(
        update(Event)
        .where(Event.anonymous_id.in_(sorted(anonymous_ids)), Event.contact_id.is_(None))
        .values(contact_id=contact_id)
        .returning(Event.event_type, Event.detail, Event.occurred_at)
        .execution_options(synchronize_session=False)
    )
    return [(str(r[0]), r[1], r[2]) for r in result]


# --- writing events ---------------------------------------------------------------------


def insert_events(
    session: Session, rows: Sequence[dict[str, Any]]
) -> tuple[dict[str, int], list[int]]:
    """Insert events in one statement. Rows whose idempotency key is already stored (by
    anyone, concurrently too: the unique index decides) are skipped. Answers the new ids by
    key, and the ids of the rows without a key in the order of ``rows``."""
    if not rows:
        return {}, []
    returned = insert_returning(
        session.connection(),
        EVENTS,
        rows,
        ("id", "idempotency_key"),
        skip_conflicts=True,
    )
    by_key = {str(key): int(ident) for ident, key in returned if key is not None}
    # Ids of one statement ascend in the order its rows were inserted.
    plain = sorted(int(ident) for ident, key in returned if key is None)
    return by_key, plain


def events_by_keys(session: Session, keys: Collection[str]) -> dict[str, Event]:
    if not keys:
        return {}
    found = session.scalars(
        select(Event).where(in_values(_dialect(session), Event.idempotency_key, sorted(keys)))
    )
    return {str(e.idempotency_key): e for e in found}


def events_by_ids(session: Session, ids: Collection[int]) -> dict[int, Event]:
    if not ids:
        return {}
    return {e.id: e for e in session.scalars(select(Event).where(Event.id.in_(sorted(ids))))}


def add_daily_counts(session: Session, counts: dict[tuple[int, str, str, date], int]) -> None:
    """Add ``counts`` to the per-day counters in one statement."""
    if not counts:
        return
    # In key order, so two transactions adding to the same counters lock them in one order
    # and wait for each other instead of deadlocking.
    rows = [
        {"contact_id": c, "event_type": t, "detail": d, "day": day, "count": n}
        for (c, t, d, day), n in sorted(counts.items())
    ]
    add_to_counters(session.connection(), COUNTS, rows, _COUNT_KEYS, "count")


def daily_counts(session: Session, contact_id: int) -> list[tuple[str, str, date, int]]:
    rows = session.execute(
        select(
            EventDailyCount.event_type,
            EventDailyCount.detail,
            EventDailyCount.day,
            EventDailyCount.count,
        )
        .where(EventDailyCount.contact_id == contact_id)
        .order_by(EventDailyCount.event_type, EventDailyCount.detail, EventDailyCount.day)
    )
    return [(str(r[0]), str(r[1]), r[2], int(r[3])) for r in rows]


# --- reading events ---------------------------------------------------------------------


def list_events(
    session: Session,
    *,
    contact_id: int | None,
    event_type: str | None,
    start: datetime | None,
    end: datetime | None,
    before: tuple[datetime, int] | None,
    limit: int,
) -> Sequence[Event]:
    """Newest first by (occurred_at, id); ``before`` is the last key of the previous page."""
    query = select(Event)
    if contact_id is not None:
        query = query.where(Event.contact_id == contact_id)
    if event_type is not None:
        query = query.where(Event.event_type == event_type)
    if start is not None:
        query = query.where(Event.occurred_at >= start)
    if end is not None:
        query = query.where(Event.occurred_at < end)
    if before is not None:
        at, ident = before
        query = query.where(
            or_(Event.occurred_at < at, and_(Event.occurred_at == at, Event.id < ident))
        )
    query = query.order_by(Event.occurred_at.desc(), Event.id.desc()).limit(limit)
    return session.scalars(query).all()


# --- retention --------------------------------------------------------------------------


def stored_types(session: Session) -> list[str]:
    """The event types that have rows (answered from ix_events_type_time)."""
    return [str(t) for t in session.scalars(select(Event.event_type).distinct())]


def delete_older(session: Session, event_type: str, cutoff: datetime, chunk: int) -> int:
    """Delete up to ``chunk`` events of one type that occurred before ``cutoff``."""
    ids = (
        select(Event.id)
        .where(Event.event_type == event_type, Event.occurred_at < cutoff)
        .limit(chunk)
        .scalar_subquery()
    )
    result = session.execute(
        delete(Event).where(Event.id.in_(ids)).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
