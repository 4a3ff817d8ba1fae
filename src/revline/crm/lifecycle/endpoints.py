"""HTTP endpoints for lifecycle stages, lead statuses, lifecycle settings and views:
/revline/v1/lifecycle-stages, /revline/v1/lead-statuses, /revline/v1/settings/lifecycle,
/revline/v1/lifecycle/summary and /revline/v1/{objectType}/{id}/lifecycle-history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

from revline.api import CurrentPrincipal, unit_of_work
from revline.crm.lifecycle import lead_status, service, stages
from revline.crm.lifecycle import settings as lifecycle_settings
from revline.crm.lifecycle.schemas import (
    LeadStatusIn,
    LeadStatusPatchIn,
    StageIn,
    StageOrderIn,
    StagePatchIn,
    count_out,
    event_out,
    lead_status_out,
    stage_out,
)

router = APIRouter(tags=["lifecycle"])
STAGES = "/revline/v1/lifecycle-stages"
STATUSES = "/revline/v1/lead-statuses"


def _stages(found: list[stages.Stage]) -> dict[str, Any]:
    return {"results": [stage_out(s) for s in found]}


@router.get(STAGES)
def list_stages(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """List the lifecycle stages in order (shared by contacts and companies)."""
    with unit_of_work(request) as session:
        return _stages(stages.list_stages(session))


@router.post(STAGES, status_code=201)
def add_stage(request: Request, body: StageIn, principal: CurrentPrincipal) -> dict[str, Any]:
    """Add a lifecycle stage (last, or before the stage named in ``before``)."""
    with unit_of_work(request) as session:
        before = None if body.before is None else str(body.before)
        return _stages(stages.add_stage(session, body.value, body.label, before=before))


@router.put(STAGES + "/order")
def reorder_stages(
    request: Request, body: StageOrderIn, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Put the lifecycle stages in a new order (every stage value, once)."""
    with unit_of_work(request) as session:
        return _stages(stages.reorder_stages(session, body.order))


@router.patch(STAGES + "/{value}")
def update_stage(
    request: Request, value: str, body: StagePatchIn, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Rename a lifecycle stage, or archive or restore it."""
    with unit_of_work(request) as session:
        return _stages(
            stages.update_stage(session, value, label=body.label, archived=body.archived)
        )


@router.delete(STAGES + "/{value}", status_code=204)
def archive_stage(request: Request, value: str, principal: CurrentPrincipal) -> Response:
    """Archive a lifecycle stage: records keep it, nothing new enters it."""
    with unit_of_work(request) as session:
        stages.update_stage(session, value, archived=True)
    return Response(status_code=204)


@router.get(STATUSES)
def list_lead_statuses(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """List the lead statuses with their groups and reason rules."""
    with unit_of_work(request) as session:
        return {"results": [lead_status_out(s) for s in lead_status.list_statuses(session)]}


@router.post(STATUSES, status_code=201)
def add_lead_status(
    request: Request, body: LeadStatusIn, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Add a lead status (for example NURTURING in the working group)."""
    with unit_of_work(request) as session:
        status = lead_status.add_status(
            session,
            body.value,
            body.label,
            group=body.group,
            requires_reason=body.requiresReason,
        )
        return lead_status_out(status)


@router.patch(STATUSES + "/{value}")
def update_lead_status(
    request: Request, value: str, body: LeadStatusPatchIn, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Change a lead status's label, group, reason rule, or archive/restore it."""
    with unit_of_work(request) as session:
        changes = body.model_dump(exclude_none=True)
        return lead_status_out(service.update_lead_status(session, value, changes))


@router.get("/revline/v1/settings/lifecycle")
def get_lifecycle_settings(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """Read which lifecycle sync rules are on."""
    with unit_of_work(request) as session:
        return lifecycle_settings.to_api(lifecycle_settings.load(session))


@router.patch("/revline/v1/settings/lifecycle")
def update_lifecycle_settings(
    request: Request, principal: CurrentPrincipal, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Switch lifecycle sync rules on or off."""
    with unit_of_work(request) as session:
        return lifecycle_settings.to_api(lifecycle_settings.update(session, body))


@router.get("/revline/v1/lifecycle/summary")
def lifecycle_summary(
    request: Request, principal: CurrentPrincipal, objectType: str = "contacts"
) -> dict[str, Any]:
    """Count live records per lifecycle stage (and, for contacts, per lead status)."""
    ot = service.lifecycle_type(objectType)
    with unit_of_work(request) as session:
        found = service.summary(session, ot)
        return {"objectType": ot.name, **{k: [count_out(c) for c in v] for k, v in found.items()}}


@router.get("/revline/v1/{object_type}/{record_id}/lifecycle-history")
def lifecycle_history(
    request: Request,
    object_type: str,
    record_id: str,
    principal: CurrentPrincipal,
    after: str | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """A contact's or company's lifecycle stage changes, newest first."""
    ot = service.lifecycle_type(object_type)
    with unit_of_work(request) as session:
        events, next_after = service.history(session, ot, record_id, after=after, limit=limit)
    out: dict[str, Any] = {"results": [event_out(e) for e in events]}
    if next_after is not None:
        out["paging"] = {"next": {"after": next_after}}
    return out
