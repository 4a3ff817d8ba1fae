"""HTTP endpoints: /revline/v1/pipelines/{id}/health and /revline/v1/deals/stuck."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from revline.analytics import service
from revline.analytics.schemas import pipeline_health_out, stuck_deals_out
from revline.api import CurrentPrincipal, unit_of_work
from revline.kit.time import utcnow

router = APIRouter(tags=["analytics"])

Limit = Annotated[int, Query(ge=1, le=500, description="Page size, 1 to 500.")]


@router.get("/revline/v1/pipelines/{pipeline_id}/health")
def pipeline_health(
    request: Request,
    pipeline_id: str,
    principal: CurrentPrincipal,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
    owner: str | None = None,
) -> dict[str, Any]:
    """Per-stage counts, amounts, time in stage and conversion, and the pipeline's KPIs."""
    with unit_of_work(request) as session:
        found = service.pipeline_health(
            session, pipeline_id, date_from=from_, date_to=to, owner=owner, now=utcnow()
        )
        return pipeline_health_out(found)


@router.get("/revline/v1/deals/stuck")
def stuck_deals(
    request: Request,
    principal: CurrentPrincipal,
    owner: str | None = None,
    pipeline: str | None = None,
    limit: Limit = 100,
    after: str | None = None,
) -> dict[str, Any]:
    """Open deals longer in their stage than its rot days or the won deals' 75th percentile."""
    with unit_of_work(request) as session:
        found = service.stuck_deals(
            session, owner=owner, pipeline=pipeline, limit=limit, after=after, now=utcnow()
        )
        return stuck_deals_out(found)
