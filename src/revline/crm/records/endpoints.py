"""HTTP endpoints for records: /crm/v3/objects/{objectType}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from revline.api import CurrentPrincipal, paging, split_list, unit_of_work
from revline.crm.duplicates import service as duplicates
from revline.crm.object_types import ObjectType, access_object_type
from revline.crm.records import service
from revline.crm.records.context import WriteSource
from revline.crm.records.schemas import RecordCreateIn, RecordUpdateIn, record_out

router = APIRouter(tags=["objects"])

Limit = Annotated[int, Query(ge=1, le=100, description="Page size, 1 to 100.")]
ListParam = Annotated[list[str] | None, Query()]


def _source(principal: CurrentPrincipal) -> WriteSource:
    return WriteSource("API", f"token:{principal.token_name}", principal.user_id)


def _association_types(values: list[str] | None) -> list[ObjectType]:
    return [access_object_type(name) for name in split_list(values)]


@router.get("/crm/v3/objects/{object_type}")
def list_objects(
    request: Request,
    object_type: str,
    principal: CurrentPrincipal,
    limit: Limit = 10,
    after: str | None = None,
    properties: ListParam = None,
    propertiesWithHistory: ListParam = None,
    associations: ListParam = None,
    archived: bool = False,
) -> dict[str, Any]:
    """List records of one object type, oldest first, with cursor paging."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        page = service.list_records(
            session,
            ot,
            limit=limit,
            after=after,
            archived=archived,
            properties_=split_list(properties),
            with_history=split_list(propertiesWithHistory),
            associations_=_association_types(associations),
        )
    return {"results": [record_out(v) for v in page.items], **paging(request, page.next_after)}


@router.post("/crm/v3/objects/{object_type}", status_code=201)
def create_object(
    request: Request,
    object_type: str,
    body: RecordCreateIn,
    principal: CurrentPrincipal,
    rejectDuplicates: bool = False,
) -> dict[str, Any]:
    """Create a record; every property value is validated against its definition. With
    ``rejectDuplicates=true`` a contact or company that looks like an existing one is a 409
    listing the candidates."""
    ot = access_object_type(object_type)
    specs = service.parse_association_inputs(ot, body.associations)
    with unit_of_work(request) as session:
        if rejectDuplicates:
            duplicates.refuse_likely_duplicates(session, ot, body.properties)
        view = service.create_record(
            session,
            ot,
            body.properties,
            association_specs=specs,
            lookup_type=access_object_type,
            source=_source(principal),
        )
    return record_out(view)


@router.get("/crm/v3/objects/{object_type}/{object_id}")
def get_object(
    request: Request,
    object_type: str,
    object_id: str,
    principal: CurrentPrincipal,
    properties: ListParam = None,
    propertiesWithHistory: ListParam = None,
    associations: ListParam = None,
    archived: bool = False,
    idProperty: str | None = None,
) -> dict[str, Any]:
    """Read one record by id, or by a unique property such as email or domain."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        view = service.access_record(
            session,
            ot,
            object_id,
            id_property=idProperty,
            archived=archived,
            properties_=split_list(properties),
            with_history=split_list(propertiesWithHistory),
            associations_=_association_types(associations),
        )
    return record_out(view)


@router.patch("/crm/v3/objects/{object_type}/{object_id}")
def update_object(
    request: Request,
    object_type: str,
    object_id: str,
    body: RecordUpdateIn,
    principal: CurrentPrincipal,
    idProperty: str | None = None,
) -> dict[str, Any]:
    """Change some property values of a record; others stay as they are."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        view = service.update_record(
            session,
            ot,
            object_id,
            body.properties,
            id_property=idProperty,
            source=_source(principal),
        )
    return record_out(view)


@router.delete("/crm/v3/objects/{object_type}/{object_id}", status_code=204)
def archive_object(
    request: Request, object_type: str, object_id: str, principal: CurrentPrincipal
) -> Response:
    """Archive a record (it can be listed with archived=true and restored)."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        service.archive_record(session, ot, object_id)
    return Response(status_code=204)


@router.post("/revline/v1/objects/{object_type}/{object_id}/restore")
def restore_object(
    request: Request, object_type: str, object_id: str, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Restore an archived record."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        view = service.restore_record(session, ot, object_id)
    return record_out(view)
