"""HTTP endpoints for events: /revline/v1/events (append-only ingestion and listing),
/revline/v1/event-definitions and /revline/v1/settings/events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from revline.api import (
    CurrentPrincipal,
    FastJSONResponse,
    paging,
    parse_json_body,
    split_list,
    unit_of_work,
)
from revline.errors import RevlineError, encodable
from revline.events import service, timeline
from revline.events.schemas import (
    batch_out,
    definition_out,
    event_out,
    identified_out,
    settings_out,
    timeline_item_out,
)

router = APIRouter(tags=["events"])
EVENTS = "/revline/v1/events"
DEFINITIONS = "/revline/v1/event-definitions"
SETTINGS = "/revline/v1/settings/events"


def _record_one(request: Request, body: Any) -> Response:
    with unit_of_work(request) as session:
        outcome = service.ingest_events(session, [body]).outcomes[0]
    if isinstance(outcome, RevlineError):
        raise outcome
    status = 200 if outcome.duplicate else 201
    return FastJSONResponse(event_out(outcome), status_code=status)


def _record_batch(request: Request, body: Any) -> Response:
    inputs = service.check_batch(body.get("inputs") if isinstance(body, dict) else None)
    with unit_of_work(request) as session:
        result = service.ingest_events(session, inputs)
    return FastJSONResponse(batch_out(result), status_code=207 if result.errors else 200)


# Ingestion reads its own bodies (see api.parse_json_body) and does the database work in the
# thread pool, as plain endpoints do.
@router.post(EVENTS, status_code=201, response_class=FastJSONResponse)
async def create_event(request: Request, principal: CurrentPrincipal) -> Response:
    """Record one event; a repeated idempotency key answers 200 with the original event."""
    body = parse_json_body(await request.body())
    return await run_in_threadpool(_record_one, request, body)


@router.post(EVENTS + "/batch", response_class=FastJSONResponse)
async def create_events(request: Request, principal: CurrentPrincipal) -> Response:
    """Record up to 1,000 events; failed items are reported in a 207, the others are kept."""
    body = parse_json_body(await request.body())
    return await run_in_threadpool(_record_batch, request, body)


@router.post(EVENTS + "/identify")
def identify(
    request: Request, principal: CurrentPrincipal, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Tie an anonymous id to a contact; its earlier events move to the contact."""
    with unit_of_work(request) as session:
        return identified_out(service.identify(session, body))


@router.get(EVENTS)
def list_events(
    request: Request,
    principal: CurrentPrincipal,
    contact_id: Annotated[str | None, Query(alias="contactId")] = None,
    event_type: Annotated[str | None, Query(alias="type")] = None,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    limit: int = 100,
    after: str | None = None,
) -> JSONResponse:
    """List events, newest first, optionally of one contact, one type and a time range."""
    with unit_of_work(request) as session:
        page = service.list_events(
            session,
            contact_id=contact_id,
            event_type=event_type,
            start=start,
            end=end,
            limit=limit,
            after=after,
        )
    body = {"results": [event_out(e) for e in page.items], **paging(request, page.next_after)}
    return JSONResponse(encodable(body))


@router.get(DEFINITIONS)
def list_definitions(
    request: Request, principal: CurrentPrincipal, archived: bool = False
) -> dict[str, Any]:
    """List event types: the built-ins (flagged builtin) and the custom definitions."""
    with unit_of_work(request) as session:
        found = service.list_definitions(session, archived=archived)
    return {"results": [definition_out(d) for d in found]}


@router.post(DEFINITIONS, status_code=201)
def create_definition(
    request: Request, principal: CurrentPrincipal, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Define a custom event type and the schema of its properties."""
    with unit_of_work(request) as session:
        return definition_out(service.create_definition(session, body))


@router.get(DEFINITIONS + "/{name}")
def get_definition(request: Request, name: str, principal: CurrentPrincipal) -> dict[str, Any]:
    """Read one event type, built-in or custom."""
    with unit_of_work(request) as session:
        return definition_out(service.get_definition(session, name))


@router.patch(DEFINITIONS + "/{name}")
def update_definition(
    request: Request,
    name: str,
    principal: CurrentPrincipal,
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Change a custom event type; built-in types are read-only."""
    with unit_of_work(request) as session:
        return definition_out(service.update_definition(session, name, body))


@router.delete(DEFINITIONS + "/{name}", status_code=204)
def archive_definition(request: Request, name: str, principal: CurrentPrincipal) -> Response:
    """Archive a custom event type: its events stay, new ones are refused."""
    with unit_of_work(request) as session:
        service.archive_definition(session, name)
    return Response(status_code=204)


@router.get(SETTINGS)
def get_settings(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """Read the event settings (unknown emails, retention)."""
    with unit_of_work(request) as session:
        return settings_out(service.get_settings(session))


@router.put(SETTINGS)
def put_settings(
    request: Request, principal: CurrentPrincipal, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Change the event settings named in the body."""
    with unit_of_work(request) as session:
        return settings_out(service.update_settings(session, body))


@router.get("/revline/v1/contacts/{contact_id}/timeline")
def contact_timeline(
    request: Request,
    contact_id: str,
    principal: CurrentPrincipal,
    limit: int = 50,
    after: str | None = None,
    types: Annotated[list[str] | None, Query()] = None,
) -> JSONResponse:
    """A contact's events, engagements, property, lifecycle and deal stage changes, newest first."""
    with unit_of_work(request) as session:
        page = timeline.contact_timeline(
            session, contact_id, kinds=split_list(types), limit=limit, after=after
        )
    body = {
        "results": [timeline_item_out(i) for i in page.items],
        **paging(request, page.next_after),
    }
    return JSONResponse(encodable(body))
