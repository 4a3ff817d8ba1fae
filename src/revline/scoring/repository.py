"""SQL of score models: the model rows, writing scores onto contacts, and score history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, text
from sqlalchemy.orm import Session

from revline.kit.db.dialect import insert_many
from revline.models import ScoreChange, ScoreModel

SCORE_WRITE_BATCH = 20_000


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
    label_property: str | None,
    rows: Sequence[tuple[int, str | None, str | None]],
) -> None:
    """Set (or clear) a model's score and label properties on many contacts: arrays in one
    statement per batch on PostgreSQL, one executemany on SQLite."""
    if not rows:
        return
    connection = session.connection()
    label_key = label_property or score_property + "__unused"
    if connection.dialect.name == "postgresql":
        statement = text(
            "UPDATE contacts AS c SET custom = (coalesce(c.custom, '{}'::jsonb)"
            " - CAST(:sp AS text) - CAST(:lp AS text)) || jsonb_strip_nulls("
            "jsonb_build_object(CAST(:sp AS text), v.s, CAST(:lp AS text), v.l))"
            " FROM unnest(CAST(:ids AS bigint[]), CAST(:scores AS text[]),"
            " CAST(:labels AS text[])) AS v(id, s, l)"
            " WHERE c.id = v.id"
        )
        for start in range(0, len(rows), SCORE_WRITE_BATCH):
            part = rows[start : start + SCORE_WRITE_BATCH]
            connection.execute(
                statement,
                {
                    "sp": score_property,
                    "lp": label_key,
                    "ids": [r[0] for r in part],
                    "scores": [r[1] for r in part],
                    "labels": [r[2] for r in part],
                },
            )
        return
    # SQLite: json_set with a NULL value would store JSON null; remove the keys first and
    # set only the present ones (json_patch drops null members).
    statement = text(
        "UPDATE contacts SET custom = json_patch("
        "json_remove(coalesce(custom, '{}'), :sp_path, :lp_path),"
        " json_object(:sp, :s, :lp, :l)) WHERE id = :id"
    )
    connection.execute(
        statement,
        [
            {
                "sp": score_property,
                "lp": label_key,
                "sp_path": f'$."{score_property}"',
                "lp_path": f'$."{label_key}"',
                "id": r[0],
                "s": r[1],
                "l": r[2],
            }
            for r in rows
        ],
    )


def add_history(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        table: Table = ScoreChange.__table__  # type: ignore[assignment]
        insert_many(session.connection(), table, rows)


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


def clear_scores(session: Session, score_property: str, label_property: str | None) -> int:
    """Remove a model's properties from every contact holding them (model deactivated)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        result = connection.execute(
            text(
                "UPDATE contacts SET custom = custom - CAST(:sp AS text) - CAST(:lp AS text)"
                " WHERE custom ? CAST(:sp AS text) OR custom ? CAST(:lp AS text)"
            ),
            {"sp": score_property, "lp": label_property or score_property},
        )
    else:
        paths = {"sp": f'$."{score_property}"', "lp": f'$."{label_property or score_property}"'}
        result = connection.execute(
            text(
                "UPDATE contacts SET custom = json_remove(custom, :sp, :lp)"
                " WHERE json_extract(custom, :sp) IS NOT NULL"
                " OR json_extract(custom, :lp) IS NOT NULL"
            ),
            paths,
        )
    return int(result.rowcount)


def touch(session: Session, model: ScoreModel, at: datetime) -> None:
    model.last_recomputed_at = at
    session.flush()
