"""HTTP endpoints for owners: /crm/v3/owners."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from revline.api import CurrentPrincipal, paging, unit_of_work
from revline.crm.owners import service
from revline.crm.owners.service import Owner
from revline.kit.time import iso_ms

router = APIRouter(tags=["owners"])


def owner_out(o: Owner) -> dict[str, Any]:
    return {
        "id": str(o.id),
        "email": o.email,
        "firstName": o.first_name or "",
        "lastName": o.last_name or "",
        "userId": o.user_id,
        "userIdIncludingInactive": o.user_id,
        "type": o.type,
        "createdAt": iso_ms(o.created_at),
        "updatedAt": iso_ms(o.updated_at),
        "archived": o.archived,
        "teams": [{"id": str(t.id), "name": t.name, "primary": t.primary} for t in o.teams],
    }


@router.get("/crm/v3/owners")
def list_owners(
    request: Request,
    principal: CurrentPrincipal,
    email: str | None = None,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    archived: bool = False,
) -> dict[str, Any]:
    """List the owners records can be assigned to."""
    with unit_of_work(request) as session:
        page = service.list_owners(
            session, limit=limit, after=after, archived=archived, email=email
        )
    return {"results": [owner_out(o) for o in page.items], **paging(request, page.next_after)}


@router.get("/crm/v3/owners/{owner_id}")
def get_owner(
    request: Request,
    owner_id: str,
    principal: CurrentPrincipal,
    idProperty: str = "id",
    archived: bool = False,
) -> dict[str, Any]:
    """Read one owner by id (or by userId)."""
    with unit_of_work(request) as session:
        return owner_out(
            service.access_owner(session, owner_id, id_property=idProperty, archived=archived)
        )
