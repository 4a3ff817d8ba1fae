"""HTTP endpoints for money: /revline/v1/settings/currency (the home currency) and
/revline/v1/exchange-rates (effective-dated rates, one by one or as a CSV)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

from revline.api import CurrentPrincipal, paging, unit_of_work
from revline.crm.money import service
from revline.crm.money.schemas import (
    CurrencySettingsIn,
    currency_settings_out,
    import_out,
    rate_out,
)

router = APIRouter(tags=["money"])
SETTINGS = "/revline/v1/settings/currency"
RATES = "/revline/v1/exchange-rates"


@router.get(SETTINGS)
def get_currency_settings(request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """Read the workspace's home currency."""
    with unit_of_work(request) as session:
        return currency_settings_out(service.home_currency(session))


@router.put(SETTINGS)
def put_currency_settings(
    request: Request, body: CurrencySettingsIn, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Set the home currency (refused while exchange rates exist)."""
    with unit_of_work(request) as session:
        return currency_settings_out(service.set_home_currency(session, body.homeCurrency))


@router.get(RATES)
def list_rates(
    request: Request,
    principal: CurrentPrincipal,
    currency: str | None = None,
    after: str | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """List exchange rates by currency and date, optionally of one currency."""
    with unit_of_work(request) as session:
        home = service.home_currency(session)
        page = service.list_rates(session, currency=currency, after=after, limit=limit)
    return {
        "homeCurrency": home,
        "results": [rate_out(r) for r in page.items],
        **paging(request, page.next_after),
    }


@router.post(RATES, status_code=201)
def create_rates(
    request: Request, principal: CurrentPrincipal, body: Annotated[Any, Body()] = None
) -> dict[str, Any]:
    """Load one rate, or several as {"inputs": [...]}; deals in those currencies follow."""
    with unit_of_work(request) as session:
        rates = service.create_rates(session, body)
    if isinstance(body, dict) and "inputs" in body:
        return {"results": [rate_out(r) for r in rates]}
    return rate_out(rates[0])


@router.post(RATES + "/import")
def import_rates(
    request: Request,
    principal: CurrentPrincipal,
    body: Annotated[bytes, Body(media_type="text/csv")] = b"",
) -> dict[str, Any]:
    """Load a CSV of rates (currency,effective_from,rate): all rows or none."""
    with unit_of_work(request) as session:
        return import_out(service.import_rates_csv(session, body))


@router.delete(RATES + "/{rate_id}", status_code=204)
def delete_rate(request: Request, rate_id: str, principal: CurrentPrincipal) -> Response:
    """Delete one exchange rate; deals in its currency are recomputed."""
    with unit_of_work(request) as session:
        service.delete_rate(session, rate_id)
    return Response(status_code=204)
