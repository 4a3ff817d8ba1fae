"""SQL of the deal side: stage transitions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from revline.kit.db.dialect import insert_many
from revline.models import Deal, StageTransition


def add_transitions(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert transition rows (column values) in one statement."""
    if rows:
        table: Table = StageTransition.__table__  # type: ignore[assignment]
        insert_many(session.connection(), table, rows)


def transitions_of(session: Session, deal_id: int) -> Sequence[StageTransition]:
    return session.scalars(
        select(StageTransition)
        .where(StageTransition.deal_id == deal_id)
        .order_by(StageTransition.changed_at, StageTransition.id)
    ).all()


def deal_exists(session: Session, deal_id: int) -> bool:
    return session.scalar(select(Deal.id).where(Deal.id == deal_id)) is not None
