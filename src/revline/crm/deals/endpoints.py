"""HTTP endpoints of the deal side: /revline/v1/deals/{id}/stage-history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from revline.api import CurrentPrincipal, unit_of_work
from revline.crm.deals import service
from revline.crm.deals.schemas import stage_history_out
from revline.kit.time import utcnow

router = APIRouter(tags=["deals"])


@router.get("/revline/v1/deals/{deal_id}/stage-history")
def stage_history(request: Request, deal_id: str, principal: CurrentPrincipal) -> dict[str, Any]:
    """A deal's stage transitions and its time in each stage (the stay in progress counted)."""
    with unit_of_work(request) as session:
        return stage_history_out(service.stage_history(session, deal_id, utcnow()))
