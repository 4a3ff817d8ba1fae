"""Segment jobs: incremental re-evaluation after changes, and the daily refresh of the
segments that time alone can change."""

from __future__ import annotations

import logging
from datetime import time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from revline.crm.signals import REEVALUATE
from revline.jobs import queue
from revline.jobs.registry import Schedule, payload_day, register_schedule, task
from revline.logging import log_event
from revline.segments import service

logger = logging.getLogger("revline.segments")
REFRESH = "segments.refresh_time_based"


# Changes can arrive faster than one job each is evaluated (event ingestion writes one per
# batch of up to 1,000 events): a handler takes up to this many other queued re-evaluations
# with it and evaluates their union, in a few statements per layer of segments either way.
MERGE_LIMIT = 19


@task(REEVALUATE)
def reevaluate(session: Session, payload: dict[str, Any]) -> None:
    payloads = [payload, *queue.take_queued(session, REEVALUATE, limit=MERGE_LIMIT)]
    diffs = []
    for merged in service.merge_payloads(payloads):
        diffs += service.reevaluate(session, merged)
    for d in diffs:
        log_event(
            logger,
            "segments.reevaluated",
            segment_id=d.segment_id,
            entered=d.entered,
            exited=d.exited,
        )


@task(REFRESH)
def refresh_time_based(session: Session, payload: dict[str, Any]) -> None:
    diffs = service.refresh_time_based(session, payload_day(payload))
    for d in diffs:
        log_event(
            logger,
            "segments.refreshed",
            segment_id=d.segment_id,
            entered=d.entered,
            exited=d.exited,
        )


register_schedule(Schedule("segments-time-based", REFRESH, every=timedelta(days=1), at=time(0, 10)))
