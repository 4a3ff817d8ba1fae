"""Background jobs of money: the daily refresh of open deals to the rates in force."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from revline.crm.money import service
from revline.jobs.registry import Schedule, payload_day, register_schedule, task


@task("money.refresh_open_deals")
def refresh_open_deals(session: Session, payload: dict[str, Any]) -> None:
    """Convert open deals with the rates that took effect since the last run. A payload may
    name the day (``{"today": "2026-03-01"}``) to replay a missed run."""
    service.refresh_open_deals(session, payload_day(payload))


# Just after midnight UTC, when the day's new rates take effect.
register_schedule(
    Schedule(
        "money-refresh",
        "money.refresh_open_deals",
        every=timedelta(days=1),
        at=time(0, 5),
    )
)
