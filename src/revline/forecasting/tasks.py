"""Background jobs of forecasting: the daily forecast snapshots."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from revline.forecasting import service
from revline.jobs.registry import Schedule, payload_day, register_schedule, task


@task("forecast.snapshot")
def snapshot(session: Session, payload: dict[str, Any]) -> None:
    """Store today's forecast of the current quarter and month. A payload may name the day
    (``{"today": "2026-11-03"}``) to replay a missed run; a rerun replaces the day's rows."""
    service.take_snapshots(session, payload_day(payload))


# Late in the UTC day, so the snapshot holds the day's changes.
register_schedule(
    Schedule(
        "forecast-snapshots",
        "forecast.snapshot",
        every=timedelta(days=1),
        at=time(23, 50),
    )
)
