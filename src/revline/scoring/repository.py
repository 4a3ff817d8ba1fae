"""SQL of score models: the model rows, writing scores onto contacts, and score history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, delete, select, text
from sqlalchemy.orm import Session

from revline.kit.db.dialect import copy_rows, insert_many
from revline.models import ContactScore, ScoreChange, ScoreModel


def get_model(session: Session, model_id: int) -> ScoreModel | None:
    return session.get(ScoreModel, model_id)


def model_by_name(session: Session, name: str) -> ScoreModel | None:
    return session.scalars(
        select(ScoreModel).where(ScoreModel.name == name, ScoreModel.archived.is_(False))
    ).first()


def live_models(session: Session, *, active_only: bool = False) -> list[ScoreModel]:
    query = select(ScoreModel).where(ScoreModel.archived.is_(False))
    if active_only:
        query = query.where(ScoreModel.active.is_(True))
    return list(session.scalars(query.order_by(ScoreModel.id)))


def all_models(session: Session) -> list[ScoreModel]:
    return list(session.scalars(select(ScoreModel).order_by(ScoreModel.id)))


def models_page(session: Session, *, after: int | None, limit: int) -> list[ScoreModel]:
    query = select(ScoreModel).where(ScoreModel.archived.is_(False))
    if after is not None:
        query = query.where(ScoreModel.id > after)
    return list(session.scalars(query.order_by(ScoreModel.id).limit(limit)))


def add_model(session: Session, model: ScoreModel) -> None:
    session.add(model)
    session.flush()


def write_scores(
    session: Session,
    score_property: str,
    rows: Sequence[tuple[int, str, str | None]],
) -> None:
    """Set a model's score and label for many contacts: on PostgreSQL, COPY into a temporary
    table and one upsert from it; on SQLite, one executemany."""
    if not rows:
        return
    connection = session.connection()
    upsert = (
        "INSERT INTO contact_scores (score_property, contact_id, score, label) {rows}"
        " ON CONFLICT (score_property, contact_id) DO UPDATE"
        " SET score = excluded.score, label = excluded.label"
    )
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(
                "CREATE TEMPORARY TABLE IF NOT EXISTS scores_in"
                " (contact_id bigint, score numeric, label varchar(32)) ON COMMIT DROP"
            )
        )
        connection.execute(text("TRUNCATE scores_in"))
        copy_rows(connection, "scores_in", ("contact_id", "score", "label"), rows)
        connection.execute(
            text(upsert.format(rows="SELECT :sp, contact_id, score, label FROM scores_in")),
            {"sp": score_property},
        )
        return
    connection.execute(
        text(upsert.format(rows="VALUES (:sp, :id, :s, :l)")),
        [{"sp": score_property, "id": r[0], "s": float(r[1]), "l": r[2]} for r in rows],
    )


_HISTORY_COLUMNS = (
    "model_id",
    "contact_id",
    "changed_at",
    "old_score",
    "new_score",
    "old_label",
    "new_label",
    "cause",
    "cause_detail",
)


def add_history(session: Session, rows: Sequence[Sequence[Any]]) -> None:
    """Append score changes, each a tuple in the order of ``_HISTORY_COLUMNS`` (scores as
    decimal strings): COPY on PostgreSQL (a million rows in seconds), executemany on
    SQLite."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        table: Table = ScoreChange.__table__  # type: ignore[assignment]
        insert_many(
            connection,
            table,
            [
                {
                    **dict(zip(_HISTORY_COLUMNS, r, strict=True)),
                    "old_score": None if r[3] is None else Decimal(r[3]),
                    "new_score": Decimal(r[4]),
                }
                for r in rows
            ],
        )
        return
    copy_rows(connection, "score_history", _HISTORY_COLUMNS, rows)


def history_of(
    session: Session,
    contact_id: int,
    *,
    model_id: int | None,
    before_id: int | None,
    limit: int,
) -> list[ScoreChange]:
    query = select(ScoreChange).where(ScoreChange.contact_id == contact_id)
    if model_id is not None:
        query = query.where(ScoreChange.model_id == model_id)
    if before_id is not None:
        query = query.where(ScoreChange.id < before_id)
    return list(session.scalars(query.order_by(ScoreChange.id.desc()).limit(limit)))


def clear_scores(session: Session, score_property: str) -> int:
    """Forget a model's scores (deactivated or archived). Returns how many there were."""
    result = session.execute(
        delete(ContactScore).where(ContactScore.score_property == score_property)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def touch(session: Session, model: ScoreModel, at: datetime) -> None:
    model.last_recomputed_at = at
    session.flush()
