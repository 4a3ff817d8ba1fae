"""All SQL of the lifecycle rules: workspace settings, lifecycle events, stage reads and the
set-based reads the sync rules need."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, false, func, or_, select, update
from sqlalchemy.orm import Session

from revline.crm.object_types import ObjectType
from revline.crm.records import repository as records_repo
from revline.kit.db.dialect import insert_many, json_text, json_with_key
from revline.models import Association, LifecycleChange

# Ids per IN (...) list: far below every engine's bound-parameter limit.
_CHUNK = 500


def insert_changes(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    table: Table = LifecycleChange.__table__  # type: ignore[assignment]
    insert_many(session.connection(), table, rows)


def stage_rows(
    session: Session, ot: ObjectType, ids: Sequence[int]
) -> list[tuple[int, str | None, dict[str, Any]]]:
    """(id, lifecyclestage, custom document) of the live records among ``ids``."""
    table = records_repo.table_for(ot)
    found: list[tuple[int, str | None, dict[str, Any]]] = []
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        rows = session.execute(
            select(table.c.id, table.c.lifecyclestage, table.c.custom).where(
                table.c.id.in_(chunk), records_repo.live(table)
            )
        )
        found.extend((int(r[0]), r[1], dict(r[2] or {})) for r in rows)
    return found


def linked_pairs(
    session: Session, from_type: str, from_ids: Sequence[int], to_type: str
) -> list[tuple[int, int]]:
    """(from id, to id) of the live links from some records to another object type, whatever
    their label (each pair once)."""
    pairs: set[tuple[int, int]] = set()
    ordered = sorted(set(from_ids))
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        rows = session.execute(
            select(Association.from_id, Association.to_id)
            .where(
                Association.from_type == from_type,
                Association.from_id.in_(chunk),
                Association.to_type == to_type,
                Association.archived == false(),
            )
            .distinct()
        )
        pairs.update((int(a), int(b)) for a, b in rows)
    return sorted(pairs)


def count_by(session: Session, ot: ObjectType, column: str) -> dict[str | None, int]:
    """Live records per value of one column (None for records without a value)."""
    table = records_repo.table_for(ot)
    rows = session.execute(
        select(table.c[column], func.count())
        .where(and_(records_repo.live(table), table.c.merged_into_id.is_(None)))
        .group_by(table.c[column])
    )
    return {r[0]: int(r[1]) for r in rows}


def set_document_key_where(
    session: Session,
    ot: ObjectType,
    column: str,
    value: str,
    key: str,
    new: str | None,
    at: datetime,
) -> list[int]:
    """Set one custom-document key on every live record whose ``column`` equals ``value`` and
    whose key holds something else, in one statement; ``updated_at`` becomes ``at``. Returns
    the ids of the rows changed."""
    table = records_repo.table_for(ot)
    dialect = session.get_bind().dialect.name
    held = json_text(dialect, table.c.custom, key)
    differs = held.is_(None) if new is None else or_(held.is_(None), held != new)
    result = session.execute(
        update(table)
        .where(table.c[column] == value, table.c.archived == false(), differs)
        .values(custom=json_with_key(dialect, table.c.custom, key, new), updated_at=at)
        .returning(table.c.id)
    )
    return [int(i) for i in result.scalars()]


def changes_of(
    session: Session, object_type: str, record_id: int, *, after_id: int | None, limit: int
) -> list[LifecycleChange]:
    """A record's lifecycle events, newest first, paged by event id."""
    stmt = select(LifecycleChange).where(
        LifecycleChange.object_type == object_type, LifecycleChange.record_id == record_id
    )
    if after_id is not None:
        stmt = stmt.where(LifecycleChange.id < after_id)
    stmt = stmt.order_by(LifecycleChange.changed_at.desc(), LifecycleChange.id.desc()).limit(limit)
    return list(session.scalars(stmt))
