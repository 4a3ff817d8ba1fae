"""API shapes of the money endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from revline.crm.money.service import Rate, RateImport
from revline.crm.properties.values import format_number
from revline.kit.time import iso_ms


class CurrencySettingsIn(BaseModel):
    # The service checks the value, so a bad code gets its own named 400.
    model_config = ConfigDict(extra="ignore")

    homeCurrency: Any = None


def currency_settings_out(home: str) -> dict[str, Any]:
    return {"homeCurrency": home}


def rate_out(rate: Rate) -> dict[str, Any]:
    return {
        "id": str(rate.id),
        "currency": rate.currency,
        "effectiveFrom": rate.effective_from.isoformat(),
        "rate": format_number(rate.rate),
        "createdAt": iso_ms(rate.created_at),
    }


def import_out(result: RateImport) -> dict[str, Any]:
    return {
        "rows": result.rows,
        "created": result.created,
        "replaced": result.replaced,
        "currencies": list(result.currencies),
        "recomputedDeals": result.recomputed_deals,
    }
