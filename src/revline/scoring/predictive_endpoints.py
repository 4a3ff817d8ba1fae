"""HTTP endpoints of the predictive score: /revline/v1/scoring/_predictive()."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from revline.api import CurrentPrincipal, paging, unit_of_work


def _predictive() -> Any:
    """Imported when first needed: scikit-learn takes a second and 100 MB to load, which
    a server answering other requests, or any other command, should not pay."""
    from revline.scoring import predictive as loaded

    return loaded


router = APIRouter(tags=["scoring"])
BASE = "/revline/v1/scoring/predictive"


class TrainIn(BaseModel):
    """Types are checked by the service, so a bad value is a 400 naming its field."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    outcome: Any = None
    algorithm: Any = None
    include: Any = None
    exclude: Any = None
    seed: Any = None
    activate: Any = None
    c: Any = Field(default=None, alias="C")


@router.post(BASE + "/train", status_code=201)
def train(request: Request, body: TrainIn, principal: CurrentPrincipal) -> dict[str, Any]:
    """Train a new version of the predictive score; by default it becomes active and every
    contact is scored."""
    with unit_of_work(request) as session:
        trained = _predictive().train(
            session,
            outcome=body.outcome,
            algorithm=body.algorithm,
            include=body.include,
            exclude=body.exclude,
            seed=body.seed,
            c=body.c,
            activate=body.activate,
            user_id=principal.user_id,
        )
        out: dict[str, Any] = _predictive().model_document(trained.model)
        if trained.scoring is not None:
            out["scoring"] = _predictive().summary_document(trained.scoring)
        return out


@router.get(BASE + "/models")
def list_models(
    request: Request, principal: CurrentPrincipal, after: str | None = None, limit: int = 100
) -> dict[str, Any]:
    """List the trained versions, newest first."""
    with unit_of_work(request) as session:
        page = _predictive().list_models(session, after=after, limit=limit)
        return {
            "results": [_predictive().model_document(m) for m in page.items],
            **paging(request, page.next_after),
        }


@router.get(BASE + "/models/{version}")
def get_model(request: Request, version: str, principal: CurrentPrincipal) -> dict[str, Any]:
    """Read one trained version with its metrics and warnings."""
    with unit_of_work(request) as session:
        found = _predictive().access_model(session, version)
        document: dict[str, Any] = _predictive().model_document(found)
        return document


@router.post(BASE + "/models/{version}/activate")
def activate(request: Request, version: str, principal: CurrentPrincipal) -> dict[str, Any]:
    """Make a trained version the active one and score every contact with it."""
    with unit_of_work(request) as session:
        model, summary = _predictive().activate(session, version)
        return {
            **_predictive().model_document(model),
            "scoring": _predictive().summary_document(summary),
        }


@router.post(BASE + "/score")
def score(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """Score every contact again with the active version."""
    with unit_of_work(request) as session:
        model, summary = _predictive().rescore(session)
        return {
            **_predictive().model_document(model),
            "scoring": _predictive().summary_document(summary),
        }
