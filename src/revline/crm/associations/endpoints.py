"""HTTP endpoints for HubSpot's v4 associations API: /crm/v4/objects/.../associations and
/crm/v4/associations/{from}/{to}/..."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from revline.api import CurrentPrincipal, paging, unit_of_work
from revline.crm.associations import service
from revline.crm.associations.schemas import (
    BatchDefaultIn,
    BatchMultiArchiveIn,
    BatchMultiPostIn,
    BatchReadIn,
    LabelCreateIn,
    LabelUpdateIn,
    SpecIn,
    batch_out,
    batch_read_out,
    default_link_out,
    labels_collection_out,
    pair_labels_out,
    target_out,
)
from revline.crm.object_types import access_object_type
from revline.errors import RevlineError
from revline.kit.time import utcnow

router = APIRouter(tags=["associations"])

PageLimit = Annotated[int, Query(ge=1, le=service.MAX_PAGE, description="Page size, 1 to 500.")]


def _batch_response(
    request: Request,
    results: list[dict[str, Any]],
    errors: list[RevlineError],
    started: Any,
    ok_status: int,
) -> JSONResponse:
    body = batch_out(results, errors, started, utcnow())
    return JSONResponse(body, status_code=207 if errors else ok_status)


@router.put("/crm/v4/objects/{from_type}/{from_id}/associations/default/{to_type}/{to_id}")
def create_default_association(
    request: Request,
    from_type: str,
    from_id: str,
    to_type: str,
    to_id: str,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """Link two records with the unlabelled (default) association type."""
    a, b = access_object_type(from_type), access_object_type(to_type)
    started = utcnow()
    with unit_of_work(request) as session:
        links = service.create_default(session, a, from_id, b, to_id)
    return batch_out([default_link_out(x) for x in links], [], started, utcnow())


@router.put("/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}/{to_id}", status_code=201)
def create_labelled_association(
    request: Request,
    from_type: str,
    from_id: str,
    to_type: str,
    to_id: str,
    body: list[SpecIn],
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """Link two records with the given association types (HubSpot-defined or labels)."""
    a, b = access_object_type(from_type), access_object_type(to_type)
    with unit_of_work(request) as session:
        pair = service.create_labelled(session, a, from_id, b, to_id, [s.pair() for s in body])
    return pair_labels_out(pair)


@router.delete(
    "/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}/{to_id}", status_code=204
)
def remove_associations(
    request: Request,
    from_type: str,
    from_id: str,
    to_type: str,
    to_id: str,
    principal: CurrentPrincipal,
) -> Response:
    """Remove every association between two records."""
    a, b = access_object_type(from_type), access_object_type(to_type)
    with unit_of_work(request) as session:
        service.remove_all(session, a, from_id, b, to_id)
    return Response(status_code=204)


@router.get("/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}")
def list_associations(
    request: Request,
    from_type: str,
    from_id: str,
    to_type: str,
    principal: CurrentPrincipal,
    limit: PageLimit = service.MAX_PAGE,
    after: str | None = None,
) -> dict[str, Any]:
    """The records of one type linked to a record, with every association type per record."""
    a, b = access_object_type(from_type), access_object_type(to_type)
    with unit_of_work(request) as session:
        targets, next_after = service.list_targets(session, a, from_id, b, after=after, limit=limit)
    return {"results": [target_out(t) for t in targets], **paging(request, next_after)}


@router.post("/crm/v4/associations/{from_type}/{to_type}/batch/read")
def batch_read_associations(
    request: Request, from_type: str, to_type: str, body: BatchReadIn, principal: CurrentPrincipal
) -> JSONResponse:
    """Read the associations of many records (up to 500 linked records each)."""
    a, b = access_object_type(from_type), access_object_type(to_type)
    started = utcnow()
    with unit_of_work(request) as session:
        results, errors = service.batch_read(session, a, b, [(i.id, i.after) for i in body.inputs])
    rendered = [
        batch_read_out(r, {"paging": {"next": {"after": r.next_after}}} if r.next_after else {})
        for r in results
    ]
    return _batch_response(request, rendered, errors, started, 200)


@router.post("/crm/v4/associations/{from_type}/{to_type}/batch/associate/default")
def batch_create_default_associations(
    request: Request,
    from_type: str,
    to_type: str,
    body: BatchDefaultIn,
    principal: CurrentPrincipal,
) -> JSONResponse:
    """Link many pairs of records with the default association type."""
    a, b = access_object_type(from_type), access_object_type(to_type)
    started = utcnow()
    with unit_of_work(request) as session:
        links, errors = service.batch_create_default(
            session, a, b, [(i.from_.id, i.to.id) for i in body.inputs]
        )
    return _batch_response(request, [default_link_out(x) for x in links], errors, started, 200)


@router.post("/crm/v4/associations/{from_type}/{to_type}/batch/create")
def batch_create_associations(
    request: Request,
    from_type: str,
    to_type: str,
    body: BatchMultiPostIn,
    principal: CurrentPrincipal,
) -> JSONResponse:
    """Link many pairs of records with the given association types."""
    a, b = access_object_type(from_type), access_object_type(to_type)
    started = utcnow()
    with unit_of_work(request) as session:
        pairs, errors = service.batch_create(
            session,
            a,
            b,
            [(i.from_.id, i.to.id, [s.pair() for s in i.types]) for i in body.inputs],
        )
    return _batch_response(request, [pair_labels_out(p) for p in pairs], errors, started, 201)


@router.post("/crm/v4/associations/{from_type}/{to_type}/batch/archive", status_code=204)
def batch_archive_associations(
    request: Request,
    from_type: str,
    to_type: str,
    body: BatchMultiArchiveIn,
    principal: CurrentPrincipal,
) -> Response:
    """Remove every association between each record and the listed records."""
    a, b = access_object_type(from_type), access_object_type(to_type)
    with unit_of_work(request) as session:
        service.batch_archive(
            session, a, b, [(i.from_.id, [t.id for t in i.to]) for i in body.inputs]
        )
    return Response(status_code=204)


@router.post("/crm/v4/associations/{from_type}/{to_type}/batch/labels/archive", status_code=204)
def batch_archive_association_labels(
    request: Request,
    from_type: str,
    to_type: str,
    body: BatchMultiPostIn,
    principal: CurrentPrincipal,
) -> Response:
    """Remove only the given association types between pairs of records."""
    a, b = access_object_type(from_type), access_object_type(to_type)
    with unit_of_work(request) as session:
        service.batch_archive_labels(
            session,
            a,
            b,
            [(i.from_.id, i.to.id, [s.pair() for s in i.types]) for i in body.inputs],
        )
    return Response(status_code=204)


@router.get("/crm/v4/associations/{from_type}/{to_type}/labels")
def list_association_labels(
    request: Request, from_type: str, to_type: str, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Association types between two object types: HubSpot-defined ones, then labels."""
    a, b = access_object_type(from_type), access_object_type(to_type)
    with unit_of_work(request) as session:
        infos = service.list_labels(session, a, b)
    return labels_collection_out(infos)


