"""HTTP endpoint for merging records: POST /crm/v3/objects/{objectType}/merge."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from revline.api import CurrentPrincipal, unit_of_work
from revline.crm.object_types import access_object_type
from revline.crm.records import merge
from revline.crm.records.context import WriteSource
from revline.crm.records.schemas import record_out

router = APIRouter(tags=["objects"])


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    primaryObjectId: str
    objectIdToMerge: str


@router.post("/crm/v3/objects/{object_type}/merge")
def merge_objects(
    request: Request, object_type: str, body: MergeIn, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Merge objectIdToMerge into primaryObjectId; the primary keeps its id and gains the rest."""
    ot = access_object_type(object_type)
    with unit_of_work(request) as session:
        view = merge.merge_records(
            session,
            ot,
            body.primaryObjectId,
            body.objectIdToMerge,
            source=WriteSource("API", f"token:{principal.token_name}", principal.user_id),
        )
    return record_out(view)
