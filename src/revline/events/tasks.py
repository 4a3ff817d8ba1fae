"""Background jobs of events: the daily retention run."""

from __future__ import annotations

import logging
from datetime import time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from revline.events import service
from revline.jobs.registry import Schedule, payload_day, register_schedule, task
from revline.logging import log_event

logger = logging.getLogger("revline.events")


@task("events.apply_retention")
def apply_retention(session: Session, payload: dict[str, Any]) -> None:
    """Delete raw events older than the workspace's retention. A payload may name the day
    (``{"today": "2026-03-01"}``) the retention is counted back from."""
    result = service.apply_retention(session, payload_day(payload))
    log_event(
        logger,
        "events.retention_applied",
        retention_days=result.retention_days,
        deleted=result.deleted,
    )


# After midnight UTC, away from the other daily jobs at 00:05.
register_schedule(
    Schedule(
        "events-retention",
        "events.apply_retention",
        every=timedelta(days=1),
        at=time(0, 20),
    )
)
