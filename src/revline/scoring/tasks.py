"""Scoring jobs: recomputing the scores a change can affect, and the daily recompute of the
models whose windows and decay move with the calendar."""

from __future__ import annotations

import logging
from datetime import time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from revline.crm.signals import RESCORE
from revline.jobs import queue
from revline.jobs.registry import Schedule, payload_day, register_schedule, task
from revline.logging import log_event
from revline.scoring import service

logger = logging.getLogger("revline.scoring")
DECAY = "scoring.decay"

# As with segments, a handler takes other queued recomputes with it and scores their union.
MERGE_LIMIT = 19


@task(RESCORE)
def recompute(session: Session, payload: dict[str, Any]) -> None:
    payloads = [payload, *queue.take_queued(session, RESCORE, limit=MERGE_LIMIT)]
    for merged in service.merge_payloads(payloads):
        for result in service.apply_changes(session, merged):
            _log(result, "scoring.recomputed")


@task(DECAY)
def decay(session: Session, payload: dict[str, Any]) -> None:
    day = payload_day(payload)
    for result in service.recompute_all(
        session, cause="decay", detail=day.isoformat(), only_time_based=True, today=day
    ):
        _log(result, "scoring.decayed")


def _log(result: service.Recompute, what: str) -> None:
    if result.problem is not None:
        log_event(logger, "scoring.model_invalid", model=result.name, problem=result.problem)
        return
    log_event(
        logger,
        what,
        model=result.name,
        scored=result.scored,
        changed=result.changed,
        moved=result.moved,
    )


register_schedule(Schedule("scoring-decay", DECAY, every=timedelta(days=1), at=time(0, 20)))
