"""HTTP endpoints for pipelines and stages: /crm/v3/pipelines/{objectType}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from revline.api import CurrentPrincipal, unit_of_work
from revline.crm.pipelines import service
from revline.crm.pipelines.schemas import (
    PipelineIn,
    PipelinePatchIn,
    StageIn,
    StagePatchIn,
    pipeline_out,
    stage_out,
)

router = APIRouter(tags=["pipelines"])
BASE = "/crm/v3/pipelines/{object_type}"


@router.get(BASE)
def list_pipelines(
    request: Request, object_type: str, principal: CurrentPrincipal
) -> dict[str, Any]:
    """List the pipelines of an object type with their stages."""
    ot = service.object_type_for(object_type)
    with unit_of_work(request) as session:
        return {"results": [pipeline_out(p) for p in service.list_pipelines(session, ot)]}


@router.post(BASE, status_code=201)
def create_pipeline(
    request: Request, object_type: str, body: PipelineIn, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Create a pipeline with its stages."""
    ot = service.object_type_for(object_type)
    with unit_of_work(request) as session:
        pipeline = service.create_pipeline(
            session,
            ot,
            label=body.label,
            display_order=body.displayOrder,
            stages=[s.to_input() for s in body.stages],
            pipeline_id=body.pipelineId,
        )
        return pipeline_out(pipeline)


@router.get(BASE + "/{pipeline_id}")
def get_pipeline(
    request: Request, object_type: str, pipeline_id: str, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Read one pipeline with its stages."""
    ot = service.object_type_for(object_type)
    with unit_of_work(request) as session:
        return pipeline_out(service.access_pipeline(session, ot, pipeline_id))


@router.patch(BASE + "/{pipeline_id}")
def update_pipeline(
    request: Request,
    object_type: str,
    pipeline_id: str,
    body: PipelinePatchIn,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """Rename, reorder, archive or restore a pipeline."""
    ot = service.object_type_for(object_type)
    with unit_of_work(request) as session:
        pipeline = service.update_pipeline(
            session,
            ot,
            pipeline_id,
            label=body.label,
            display_order=body.displayOrder,
            archived=body.archived,
        )
        return pipeline_out(pipeline)


@router.put(BASE + "/{pipeline_id}")
def replace_pipeline(
    request: Request,
    object_type: str,
    pipeline_id: str,
    body: PipelineIn,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """Replace a pipeline and its whole stage list."""
    ot = service.object_type_for(object_type)
    with unit_of_work(request) as session:
        pipeline = service.replace_pipeline(
            session,
            ot,
            pipeline_id,
            label=body.label,
            display_order=body.displayOrder,
            stages=[s.to_input() for s in body.stages],
        )
        return pipeline_out(pipeline)


@router.delete(BASE + "/{pipeline_id}", status_code=204)
def archive_pipeline(
    request: Request, object_type: str, pipeline_id: str, principal: CurrentPrincipal
) -> Response:
    """Archive a pipeline that holds no deals."""
    ot = service.object_type_for(object_type)
    with unit_of_work(request) as session:
        service.archive_pipeline(session, ot, pipeline_id)
    return Response(status_code=204)


@router.get(BASE + "/{pipeline_id}/stages")
def list_stages(
    request: Request, object_type: str, pipeline_id: str, principal: CurrentPrincipal
) -> dict[str, Any]:
    """List the stages of a pipeline in order."""
    ot = service.object_type_for(object_type)
    with unit_of_work(request) as session:
        pipeline = service.access_pipeline(session, ot, pipeline_id)
        return {"results": [stage_out(s) for s in service.live_stages(pipeline)]}


@router.post(BASE + "/{pipeline_id}/stages", status_code=201)
def create_stage(
    request: Request,
    object_type: str,
    pipeline_id: str,
    body: StageIn,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """Add a stage to a pipeline."""
    ot = service.object_type_for(object_type)
    with unit_of_work(request) as session:
        return stage_out(service.create_stage(session, ot, pipeline_id, body.to_input()))


@router.get(BASE + "/{pipeline_id}/stages/{stage_id}")
def get_stage(
    request: Request,
    object_type: str,
    pipeline_id: str,
    stage_id: str,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """Read one stage."""
    ot = service.object_type_for(object_type)
    with unit_of_work(request) as session:
        return stage_out(service.access_stage(session, ot, pipeline_id, stage_id))


@router.patch(BASE + "/{pipeline_id}/stages/{stage_id}")
def update_stage(
    request: Request,
    object_type: str,
    pipeline_id: str,
    stage_id: str,
    body: StagePatchIn,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """Change a stage's label, order, probability or closed flag, or archive it."""
    ot = service.object_type_for(object_type)
    with unit_of_work(request) as session:
        stage = service.update_stage(
            session,
            ot,
            pipeline_id,
            stage_id,
            label=body.label,
            display_order=body.displayOrder,
            metadata=body.metadata,
            archived=body.archived,
        )
        return stage_out(stage)


@router.put(BASE + "/{pipeline_id}/stages/{stage_id}")
def replace_stage(
    request: Request,
    object_type: str,
    pipeline_id: str,
    stage_id: str,
    body: StageIn,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """Replace a stage's label, order and metadata."""
    ot = service.object_type_for(object_type)
    with unit_of_work(request) as session:
        stage = service.update_stage(
            session,
            ot,
            pipeline_id,
            stage_id,
            label=body.label,
            display_order=body.displayOrder,
            metadata=body.metadata,
            archived=None,
        )
        return stage_out(stage)


@router.delete(BASE + "/{pipeline_id}/stages/{stage_id}", status_code=204)
def archive_stage(
    request: Request,
    object_type: str,
    pipeline_id: str,
    stage_id: str,
    principal: CurrentPrincipal,
) -> Response:
    """Archive a stage; refused while deals are in it."""
    ot = service.object_type_for(object_type)
    with unit_of_work(request) as session:
        service.archive_stage(session, ot, pipeline_id, stage_id)
    return Response(status_code=204)
