"""All SQL for pipelines and stages."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from revline.models import Deal, Pipeline, PipelineStage


def list_pipelines(session: Session, object_type: str, *, archived: bool) -> Sequence[Pipeline]:
    return session.scalars(
        select(Pipeline)
        .where(Pipeline.object_type == object_type, Pipeline.archived.is_(archived))
        .order_by(Pipeline.display_order, Pipeline.created_at, Pipeline.id)
    ).all()


def get_pipeline(session: Session, pipeline_id: str) -> Pipeline | None:
    return session.get(Pipeline, pipeline_id)


def get_stage(session: Session, stage_id: str) -> PipelineStage | None:
    return session.get(PipelineStage, stage_id)


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
            .where(Deal.dealstage == stage_id, Deal.archived.is_(False))
        )
        or 0
    )


def deal_count_in_pipeline(session: Session, pipeline_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Deal)
            .where(Deal.pipeline == pipeline_id, Deal.archived.is_(False))
        )
        or 0
    )
