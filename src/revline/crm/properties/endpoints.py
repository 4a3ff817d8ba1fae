"""HTTP endpoints for property definitions and groups: /crm/v3/properties/{objectType}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from revline.api import CurrentPrincipal, unit_of_work
from revline.crm.object_types import access_object_type
from revline.crm.properties import service
from revline.crm.properties.schemas import (
    GroupCreateIn,
    GroupUpdateIn,
    PropertyCreateIn,
    PropertyUpdateIn,
    group_out,
    property_out,
)

router = APIRouter(tags=["properties"])


@router.get("/crm/v3/properties/{object_type}/groups")
def list_groups(request: Request, object_type: str, principal: CurrentPrincipal) -> dict[str, Any]:
    """List the property groups of an object type."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        return {"results": [group_out(g) for g in service.list_groups(session, ot)]}


@router.post("/crm/v3/properties/{object_type}/groups", status_code=201)
def create_group(
    request: Request, object_type: str, body: GroupCreateIn, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Create a property group."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        group = service.create_group(
            session, ot, name=body.name, label=body.label, display_order=body.displayOrder
        )
        return group_out(group)


@router.get("/crm/v3/properties/{object_type}/groups/{group_name}")
def get_group(
    request: Request, object_type: str, group_name: str, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Read one property group."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        return group_out(service.access_group(session, ot, group_name))


@router.patch("/crm/v3/properties/{object_type}/groups/{group_name}")
def update_group(
    request: Request,
    object_type: str,
    group_name: str,
    body: GroupUpdateIn,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """Rename or reorder a property group."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        group = service.update_group(
            session, ot, group_name, label=body.label, display_order=body.displayOrder
        )
        return group_out(group)


@router.delete("/crm/v3/properties/{object_type}/groups/{group_name}", status_code=204)
def archive_group(
    request: Request, object_type: str, group_name: str, principal: CurrentPrincipal
) -> Response:
    """Archive an empty property group."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        service.archive_group(session, ot, group_name)
    return Response(status_code=204)


@router.get("/crm/v3/properties/{object_type}")
def list_properties(
    request: Request, object_type: str, principal: CurrentPrincipal, archived: bool = False
) -> dict[str, Any]:
    """List every property definition of an object type."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        props = service.list_properties(session, ot, archived=archived)
    return {"results": [property_out(p) for p in props]}


@router.post("/crm/v3/properties/{object_type}", status_code=201)
def create_property(
    request: Request, object_type: str, body: PropertyCreateIn, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Create a custom property."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        prop = service.create_property(
            session,
            ot,
            name=body.name,
            label=body.label,
            type=body.type,
            field_type=body.fieldType,
            group_name=body.groupName,
            description=body.description,
            options=[o.model_dump(exclude_none=True) for o in body.options],
            display_order=body.displayOrder,
            has_unique_value=body.hasUniqueValue,
            hidden=body.hidden,
            form_field=body.formField,
        )
    return property_out(prop)


@router.get("/crm/v3/properties/{object_type}/{property_name}")
def get_property(
    request: Request,
    object_type: str,
    property_name: str,
    principal: CurrentPrincipal,
    archived: bool = False,
) -> dict[str, Any]:
    """Read one property definition (with archived=true: one that has been archived)."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        return property_out(service.access_property(session, ot, property_name, archived=archived))


@router.patch("/crm/v3/properties/{object_type}/{property_name}")
def update_property(
    request: Request,
    object_type: str,
    property_name: str,
    body: PropertyUpdateIn,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """Change a property definition (label, group, options; type only while it has no values)."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        prop = service.update_property(session, ot, property_name, body.changes())
    return property_out(prop)


@router.delete("/crm/v3/properties/{object_type}/{property_name}", status_code=204)
def archive_property(
    request: Request, object_type: str, property_name: str, principal: CurrentPrincipal
) -> Response:
    """Archive a custom property."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        service.archive_property(session, ot, property_name)
    return Response(status_code=204)
