"""The queue's own housekeeping job: finished jobs are deleted after two weeks."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from revline.jobs.queue import prune_done_jobs
from revline.jobs.registry import Schedule, register_schedule, task

KEEP_DONE_DAYS = 14


@task("jobs.prune")
def prune(session: Session, payload: dict[str, Any]) -> None:
    prune_done_jobs(session, older_than=timedelta(days=int(payload.get("days", KEEP_DONE_DAYS))))


register_schedule(
    Schedule("jobs-prune", "jobs.prune", every=timedelta(days=1), at=time(3, 15)),
)
