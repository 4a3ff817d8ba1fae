"""HTTP endpoint for duplicate candidates: POST /revline/v1/{objectType}/duplicates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from revline.api import CurrentPrincipal, unit_of_work
from revline.crm.duplicates import service
from revline.crm.duplicates.service import Candidate
from revline.errors import ErrorDetail, ValidationError
from revline.kit.pagination import parse_id

router = APIRouter(tags=["duplicates"])
MAX_LIMIT = 100


class DuplicatesIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    properties: Any = None
    companyId: Any = None
    limit: Any = 10


def candidate_out(c: Candidate) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "score": c.score,
        "likely": c.score >= service.LIKELY,
        "reasons": [{"rule": r.rule, "score": r.score, "detail": r.detail} for r in c.reasons],
        "properties": {k: v for k, v in c.properties.items() if v is not None},
    }


def _limit(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_LIMIT:
        raise ValidationError(
            f"limit must be a whole number from 1 to {MAX_LIMIT}",
            errors=[ErrorDetail("out of range", "INVALID_LIMIT", {"limit": [str(raw)]})],
        )
    return raw


@router.post("/revline/v1/{object_type}/duplicates")
def find_duplicates(
    request: Request, object_type: str, body: DuplicatesIn, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Existing records that may be the given (would-be) record, best first, with reasons."""
    ot = service.duplicate_type(object_type)
    limit = _limit(body.limit)
    company_id = None
    if body.companyId is not None:
        company_id = parse_id(str(body.companyId))
        if company_id is None:
            raise ValidationError(
                "companyId must be a company id",
                errors=[
                    ErrorDetail("not an id", "INVALID_ID", {"companyId": [str(body.companyId)]})
                ],
            )
    with unit_of_work(request) as session:
        found = service.find_duplicates(
            session, ot, body.properties, limit=limit, company_id=company_id
        )
    return {"results": [candidate_out(c) for c in found]}
