"""All SQL for record rows of every object type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Table, and_, insert, select, true, update
from sqlalchemy.orm import Session

from revline.crm.object_types import ObjectType
from revline.kit.db.dialect import json_text
from revline.models.records import RECORD_MODELS


def table_for(ot: ObjectType) -> Table:
    return RECORD_MODELS[ot.table].__table__  # type: ignore[attr-defined, no-any-return]


def _scope(ot: ObjectType, table: Table) -> ColumnElement[bool]:
    if ot.engagement_type is not None:
        return table.c.engagement_type == ot.engagement_type
    return true()


def _archived(table: Table, archived: bool | None) -> ColumnElement[bool]:
    if archived is None:
        return true()
    return table.c.archived.is_(archived)


def column_length(ot: ObjectType, column: str) -> int | None:
    """The most characters a string column holds (PostgreSQL enforces it; SQLite does not)."""
    length = getattr(table_for(ot).c[column].type, "length", None)
    return length if isinstance(length, int) else None


def insert_row(session: Session, ot: ObjectType, values: dict[str, Any]) -> int:
    table = table_for(ot)
    if ot.engagement_type is not None:
        values = {**values, "engagement_type": ot.engagement_type}
    new_id = session.execute(insert(table).values(**values).returning(table.c.id)).scalar_one()
    return int(new_id)


def update_row(session: Session, ot: ObjectType, record_id: int, values: dict[str, Any]) -> None:
    table = table_for(ot)
    session.execute(
        update(table).where(table.c.id == record_id, _scope(ot, table)).values(**values)
    )


def rows_by_id(
    session: Session, ot: ObjectType, ids: Sequence[int], *, archived: bool | None
) -> dict[int, RowMapping]:
    if not ids:
        return {}
    table = table_for(ot)
    rows = session.execute(
        select(table).where(table.c.id.in_(ids), _scope(ot, table), _archived(table, archived))
    ).mappings()
    return {int(r["id"]): r for r in rows}


def page(
    session: Session, ot: ObjectType, *, after_id: int | None, limit: int, archived: bool
) -> list[RowMapping]:
    table = table_for(ot)
    cond = and_(_scope(ot, table), table.c.archived.is_(archived))
    if after_id is not None:
        cond = and_(cond, table.c.id > after_id)
    return list(
        session.execute(select(table).where(cond).order_by(table.c.id).limit(limit)).mappings()
    )


def find_by_column(
    session: Session,
    ot: ObjectType,
    column: str,
    value: Any,
    *,
    archived: bool | None = False,
    exclude_id: int | None = None,
) -> RowMapping | None:
    table = table_for(ot)
    cond = and_(_scope(ot, table), _archived(table, archived), table.c[column] == value)
    if exclude_id is not None:
        cond = and_(cond, table.c.id != exclude_id)
    return (
        session.execute(select(table).where(cond).order_by(table.c.id).limit(1)).mappings().first()
    )


def find_by_custom(
    session: Session,
    ot: ObjectType,
    key: str,
    value: str,
    *,
    archived: bool | None = False,
    exclude_id: int | None = None,
) -> RowMapping | None:
    table = table_for(ot)
    dialect = session.get_bind().dialect.name
    cond = and_(
        _scope(ot, table),
        _archived(table, archived),
        json_text(dialect, table.c.custom, key) == value,
    )
    if exclude_id is not None:
        cond = and_(cond, table.c.id != exclude_id)
    return (
        session.execute(select(table).where(cond).order_by(table.c.id).limit(1)).mappings().first()
    )


def live_ids(session: Session, ot: ObjectType, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` are live (not archived) records of ``ot``."""
    if not ids:
        return set()
    table = table_for(ot)
    rows = session.execute(
        select(table.c.id).where(
            table.c.id.in_(ids), _scope(ot, table), table.c.archived.is_(False)
        )
    )
    return {int(r[0]) for r in rows}
