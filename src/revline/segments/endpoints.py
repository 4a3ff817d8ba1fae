"""HTTP endpoints for segments: /revline/v1/segments and a contact's memberships."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from revline.api import CurrentPrincipal, paging, split_list, unit_of_work
from revline.segments import service
from revline.segments.schemas import (
    IdsIn,
    PreviewIn,
    SegmentIn,
    SegmentUpdateIn,
    contact_segments_out,
    diff_out,
    list_change_out,
    member_out,
    preview_out,
    segment_out,
)

router = APIRouter(tags=["segments"])
BASE = "/revline/v1/segments"


@router.post(BASE, status_code=201)
def create_segment(
    request: Request, body: SegmentIn, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Create a dynamic or static segment; a dynamic one's members are found at once."""
    with unit_of_work(request) as session:
        view, diff = service.create_segment(session, body.name, body.kind, body.conditions)
        return {**segment_out(view), "entered": diff.entered}


@router.get(BASE)
def list_segments(
    request: Request, principal: CurrentPrincipal, after: str | None = None, limit: int = 100
) -> dict[str, Any]:
    """List live segments by id."""
    with unit_of_work(request) as session:
        views, next_after = service.list_segments(session, after=after, limit=limit)
        return {"results": [segment_out(v) for v in views], **paging(request, next_after)}


@router.post(f"{BASE}/preview")
def preview(request: Request, body: PreviewIn, principal: CurrentPrincipal) -> dict[str, Any]:
    """Count and show the contacts some conditions match now, without saving anything."""
    with unit_of_work(request) as session:
        return preview_out(
            service.preview(session, body.conditions, limit=body.limit, properties_=body.properties)
        )


@router.get(BASE + "/{segment_id}")
def get_segment(request: Request, segment_id: str, principal: CurrentPrincipal) -> dict[str, Any]:
    """Read a segment with its current size."""
    with unit_of_work(request) as session:
        return segment_out(service.get_segment(session, segment_id))


@router.patch(BASE + "/{segment_id}")
def update_segment(
    request: Request, segment_id: str, body: SegmentUpdateIn, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Rename a segment or change its conditions (its membership is re-diffed)."""
    with unit_of_work(request) as session:
        view, diffs = service.update_segment(
            session, segment_id, name=body.name, conditions=body.conditions
        )
        return {**segment_out(view), "changes": [diff_out(d) for d in diffs]}


@router.delete(BASE + "/{segment_id}", status_code=204)
def archive_segment(request: Request, segment_id: str, principal: CurrentPrincipal) -> Response:
    """Archive a segment; its members leave it."""
    with unit_of_work(request) as session:
        service.archive_segment(session, segment_id)
    return Response(status_code=204)


@router.get(BASE + "/{segment_id}/count")
def count_members(request: Request, segment_id: str, principal: CurrentPrincipal) -> dict[str, Any]:
    """How many contacts a segment holds."""
    with unit_of_work(request) as session:
        return {"segmentId": segment_id, "total": service.count_members(session, segment_id)}


@router.get(BASE + "/{segment_id}/members")
def list_members(
    request: Request,
    segment_id: str,
    principal: CurrentPrincipal,
    after: str | None = None,
    limit: int = 100,
    properties: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    """List a segment's members (contacts, by id) with when each entered."""
    with unit_of_work(request) as session:
        page = service.list_members(
            session,
            segment_id,
            after=after,
            limit=limit,
            properties_=split_list(properties) or None,
        )
        return {"results": [member_out(m) for m in page.items], **paging(request, page.next_after)}


def _list_answer(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=207 if body.get("errors") else 200)


@router.post(BASE + "/{segment_id}/members/add")
def add_members(
    request: Request, segment_id: str, body: IdsIn, principal: CurrentPrincipal
) -> JSONResponse:
    """Add contacts to a static segment (207 when some ids could not be added)."""
    with unit_of_work(request) as session:
        change = service.add_members(session, segment_id, body.ids)
    return _list_answer(list_change_out(change, "added"))


@router.post(BASE + "/{segment_id}/members/remove")
def remove_members(
    request: Request, segment_id: str, body: IdsIn, principal: CurrentPrincipal
) -> JSONResponse:
    """Remove contacts from a static segment (207 when some ids were not valid)."""
    with unit_of_work(request) as session:
        change = service.remove_members(session, segment_id, body.ids)
    return _list_answer(list_change_out(change, "removed"))


@router.post(BASE + "/{segment_id}/rebuild")
def rebuild(request: Request, segment_id: str, principal: CurrentPrincipal) -> dict[str, Any]:
    """Rebuild a segment's membership now (and the segments built on it)."""
    with unit_of_work(request) as session:
        diffs = service.rebuild(session, segment_id)
    first = diffs[0]
    return {
        "entered": first.entered,
        "exited": first.exited,
        "results": [diff_out(d) for d in diffs],
    }


@router.get("/revline/v1/contacts/{contact_id}/segments")
def contact_segments(
    request: Request, contact_id: str, principal: CurrentPrincipal
) -> dict[str, Any]:
    """A contact's segments now and its entries and exits, newest first."""
    with unit_of_work(request) as session:
        return contact_segments_out(service.contact_segments(session, contact_id))
