"""All SQL for association edges and user-defined association labels.

Every link is two rows, one per direction, so each read below is a lookup on the leading
columns (from_type, from_id, to_type, to_id) of the unique index ``uq_associations_edge``;
writes that touch "the edges pointing at a record" first read that record's own edges and
then address each mirror row by its ``from`` side, which keeps them on the same index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, false, func, select, true, update
from sqlalchemy.orm import Session

from revline.crm.object_types import ObjectType
from revline.kit.db.dialect import insert_many
from revline.models import Association, AssociationLabel
from revline.models.records import RECORD_MODELS


def _live(include_archived: bool) -> ColumnElement[bool]:
    return true() if include_archived else Association.archived == false()


# --- records (only whether they exist) --------------------------------------------------


def live_record_ids(session: Session, ot: ObjectType, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` are live (not archived) records of ``ot``."""
    if not ids:
        return set()
    table: Table = RECORD_MODELS[ot.table].__table__  # type: ignore[attr-defined]
    cond = and_(table.c.id.in_(list(ids)), table.c.archived == false())
    if ot.engagement_type is not None:
        cond = and_(cond, table.c.engagement_type == ot.engagement_type)
    return {int(r[0]) for r in session.execute(select(table.c.id).where(cond))}


# --- edges: reads -----------------------------------------------------------------------


def existing_edges(
    session: Session,
    from_type: str,
    from_id: int,
    to_type: str,
    *,
    include_archived: bool = False,
) -> Sequence[Association]:
    return session.scalars(
        select(Association).where(
            Association.from_type == from_type,
            Association.from_id == from_id,
            Association.to_type == to_type,
            _live(include_archived),
        )
    ).all()


def edges_between(
    session: Session, from_type: str, from_id: int, to_type: str, to_id: int
) -> Sequence[Association]:
    """Live edges from one record to another (one direction)."""
    return session.scalars(
        select(Association)
        .where(
            Association.from_type == from_type,
            Association.from_id == from_id,
            Association.to_type == to_type,
            Association.to_id == to_id,
            Association.archived == false(),
        )
        .order_by(Association.category, Association.type_id)
    ).all()


def all_edges_of(session: Session, from_type: str, from_id: int) -> Sequence[Association]:
    """Every edge leaving one record, archived ones included."""
    return session.scalars(
        select(Association)
        .where(Association.from_type == from_type, Association.from_id == from_id)
        .order_by(Association.to_type, Association.to_id, Association.type_id)
    ).all()


def edges_from(
    session: Session, from_type: str, from_ids: Sequence[int], to_type: str
) -> Sequence[Association]:
    """Live edges from some records to one object type."""
    if not from_ids:
        return []
    return session.scalars(
        select(Association)
        .where(
            Association.from_type == from_type,
            Association.from_id.in_(list(from_ids)),
            Association.to_type == to_type,
            Association.archived == false(),
        )
        .order_by(Association.from_id, Association.to_id, Association.category, Association.type_id)
    ).all()


def target_ids_page(
    session: Session,
    from_type: str,
    from_id: int,
    to_type: str,
    *,
    after_id: int | None,
    limit: int,
) -> list[int]:
    """Distinct live target ids of one record, ascending, after a cursor."""
    cond = and_(
        Association.from_type == from_type,
        Association.from_id == from_id,
        Association.to_type == to_type,
        Association.archived == false(),
    )
    if after_id is not None:
        cond = and_(cond, Association.to_id > after_id)
    rows = session.execute(
        select(Association.to_id)
        .where(cond)
        .group_by(Association.to_id)
        .order_by(Association.to_id)
        .limit(limit)
    )
    return [int(r[0]) for r in rows]


def edges_to_targets(
    session: Session, from_type: str, from_id: int, to_type: str, to_ids: Sequence[int]
) -> Sequence[Association]:
    if not to_ids:
        return []
    return session.scalars(
        select(Association)
        .where(
            Association.from_type == from_type,
            Association.from_id == from_id,
            Association.to_type == to_type,
            Association.to_id.in_(list(to_ids)),
            Association.archived == false(),
        )
        .order_by(Association.to_id, Association.category, Association.type_id)
    ).all()


def count_live_edges_of_type(session: Session, type_ids: Sequence[int]) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(Association)
            .where(Association.type_id.in_(list(type_ids)), Association.archived == false())
        ).scalar_one()
    )


# --- edges: writes ----------------------------------------------------------------------


