"""HTTP endpoints for working leads: POST /revline/v1/contacts/{id}/convert."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from revline.api import CurrentPrincipal, unit_of_work
from revline.crm.records.context import WriteSource
from revline.kit.time import iso_ms
from revline.lifecycle import conversion
from revline.lifecycle.conversion import ConversionResult

router = APIRouter(tags=["lifecycle"])


def conversion_out(result: ConversionResult) -> dict[str, Any]:
    def ident(value: int | None) -> str | None:
        return None if value is None else str(value)

    return {
        "contactId": str(result.contact_id),
        "company": None
        if result.company_id is None
        else {
            "id": str(result.company_id),
            "created": result.company_created,
            "matchedBy": result.company_matched_by,
            "score": result.company_match_score,
        },
        "deal": None
        if result.deal_id is None
        else {"id": ident(result.deal_id), "created": result.deal_created},
        "lifecycleStage": result.lifecycle_stage,
        "leadStatus": result.lead_status,
        "convertedAt": iso_ms(result.converted_at),
        "alreadyConverted": result.already_converted,
    }


@router.post("/revline/v1/contacts/{contact_id}/convert")
def convert_contact(
    request: Request,
    contact_id: str,
    principal: CurrentPrincipal,
    body: Annotated[Any, Body()] = None,
) -> dict[str, Any]:
    """Convert a qualified contact: match or create its company, optionally open a deal."""
    source = WriteSource("API", f"token:{principal.token_name}", principal.user_id)
    with unit_of_work(request) as session:
        result = conversion.convert_contact(session, contact_id, body, source=source)
        return conversion_out(result)
