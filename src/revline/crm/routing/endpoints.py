"""HTTP endpoints for owner routing and workload: /revline/v1/routing-rules,
/revline/v1/owners/{id}/availability and /revline/v1/owners/workload."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict

from revline.api import CurrentPrincipal, unit_of_work
from revline.crm.routing import service
from revline.crm.routing.service import RuleInput, Workload
from revline.kit.time import iso_ms
from revline.models import RoutingRule

router = APIRouter(tags=["routing"])
RULES = "/revline/v1/routing-rules"


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")


class AvailabilityIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    available: Any = None


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    objectType: Any = "contacts"
    order: Any = None


def rule_out(rule: RoutingRule) -> dict[str, Any]:
    return {
        "id": str(rule.id),
        "name": rule.name,
        "objectType": rule.object_type,
        "position": rule.position,
        "trigger": rule.trigger,
        "triggerStage": rule.trigger_stage,
        "conditions": rule.conditions,
        "teamId": str(rule.team_id),
        "method": rule.method,
        "overwriteOwner": rule.overwrite_owner,
        "active": rule.active,
        "lastAssignedOwnerId": None
        if rule.last_assigned_user_id is None
        else str(rule.last_assigned_user_id),
        "createdAt": iso_ms(rule.created_at),
        "updatedAt": iso_ms(rule.updated_at),
    }


def _changes(body: _Body) -> dict[str, Any]:
    return service.rule_changes(body.model_dump())


@router.get(RULES)
def list_rules(
    request: Request, principal: CurrentPrincipal, objectType: str | None = None
) -> dict[str, Any]:
    """List routing rules in the order they are tried."""
    with unit_of_work(request) as session:
        return {"results": [rule_out(r) for r in service.list_rules(session, objectType)]}


@router.post(RULES, status_code=201)
def create_rule(request: Request, body: _Body, principal: CurrentPrincipal) -> dict[str, Any]:
    """Add a routing rule (tried after the existing ones)."""
    with unit_of_work(request) as session:
        return rule_out(service.create_rule(session, RuleInput(**_changes(body))))


@router.put(RULES + "/order")
def reorder_rules(request: Request, body: OrderIn, principal: CurrentPrincipal) -> dict[str, Any]:
    """Set the order in which an object type's rules are tried."""
    with unit_of_work(request) as session:
        rules = service.reorder_rules(session, body.objectType, body.order)
        return {"results": [rule_out(r) for r in rules]}


@router.get(RULES + "/{rule_id}")
def get_rule(request: Request, rule_id: str, principal: CurrentPrincipal) -> dict[str, Any]:
    """Read one routing rule."""
    with unit_of_work(request) as session:
        return rule_out(service.access_rule(session, rule_id))


@router.patch(RULES + "/{rule_id}")
def update_rule(
    request: Request, rule_id: str, body: _Body, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Change a routing rule."""
    with unit_of_work(request) as session:
        return rule_out(service.update_rule(session, rule_id, _changes(body)))


@router.delete(RULES + "/{rule_id}", status_code=204)
def delete_rule(request: Request, rule_id: str, principal: CurrentPrincipal) -> Response:
    """Delete a routing rule."""
    with unit_of_work(request) as session:
        service.delete_rule(session, rule_id)
    return Response(status_code=204)


@router.put("/revline/v1/owners/{owner_id}/availability")
def set_availability(
    request: Request, owner_id: str, body: AvailabilityIn, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Mark an owner available or unavailable for routing."""
    with unit_of_work(request) as session:
        user = service.set_availability(session, owner_id, body.available)
        return {"id": str(user.id), "available": user.available}


def workload_out(w: Workload) -> dict[str, Any]:
    return {
        "ownerId": str(w.owner_id),
        "openLeads": {"total": w.open_leads_total, "byLeadStatus": w.open_leads},
        "openDeals": {
            "total": w.open_deals_total,
            "amount": str(w.open_amount),
            "byStage": {
                k: {"count": v["count"], "amount": str(v["amount"])}
                for k, v in w.open_deals.items()
            },
        },
    }


@router.get("/revline/v1/owners/workload")
def owner_workload(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """Each owner's open leads per lead status and open deals per stage."""
    with unit_of_work(request) as session:
        return {"results": [workload_out(w) for w in service.workload(session)]}
