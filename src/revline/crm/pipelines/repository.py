"""All SQL for pipelines and stages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import false, func, insert, literal, select, update
from sqlalchemy.orm import Session

from revline.crm.properties.values import format_number
from revline.kit.db import UTCDateTime
from revline.kit.validation import is_storable
from revline.models import Deal, Pipeline, PipelineStage, PropertyHistory


def list_pipelines(session: Session, object_type: str, *, archived: bool) -> Sequence[Pipeline]:
    return session.scalars(
        select(Pipeline)
        .where(Pipeline.object_type == object_type, Pipeline.archived.is_(archived))
        .order_by(Pipeline.display_order, Pipeline.created_at, Pipeline.id)
    ).all()


def get_pipeline(session: Session, pipeline_id: str) -> Pipeline | None:
    # PostgreSQL refuses to compare with text holding NUL; no stored id holds one.
    if not is_storable(pipeline_id):
        return None
    pipeline = session.get(Pipeline, pipeline_id)
    if pipeline is not None:
        # The identity map holds objects weakly: without this reference a batch of deals
        # would load the same pipeline and its stages again for every deal.
        session.info.setdefault("pinned_pipelines", {})[pipeline_id] = pipeline
    return pipeline


def get_stage(session: Session, stage_id: str) -> PipelineStage | None:
    return session.get(PipelineStage, stage_id) if is_storable(stage_id) else None


def add(session: Session, obj: Pipeline | PipelineStage) -> None:
    session.add(obj)
    session.flush()


def id_taken(session: Session, model: type[Pipeline] | type[PipelineStage], ident: str) -> bool:
    return session.get(model, ident) is not None


def deal_count_in_stage(session: Session, stage_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Deal)
            .where(Deal.dealstage == stage_id, Deal.archived == false())
        )
        or 0
    )


def deal_count_in_pipeline(session: Session, pipeline_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Deal)
            .where(Deal.pipeline == pipeline_id, Deal.archived == false())
        )
        or 0
    )


def sync_deals_in_stage(
    session: Session,
    stage_id: str,
    fields: dict[str, tuple[Any, str]],
    at: datetime,
    *,
    unless_set: str | None = None,
) -> None:
    """Set each field to its value on every deal in the stage (skipping deals that hold a
    value in the column ``unless_set``); ``fields`` maps a column to (typed value, history
    text). History rows are written only where the value changes."""
    for name, (value, text) in fields.items():
        column = Deal.__table__.c[name]
        differs = (Deal.dealstage == stage_id) & column.is_distinct_from(value)
        if unless_set is not None:
            differs = differs & Deal.__table__.c[unless_set].is_(None)
        session.execute(
            insert(PropertyHistory).from_select(
                ["object_type", "record_id", "name", "value", "changed_at", "source_type"],
                select(
                    literal("deals"),
                    Deal.id,
                    literal(name),
                    literal(text),
                    literal(at, UTCDateTime),
                    literal("CALCULATED"),
                ).where(differs),
            )
        )
        session.execute(update(Deal).where(differs).values({name: value, "updated_at": at}))


def projected_amounts_in_stage(
    session: Session, stage_id: str
) -> Sequence[tuple[int, Decimal | None, Decimal | None, Decimal | None, Decimal | None]]:
    """(id, amount, weighted amount, home amount, weighted home amount) of the live deals in
    the stage that follow the stage's probability (no forecast probability of their own)."""
    return [
        (int(r[0]), r[1], r[2], r[3], r[4])
        for r in session.execute(
            select(
                Deal.id,
                Deal.amount,
                Deal.hs_projected_amount,
                Deal.amount_in_home_currency,
                Deal.hs_projected_amount_in_home_currency,
            ).where(
                Deal.dealstage == stage_id,
                Deal.archived.is_(false()),
                Deal.hs_forecast_probability.is_(None),
            )
        )
    ]


def set_projected_amounts(
    session: Session, values: Sequence[tuple[int, str, Decimal | None]], at: datetime
) -> None:
    """Store new weighted amounts: (deal id, column, value), each with a history row."""
    if not values:
        return
    for column in {c for _, c, _ in values}:
        session.execute(
            update(Deal),
            [{"id": i, column: v, "updated_at": at} for i, c, v in values if c == column],
        )
    session.add_all(
        PropertyHistory(
            object_type="deals",
            record_id=i,
            name=column,
            value=None if v is None else format_number(v),
            changed_at=at,
            source_type="CALCULATED",
        )
        for i, column, v in values
    )
    session.flush()
