"""All SQL for association edges."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from revline.models import Association


def existing_edges(
    session: Session, from_type: str, from_id: int, to_type: str
) -> Sequence[Association]:
    return session.scalars(
        select(Association).where(
            Association.from_type == from_type,
            Association.from_id == from_id,
            Association.to_type == to_type,
        )
    ).all()


def add_edges(session: Session, edges: list[Association]) -> None:
    session.add_all(edges)
    session.flush()


def remove_edge(
    session: Session, from_type: str, from_id: int, to_type: str, to_id: int, type_id: int
) -> None:
    session.execute(
        delete(Association).where(
            Association.from_type == from_type,
            Association.from_id == from_id,
            Association.to_type == to_type,
            Association.to_id == to_id,
            Association.type_id == type_id,
        )
    )


def edges_from(
    session: Session, from_type: str, from_ids: Sequence[int], to_type: str
) -> Sequence[Association]:
    if not from_ids:
        return []
    return session.scalars(
        select(Association)
        .where(
            Association.from_type == from_type,
            Association.from_id.in_(from_ids),
            Association.to_type == to_type,
        )
        .order_by(Association.from_id, Association.to_id, Association.type_id)
    ).all()
