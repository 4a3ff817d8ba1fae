"""HTTP endpoints for batch calls: /crm/v3/objects/{objectType}/batch/*."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from revline.api import CurrentPrincipal, unit_of_work
from revline.crm.object_types import access_object_type
from revline.crm.records import batch
from revline.crm.records.batch import BatchResult
from revline.crm.records.context import WriteSource
from revline.crm.records.schemas import record_out
from revline.errors import encodable
from revline.kit.time import iso_ms

router = APIRouter(tags=["objects"])


class BatchIn(BaseModel):
    """A batch body; items are checked one by one so that one bad item fails alone."""

    model_config = ConfigDict(extra="ignore")

    inputs: list[Any]


class BatchReadIn(BatchIn):
    properties: list[str] | None = None
    propertiesWithHistory: list[str] | None = None
    idProperty: str | None = None


class BatchUpdateIn(BatchIn):
    idProperty: str | None = None


def _source(principal: CurrentPrincipal) -> WriteSource:
    return WriteSource("API", f"token:{principal.token_name}", principal.user_id)


def _answer(result: BatchResult, ok_status: int, *, upsert: bool = False) -> JSONResponse:
    """HubSpot's batch shape: ``ok_status`` when every item succeeded, else 207 with errors."""
    results = []
    for view in result.results:
        out = record_out(view)
        if upsert:
            out["new"] = bool(view.extra.get("new"))
        results.append(out)
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": iso_ms(result.started_at),
        "completedAt": iso_ms(result.completed_at),
    }
    if not result.errors:
        return JSONResponse(body, status_code=ok_status)
    body["numErrors"] = len(result.errors)
    # Messages and contexts echo client ids, which may hold lone surrogates.
    body["errors"] = encodable(
        [
            {
                "status": "error",
                "category": e.category,
                "message": e.message,
                "context": e.context,
                "errors": [d.as_dict() for d in e.errors],
                "links": {},
            }
            for e in result.errors
        ]
    )
    return JSONResponse(body, status_code=207)


@router.post("/crm/v3/objects/{object_type}/batch/read")
def batch_read(
    request: Request,
    object_type: str,
    body: BatchReadIn,
    principal: CurrentPrincipal,
    archived: bool = False,
) -> JSONResponse:
    """Read up to 100 records by id or by a unique property; 207 lists the missing ones."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        result = batch.read_batch(
            session,
            ot,
            body.inputs,
            id_property=body.idProperty,
            archived=archived,
            properties_=body.properties,
            with_history=body.propertiesWithHistory,
        )
    return _answer(result, 200)


@router.post("/crm/v3/objects/{object_type}/batch/create", status_code=201)
def batch_create(
    request: Request, object_type: str, body: BatchIn, principal: CurrentPrincipal
) -> JSONResponse:
    """Create up to 100 records; invalid items are reported in a 207 and not written."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        result = batch.create_batch(session, ot, body.inputs, source=_source(principal))
    return _answer(result, 201)


@router.post("/crm/v3/objects/{object_type}/batch/update")
def batch_update(
    request: Request, object_type: str, body: BatchUpdateIn, principal: CurrentPrincipal
) -> JSONResponse:
    """Change up to 100 records by id (or idProperty); failed items are reported in a 207."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        result = batch.update_batch(
            session, ot, body.inputs, id_property=body.idProperty, source=_source(principal)
        )
    return _answer(result, 200)


@router.post("/crm/v3/objects/{object_type}/batch/upsert")
def batch_upsert(
    request: Request, object_type: str, body: BatchIn, principal: CurrentPrincipal
) -> JSONResponse:
    """Create or update up to 100 records named by a unique property; results carry new."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        result = batch.upsert_batch(session, ot, body.inputs, source=_source(principal))
    return _answer(result, 200, upsert=True)


@router.post("/crm/v3/objects/{object_type}/batch/archive", status_code=204)
def batch_archive(
    request: Request, object_type: str, body: BatchIn, principal: CurrentPrincipal
) -> Response:
    """Archive up to 100 records by id; ids of missing records are skipped."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        batch.archive_batch(session, ot, body.inputs)
    return Response(status_code=204)
