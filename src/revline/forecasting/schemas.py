"""The API contract of forecasting: quotas, forecasts, history and accuracy as JSON."""

from __future__ import annotations

from typing import Any

from revline.forecasting.accuracy import Accuracy, GroupAccuracy, Point
from revline.forecasting.quotas import QuotaView
from revline.forecasting.service import Forecast, HistoryPoint, money_text
from revline.kit.time import iso_ms


def quota_out(q: QuotaView) -> dict[str, Any]:
    return {
        "id": str(q.id),
        "ownerId": str(q.subject_id) if q.subject_type == "owner" else None,
        "teamId": str(q.subject_id) if q.subject_type == "team" else None,
        "period": q.period.text,
        "periodKind": q.period.kind,
        "periodStart": q.period.start.isoformat(),
        "periodEnd": q.period.end.isoformat(),
        "amount": money_text(q.amount),
        "createdAt": iso_ms(q.quota.created_at),
        "updatedAt": iso_ms(q.quota.updated_at),
    }


def forecast_out(f: Forecast) -> dict[str, Any]:
    return {
        "period": f.period.text,
        "periodStart": f.period.start.isoformat(),
        "periodEnd": f.period.end.isoformat(),
        "groupBy": f.group_by,
        "pipeline": f.pipeline,
        "lookbackDays": f.lookback_days,
        "groups": [{"key": g.key, "label": g.label, **g.figures.as_dict()} for g in f.groups],
        "total": {"key": "total", "label": "Total", **f.total.as_dict()},
        "winRates": [
            {
                "pipeline": r.pipeline,
                "stage": r.stage,
                "label": r.label,
                "configuredProbability": str(r.configured),
                "historicalRate": None if r.historical is None else str(r.historical),
                "sampleSize": r.closed_deals,
                "wonDeals": r.won_deals,
                "used": r.used,
                "usedRate": str(r.rate),
            }
            for r in f.win_rates
        ],
    }


def history_out(
    period: str, group_by: str, group: str, points: list[HistoryPoint]
) -> dict[str, Any]:
    return {
        "period": period,
        "groupBy": group_by,
        "group": group,
        "results": [{"takenOn": p.taken_on.isoformat(), **p.figures} for p in points],
    }


def _point(p: Point | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "takenOn": p.taken_on.isoformat(),
        "forecast": money_text(p.forecast),
        "error": money_text(p.error),
        "absolutePercentageError": (
            None if p.absolute_percentage_error is None else str(p.absolute_percentage_error)
        ),
    }


def _group(g: GroupAccuracy) -> dict[str, Any]:
    return {
        "key": g.key,
        "label": g.label,
        "actual": money_text(g.actual),
        "methods": {
            m.method: {
                "first": _point(m.first),
                "midpoint": _point(m.midpoint),
                "last": _point(m.last),
                "meanAbsolutePercentageError": (
                    None
                    if m.mean_absolute_percentage_error is None
                    else str(m.mean_absolute_percentage_error)
                ),
            }
            for m in g.methods
        },
        "mostAccurate": g.most_accurate,
    }


def accuracy_out(a: Accuracy) -> dict[str, Any]:
    return {
        "period": a.period.text,
        "groupBy": a.group_by,
        "snapshotDays": [d.isoformat() for d in a.snapshot_days],
        "groups": [_group(g) for g in a.groups],
        "total": _group(a.total),
    }