@router.post("/crm/v4/associations/{from_type}/{to_type}/labels")
def create_association_label(
    request: Request,
    from_type: str,
    to_type: str,
    body: LabelCreateIn,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """Create a label; both directions get a type id (the inverse label names the second)."""
    a, b = access_object_type(from_type), access_object_type(to_type)
    with unit_of_work(request) as session:
        infos = service.create_label(
            session, a, b, label=body.label, name=body.name, inverse_label=body.inverseLabel
        )
    return labels_collection_out(infos)


@router.put("/crm/v4/associations/{from_type}/{to_type}/labels", status_code=204)
def update_association_label(
    request: Request,
    from_type: str,
    to_type: str,
    body: LabelUpdateIn,
    principal: CurrentPrincipal,
) -> Response:
    """Rename a label (and optionally its inverse)."""
    a, b = access_object_type(from_type), access_object_type(to_type)
    with unit_of_work(request) as session:
        service.update_label(
            session,
            a,
            b,
            type_id=body.associationTypeId,
            label=body.label,
            inverse_label=body.inverseLabel,
        )
    return Response(status_code=204)


@router.delete("/crm/v4/associations/{from_type}/{to_type}/labels/{type_id}", status_code=204)
def delete_association_label(
    request: Request, from_type: str, to_type: str, type_id: str, principal: CurrentPrincipal
) -> Response:
    """Delete a label in both directions; refused while links still use it."""
    a, b = access_object_type(from_type), access_object_type(to_type)
    with unit_of_work(request) as session:
        service.delete_label(session, a, b, type_id)
    return Response(status_code=204)
