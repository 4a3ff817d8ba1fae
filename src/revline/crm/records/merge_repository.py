"""All SQL of record merges (the record rows themselves go through records.repository)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import RowMapping, Table, delete, select, update
from sqlalchemy.orm import Session

from revline.crm.object_types import ObjectType
from revline.crm.records.repository import table_for
from revline.kit.db.dialect import add_to_counters
from revline.models import (
    AnonymousIdentity,
    Event,
    EventDailyCount,
    PropertyHistory,
    RecordMerge,
)


def lock_rows(session: Session, ot: ObjectType, ids: Sequence[int]) -> dict[int, RowMapping]:
    """The rows, locked for this transaction on PostgreSQL (in id order, so two merges of
    the same pair wait for each other instead of deadlocking). SQLite holds one writer."""
    table = table_for(ot)
    rows = session.execute(
        select(table).where(table.c.id.in_(sorted(ids))).order_by(table.c.id).with_for_update()
    ).mappings()
    return {int(r["id"]): r for r in rows}


def repoint_merged(session: Session, ot: ObjectType, old_id: int, new_id: int) -> None:
    """Records merged earlier into ``old_id`` now point straight at ``new_id``."""
    table = table_for(ot)
    session.execute(
        update(table).where(table.c.merged_into_id == old_id).values(merged_into_id=new_id)
    )


def move_history(session: Session, object_type: str, old_id: int, new_id: int) -> int:
    result = session.execute(
        update(PropertyHistory)
        .where(PropertyHistory.object_type == object_type, PropertyHistory.record_id == old_id)
        .values(record_id=new_id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def move_events(session: Session, old_id: int, new_id: int) -> int:
    """A merged contact's events, daily counts (added to the primary's) and anonymous ids
    go to the primary. Answers how many events moved."""
    moved = session.execute(
        update(Event)
        .where(Event.contact_id == old_id)
        .values(contact_id=new_id)
        .execution_options(synchronize_session=False)
    )
    counts = session.execute(
        select(
            EventDailyCount.event_type,
            EventDailyCount.detail,
            EventDailyCount.day,
            EventDailyCount.count,
        ).where(EventDailyCount.contact_id == old_id)
    ).all()
    if counts:
        table: Table = EventDailyCount.__table__  # type: ignore[assignment]
        add_to_counters(
            session.connection(),
            table,
            [
                {"contact_id": new_id, "event_type": t, "detail": d, "day": day, "count": n}
                for t, d, day, n in counts
            ],
            ("contact_id", "event_type", "detail", "day"),
            "count",
        )
        session.execute(delete(EventDailyCount).where(EventDailyCount.contact_id == old_id))
    session.execute(
        update(AnonymousIdentity)
        .where(AnonymousIdentity.contact_id == old_id)
        .values(contact_id=new_id)
        .execution_options(synchronize_session=False)
    )
    return int(moved.rowcount or 0)  # type: ignore[attr-defined]


def add_merge(session: Session, merge: RecordMerge) -> None:
    session.add(merge)
    session.flush()


def merges_into(session: Session, object_type: str, primary_id: int) -> Sequence[RecordMerge]:
    return session.scalars(
        select(RecordMerge)
        .where(RecordMerge.object_type == object_type, RecordMerge.primary_id == primary_id)
        .order_by(RecordMerge.id)
    ).all()
