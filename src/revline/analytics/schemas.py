"""The API contract of pipeline health and stuck deals. Money is a string with 2 decimals
(home currency), days a string with 1 decimal, rates a string with 4 decimals; a figure with
no data behind it (a rate over no deals, say) is null."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from revline.analytics.service import (
    DAY_SECONDS,
    Money,
    PipelineHealth,
    StuckDeals,
    Threshold,
    fixed,
)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else fixed(value, 2)


def _days(value: Decimal | None) -> str | None:
    return None if value is None else fixed(value, 1)


def _rate(value: Decimal | None) -> str | None:
    return None if value is None else fixed(value, 4)


def _ident(value: int | None) -> str | None:
    return None if value is None else str(value)


def _count(m: Money) -> dict[str, Any]:
    return {"count": m.count, "amount": _money(m.amount)}


def pipeline_health_out(h: PipelineHealth) -> dict[str, Any]:
    return {
        "pipelineId": h.pipeline.id,
        "label": h.pipeline.label,
        "from": h.window.first.isoformat(),
        "to": h.window.last.isoformat(),
        "ownerId": _ident(h.owner_id),
        "currency": h.currency,
        "stages": [
            {
                "stageId": s.stage.id,
                "label": s.stage.label,
                "isClosed": s.stage.is_closed,
                "count": s.count,
                "amount": _money(s.amount),
                "weightedAmount": _money(s.weighted),
                "staysEnded": s.stays,
                "averageDaysInStage": _days(s.average_days),
                "medianDaysInStage": _days(s.median_days),
                "entered": s.entered,
                "advanced": s.advanced,
                "conversionRate": _rate(s.conversion),
            }
            for s in h.stages
        ],
        "totals": {
            "open": _count(h.open),
            "new": _count(h.new),
            "won": _count(h.won),
            "lost": _count(h.lost),
            "winRate": _rate(h.win_rate),
            "averageWonAmount": _money(h.average_won_amount),
            "averageSalesCycleDays": _days(h.average_cycle_days),
            "velocityPerDay": _money(h.velocity_per_day),
        },
    }


def _threshold_days(t: Threshold) -> str | None:
    return None if t.seconds is None else fixed(Decimal(t.seconds) / DAY_SECONDS, 1)


def threshold_out(t: Threshold) -> dict[str, Any]:
    out: dict[str, Any] = {
        "pipelineId": t.stage.pipeline_id,
        "stageId": t.stage.id,
        "label": t.stage.label,
        "days": _threshold_days(t),
        "source": t.source,
        "sampleSize": t.sample,
    }
    if t.seconds is None:
        out["note"] = (
            f"only {t.sample} stays by won deals (5 needed): no threshold, "
            "deals in this stage are not flagged"
        )
    return out


def stuck_deals_out(found: StuckDeals) -> dict[str, Any]:
    out: dict[str, Any] = {
        "currency": found.currency,
        "results": [
            {
                "id": str(d.deal_id),
                "name": d.name,
                "ownerId": _ident(d.owner_id),
                "pipelineId": d.pipeline,
                "stageId": d.stage.id,
                "stageLabel": d.stage.label,
                "amount": _money(d.amount),
                "daysInStage": _days(d.days_in_stage),
                "thresholdDays": _threshold_days(d.threshold),
                "thresholdSource": d.threshold.source,
                "reason": d.reason,
            }
            for d in found.results
        ],
        "thresholds": [threshold_out(t) for t in found.thresholds],
    }
    if found.next_after is not None:
        out["paging"] = {"next": {"after": found.next_after}}
    return out
