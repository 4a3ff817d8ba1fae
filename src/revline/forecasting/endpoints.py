"""HTTP endpoints of forecasting: /revline/v1/quotas and /revline/v1/forecast."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

from revline.api import CurrentPrincipal, unit_of_work
from revline.forecasting import accuracy, quotas, service
from revline.forecasting.schemas import accuracy_out, forecast_out, history_out, quota_out
from revline.kit.time import utcnow

router = APIRouter(tags=["forecasting"])


@router.put("/revline/v1/quotas")
def put_quota(
    request: Request, principal: CurrentPrincipal, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Create or replace the quota of one owner or team for a month or quarter."""
    with unit_of_work(request) as session:
        return quota_out(quotas.set_quota(session, body))


@router.get("/revline/v1/quotas")
def get_quotas(
    request: Request,
    principal: CurrentPrincipal,
    period: str | None = None,
    ownerId: str | None = None,
    teamId: str | None = None,
) -> dict[str, Any]:
    """List stored quotas, optionally of one period, owner or team."""
    with unit_of_work(request) as session:
        found = quotas.list_quotas(session, period=period, owner_id=ownerId, team_id=teamId)
        return {"results": [quota_out(q) for q in found]}


@router.delete("/revline/v1/quotas/{quota_id}", status_code=204)
def delete_quota(request: Request, quota_id: str, principal: CurrentPrincipal) -> Response:
    """Delete one quota row."""
    with unit_of_work(request) as session:
        quotas.delete_quota(session, quota_id)
    return Response(status_code=204)


@router.get("/revline/v1/forecast")
def get_forecast(
    request: Request,
    principal: CurrentPrincipal,
    period: str | None = None,
    group_by: str | None = None,
    pipeline: str | None = None,
    lookback_days: str | None = None,
) -> dict[str, Any]:
    """The forecast of a month or quarter per owner, team or pipeline, and in total."""
    with unit_of_work(request) as session:
        found = service.forecast_from_query(
            session,
            period=period,
            group_by=group_by,
            pipeline=pipeline,
            lookback_days=lookback_days,
        )
        return forecast_out(found)


@router.get("/revline/v1/forecast/history")
def get_history(
    request: Request,
    principal: CurrentPrincipal,
    period: str | None = None,
    group_by: str | None = None,
    group: str | None = None,
) -> dict[str, Any]:
    """How one group's forecast moved, one snapshot per day."""
    with unit_of_work(request) as session:
        found, grouping, key, points = service.history(
            session, period=period, group_by=group_by, group=group
        )
        return history_out(found.text, grouping, key, points)


@router.get("/revline/v1/forecast/accuracy")
def get_accuracy(
    request: Request,
    principal: CurrentPrincipal,
    period: str | None = None,
    group_by: str | None = None,
) -> dict[str, Any]:
    """How accurate each forecast method was for a period that has ended."""
    with unit_of_work(request) as session:
        found = accuracy.accuracy(session, period=period, group_by=group_by, today=utcnow().date())
        return accuracy_out(found)
