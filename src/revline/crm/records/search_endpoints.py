"""HTTP endpoint for record search: POST /crm/v3/objects/{objectType}/search."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from revline.api import CurrentPrincipal, paging, unit_of_work
from revline.crm.object_types import access_object_type
from revline.crm.records.schemas import record_out
from revline.crm.records.search import parse_search_request, search_records

router = APIRouter(tags=["search"])


@router.post("/crm/v3/objects/{object_type}/search")
def search_objects(
    request: Request,
    object_type: str,
    principal: CurrentPrincipal,
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Search records with filter groups, free text, one sort and offset paging."""
    ot = access_object_type(object_type)
    search = parse_search_request(body)
    with unit_of_work(request) as session:
        result = search_records(session, ot, search)
    return {
        "total": result.total,
        "results": [record_out(v) for v in result.items],
        **paging(request, result.next_after),
    }
