"""HTTP endpoints for test-driving score models: backtests and data-driven points."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from revline.api import CurrentPrincipal, unit_of_work
from revline.scoring import backtest


def _backtest_points() -> Any:
    """Imported when first needed: scikit-learn takes a second and 100 MB to load, which
    a server answering other requests, or any other command, should not pay."""
    from revline.scoring import backtest_points as loaded

    return loaded


router = APIRouter(tags=["scoring"])
BASE = "/revline/v1/scoring"


@router.post(BASE + "/backtest")
def run_backtest(
    request: Request, body: Annotated[Any, Body()], principal: CurrentPrincipal
) -> dict[str, Any]:
    """Score a past day's population under one or two models and measure who converted."""
    with unit_of_work(request) as session:
        return backtest.backtest(session, body).to_api()


@router.post(BASE + "/suggest-points")
def suggest_points(
    request: Request, body: Annotated[Any, Body()], principal: CurrentPrincipal
) -> dict[str, Any]:
    """Fit each rule's points on a past day's outcomes and propose the re-pointed model."""
    with unit_of_work(request) as session:
        answer: dict[str, Any] = _backtest_points().suggest_points(session, body).to_api()
        return answer