def insert_edges(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many new edges with one driver-level executemany."""
    insert_many(session.connection(), Association.__table__, rows)  # type: ignore[arg-type]


def add_edges(session: Session, edges: list[Association]) -> None:
    session.add_all(edges)
    session.flush()


def _edge(
    from_type: str, from_id: int, to_type: str, to_id: int, type_id: int
) -> ColumnElement[bool]:
    return and_(
        Association.from_type == from_type,
        Association.from_id == from_id,
        Association.to_type == to_type,
        Association.to_id == to_id,
        Association.type_id == type_id,
    )


def remove_edge(
    session: Session, from_type: str, from_id: int, to_type: str, to_id: int, type_id: int
) -> None:
    session.execute(delete(Association).where(_edge(from_type, from_id, to_type, to_id, type_id)))


def unarchive_edge(
    session: Session, from_type: str, from_id: int, to_type: str, to_id: int, type_id: int
) -> None:
    session.execute(
        update(Association)
        .where(_edge(from_type, from_id, to_type, to_id, type_id))
        .values(archived=False)
    )


def remove_between(session: Session, from_type: str, from_id: int, to_type: str, to_id: int) -> int:
    """Delete every edge, live or archived, from one record to another (one direction)."""
    result = session.execute(
        delete(Association).where(
            Association.from_type == from_type,
            Association.from_id == from_id,
            Association.to_type == to_type,
            Association.to_id == to_id,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def set_archived_from(session: Session, from_type: str, from_id: int, archived: bool) -> None:
    session.execute(
        update(Association)
        .where(Association.from_type == from_type, Association.from_id == from_id)
        .values(archived=archived)
    )


def set_archived_pointing_at(
    session: Session,
    sources: Iterable[tuple[str, int]],
    to_type: str,
    to_id: int,
    archived: bool,
) -> None:
    """Flag the mirror rows ``source -> (to_type, to_id)`` of the given sources."""
    by_type: dict[str, list[int]] = {}
    for from_type, from_id in sources:
        by_type.setdefault(from_type, []).append(from_id)
    for from_type, ids in by_type.items():
        session.execute(
            update(Association)
            .where(
                Association.from_type == from_type,
                Association.from_id.in_(ids),
                Association.to_type == to_type,
                Association.to_id == to_id,
            )
            .values(archived=archived)
        )


def repoint_edge(edge: Association, **values: Any) -> None:
    """Change a loaded edge in place (flushed with the session)."""
    for key, value in values.items():
        setattr(edge, key, value)


def find_edge(
    session: Session, from_type: str, from_id: int, to_type: str, to_id: int, type_id: int
) -> Association | None:
    return session.scalars(
        select(Association).where(_edge(from_type, from_id, to_type, to_id, type_id))
    ).first()


def delete_edge_row(session: Session, edge: Association) -> None:
    session.delete(edge)


def remove_edges_of_types(session: Session, type_ids: Sequence[int]) -> None:
    session.execute(delete(Association).where(Association.type_id.in_(list(type_ids))))


# --- labels -----------------------------------------------------------------------------


def labels_for_pair(session: Session, from_type: str, to_type: str) -> Sequence[AssociationLabel]:
    return session.scalars(
        select(AssociationLabel)
        .where(AssociationLabel.from_type == from_type, AssociationLabel.to_type == to_type)
        .order_by(AssociationLabel.type_id)
    ).all()


def labels_by_id(session: Session, type_ids: Sequence[int]) -> dict[int, AssociationLabel]:
    if not type_ids:
        return {}
    rows = session.scalars(
        select(AssociationLabel).where(AssociationLabel.type_id.in_(list(set(type_ids))))
    )
    return {row.type_id: row for row in rows}


def label_named(
    session: Session, from_type: str, to_type: str, name: str
) -> AssociationLabel | None:
    return session.scalars(
        select(AssociationLabel).where(
            AssociationLabel.from_type == from_type,
            AssociationLabel.to_type == to_type,
            AssociationLabel.name == name,
        )
    ).first()


def max_label_type_id(session: Session) -> int | None:
    value = session.execute(select(func.max(AssociationLabel.type_id))).scalar_one()
    return None if value is None else int(value)


def add_labels(session: Session, rows: list[AssociationLabel]) -> None:
    session.add_all(rows)
    session.flush()


def delete_labels(session: Session, type_ids: Sequence[int]) -> None:
    session.execute(delete(AssociationLabel).where(AssociationLabel.type_id.in_(list(type_ids))))
