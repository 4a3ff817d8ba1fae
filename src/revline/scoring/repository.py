"""SQL of score models: the model rows, writing scores onto contacts, and score history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, delete, select, text
from sqlalchemy.orm import Session

from revline.kit.db.dialect import insert_many
from revline.models import ContactScore, ScoreChange, ScoreModel

WRITE_BATCH = 50_000


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
    rows: Sequence[tuple[int, Decimal, str | None]],
) -> None:
    """Set a model's score and label for many contacts: arrays in one upsert per batch on
    PostgreSQL, one executemany on SQLite."""
    if not rows:
        return
    connection = session.connection()
    upsert = (
        "INSERT INTO contact_scores (score_property, contact_id, score, label) {rows}"
        " ON CONFLICT (score_property, contact_id) DO UPDATE"
        " SET score = excluded.score, label = excluded.label"
    )
    if connection.dialect.name == "postgresql":
        arrays = (
            "SELECT CAST(:sp AS varchar), v.id, v.s, v.l FROM unnest(CAST(:ids AS bigint[]),"
            " CAST(:scores AS numeric[]), CAST(:labels AS varchar[])) AS v(id, s, l)"
        )
        statement = text(upsert.format(rows=arrays))
        for start in range(0, len(rows), WRITE_BATCH):
            part = rows[start : start + WRITE_BATCH]
            connection.execute(
                statement,
                {
                    "sp": score_property,
                    "ids": [r[0] for r in part],
                    "scores": [r[1] for r in part],
                    "labels": [r[2] for r in part],
                },
            )
        return
    connection.execute(
        text(upsert.format(rows="VALUES (:sp, :id, :s, :l)")),
        [{"sp": score_property, "id": r[0], "s": float(r[1]), "l": r[2]} for r in rows],
    )


_HISTORY_COLUMNS = (
    ("model_id", "bigint"),
    ("contact_id", "bigint"),
    ("changed_at", "timestamptz"),
    ("old_score", "numeric"),
    ("new_score", "numeric"),
    ("old_label", "varchar"),
    ("new_label", "varchar"),
    ("cause", "varchar"),
    ("cause_detail", "varchar"),
)


def add_history(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Append score changes: column arrays in one INSERT per batch on PostgreSQL (a million
    rows in seconds), executemany on SQLite."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        table: Table = ScoreChange.__table__  # type: ignore[assignment]
        insert_many(connection, table, rows)
        return
    names = ", ".join(name for name, _ in _HISTORY_COLUMNS)
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _HISTORY_COLUMNS)
    statement = text(
        f"INSERT INTO score_history ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608
    )
    for start in range(0, len(rows), WRITE_BATCH):
        part = rows[start : start + WRITE_BATCH]
        connection.execute(
            statement, {name: [r[name] for r in part] for name, _ in _HISTORY_COLUMNS}
        )


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
