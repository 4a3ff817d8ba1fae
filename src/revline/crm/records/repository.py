"""All SQL for record rows of every object type."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Table,
    and_,
    bindparam,
    false,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from revline.crm.object_types import ObjectType
from revline.kit.db.dialect import insert_many, json_text
from revline.models import PropertyHistory
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
    # A literal "archived = false" (not "IS", not a bound parameter) is what lets the planners
    # use the partial indexes (uq_contacts_email_active ...): SQLite only matches an index's
    # WHERE against literal terms, and a generic PostgreSQL plan cannot assume a parameter's
    # value. Otherwise the unique-value check scans every live record.
    return table.c.archived == (true() if archived else false())


def live(table: Table) -> ColumnElement[bool]:
    """Not archived (merged records are archived too)."""
    return _archived(table, False)


@functools.cache
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
    # Merged records are archived but never listed: they live on in their survivor.
    cond = and_(_scope(ot, table), _archived(table, archived), table.c.merged_into_id.is_(None))
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


def ids_by_column(
    session: Session, ot: ObjectType, column: str, values: Sequence[Any]
) -> list[tuple[int, Any]]:
    """(id, value) of every live record whose ``column`` holds one of ``values``."""
    if not values:
        return []
    table = table_for(ot)
    rows = session.execute(
        select(table.c.id, table.c[column]).where(
            _scope(ot, table), _archived(table, False), table.c[column].in_(values)
        )
    )
    return [(int(r[0]), r[1]) for r in rows]


def ids_by_custom(
    session: Session, ot: ObjectType, key: str, values: Sequence[str]
) -> list[tuple[int, str]]:
    """(id, value) of every live record whose custom value ``key`` is one of ``values``."""
    if not values:
        return []
    table = table_for(ot)
    value = json_text(session.get_bind().dialect.name, table.c.custom, key)
    rows = session.execute(
        select(table.c.id, value).where(
            _scope(ot, table), _archived(table, False), value.in_(values)
        )
    )
    return [(int(r[0]), str(r[1])) for r in rows]


def insert_rows(session: Session, ot: ObjectType, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert many records in as few statements as the driver allows; the new ids come back
    in the order of ``rows``."""
    if not rows:
        return []
    table = table_for(ot)
    keys = list(dict.fromkeys(k for row in rows for k in row))
    extra = {"engagement_type": ot.engagement_type} if ot.engagement_type is not None else {}
    params = [{**{k: row.get(k) for k in keys}, **extra} for row in rows]
    if session.get_bind().dialect.name == "sqlite":
        # SQLAlchemy keeps parameter order on SQLite only by inserting one row per statement.
        # One multi-row INSERT is much faster, and its order is known without RETURNING's
        # help: SQLite gives each new row max(rowid) + 1 in the order the rows are inserted,
        # and this transaction holds the database's only write lock (BEGIN IMMEDIATE), so
        # the ascending ids are the rows in order.
        ids = sorted(
            int(i) for i in session.execute(insert(table).returning(table.c.id), params).scalars()
        )
    else:
        ids = sorted(_pg_insert_arrays(session, table, params, returning=True))
    if len(set(ids)) != len(rows):
        raise RuntimeError(f"expected {len(rows)} new ids, got {len(set(ids))}")
    return ids


def update_rows(
    session: Session, ot: ObjectType, changes: Sequence[tuple[int, dict[str, Any]]]
) -> None:
    """Apply per-record changes: one executemany per distinct set of changed columns."""
    table = table_for(ot)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for record_id, values in changes:
        # Bind names must differ from column names in an UPDATE's SET clause.
        params = {f"new_{c}": v for c, v in values.items()}
        groups.setdefault(tuple(values), []).append({"record_id_": record_id, **params})
    for columns, rows in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("record_id_"), _scope(ot, table))
            .values({c: bindparam(f"new_{c}") for c in columns})
        )
        session.connection().execute(stmt, rows)


def insert_history(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Append property history rows in as few statements as the driver allows."""
    if not rows:
        return
    history: Table = PropertyHistory.__table__  # type: ignore[assignment]
    if session.get_bind().dialect.name == "sqlite":
        insert_many(session.connection(), history, rows)
    else:
        _pg_insert_arrays(session, history, rows, returning=False)


def _pg_insert_arrays(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, returning: bool
) -> list[int]:
    """PostgreSQL: insert many rows with one short statement that unnests one array per
    column. An executemany is one INSERT per row; a multi-row VALUES statement is long, and
    psycopg re-parses long statements on every call. With RETURNING, ids are drawn in the
    ORDER BY order, so the ascending ids are the rows in order (the same assumption
    SQLAlchemy's own ordered multi-row INSERT makes)."""
    columns = list(rows[0])
    dialect = session.get_bind().dialect
    arrays: list[list[Any]] = []
    casts: list[str] = []
    for name in columns:
        column = table.c[name]
        type_name = column.type.compile(dialect=dialect)
        values = [row[name] for row in rows]
        if "JSON" in type_name:
            values = [None if v is None else json.dumps(v) for v in values]
        arrays.append(values)
        casts.append(f"%b::{type_name}[]")
    names = ", ".join(f'"{c}"' for c in columns)
    sql = (
        f'INSERT INTO "{table.name}" ({names}) SELECT {names} '  # noqa: S608 - names from the model
        f"FROM unnest({', '.join(casts)}) WITH ORDINALITY AS u({names}, row_number_) "
        "ORDER BY row_number_" + (" RETURNING id" if returning else "")
    )
    # Binary parameters (%b): psycopg then sends each array without building and escaping
    # its text form element by element, which was most of the Python time of a large batch.
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, tuple(arrays))
        return [int(r[0]) for r in cursor.fetchall()] if returning else []
    finally:
        cursor.close()


def live_ids(session: Session, ot: ObjectType, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` are live (not archived) records of ``ot``."""
    if not ids:
        return set()
    table = table_for(ot)
    rows = session.execute(
        select(table.c.id).where(
            table.c.id.in_(ids), _scope(ot, table), table.c.archived == false()
        )
    )
    return {int(r[0]) for r in rows}
