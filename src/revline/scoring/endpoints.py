"""HTTP endpoints for score models (/revline/v1/scoring/models) and a contact's score."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

from revline.api import CurrentPrincipal, paging, unit_of_work
from revline.scoring import service
from revline.scoring.schemas import change_out, explanation_out, model_out, recompute_out

router = APIRouter(tags=["scoring"])
BASE = "/revline/v1/scoring/models"


@router.post(BASE, status_code=201)
def create_model(
    request: Request, body: Annotated[Any, Body()], principal: CurrentPrincipal
) -> dict[str, Any]:
    """Create a score model; an active one scores every contact before answering."""
    with unit_of_work(request) as session:
        return model_out(service.create_model(session, body))


@router.get(BASE)
def list_models(
    request: Request, principal: CurrentPrincipal, after: str | None = None, limit: int = 100
) -> dict[str, Any]:
    """Live score models by id."""
    with unit_of_work(request) as session:
        views, next_after = service.list_models(session, after=after, limit=limit)
        return {"results": [model_out(v) for v in views], **paging(request, next_after)}


@router.get(BASE + "/{model}")
def get_model(request: Request, model: str, principal: CurrentPrincipal) -> dict[str, Any]:
    """A score model by id or name."""
    with unit_of_work(request) as session:
        return model_out(service.get_model(session, model))


@router.patch(BASE + "/{model}")
def update_model(
    request: Request, model: str, body: Annotated[Any, Body()], principal: CurrentPrincipal
) -> dict[str, Any]:
    """Change a model; a new definition is a new version and rescores every contact."""
    with unit_of_work(request) as session:
        return model_out(service.update_model(session, model, body))


@router.delete(BASE + "/{model}", status_code=204)
def archive_model(request: Request, model: str, principal: CurrentPrincipal) -> Response:
    """Archive a model: its properties are archived and its scores cleared."""
    with unit_of_work(request) as session:
        service.archive_model(session, model)
    return Response(status_code=204)


@router.post(BASE + "/{model}/recompute")
def recompute(request: Request, model: str, principal: CurrentPrincipal) -> dict[str, Any]:
    """Recompute every contact's score under an active model now."""
    with unit_of_work(request) as session:
        found = service.access_model(session, model)
        if not found.active:
            raise service.inactive(found)
        return recompute_out(service.recompute(session, found, cause="recompute"))


@router.get("/revline/v1/contacts/{contact_id}/score")
def contact_score(request: Request, contact_id: str, principal: CurrentPrincipal) -> dict[str, Any]:
    """A contact's score under every active model, with each rule's contribution and why."""
    with unit_of_work(request) as session:
        return {
            "contactId": contact_id,
            "results": [explanation_out(e) for e in service.explain(session, contact_id)],
        }


@router.get("/revline/v1/contacts/{contact_id}/score/history")
def score_history(
    request: Request,
    contact_id: str,
    principal: CurrentPrincipal,
    model: str | None = None,
    after: str | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """A contact's score changes, newest first, each with its cause."""
    with unit_of_work(request) as session:
        rows, next_after = service.history(
            session, contact_id, model=model, after=after, limit=limit
        )
        return {"results": [change_out(r, name) for r, name in rows], **paging(request, next_after)}
