"""Recurring jobs: each registered ``Schedule`` has a ``scheduled_tasks`` row saying when it
next falls due; a worker that finds it due enqueues one job and moves the row on."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from revline.jobs import repository
from revline.jobs.queue import enqueue
from revline.jobs.registry import Schedule
from revline.kit.time import utcnow
from revline.logging import log_event

logger = logging.getLogger("revline.jobs")

_DAY = timedelta(days=1)


def _at(day: datetime, at: time) -> datetime:
    return datetime.combine(day.date(), at.replace(tzinfo=None), tzinfo=UTC)


def first_due(schedule: Schedule, now: datetime) -> datetime:
    """When a schedule seen for the first time falls due: at once, or for a schedule with
    ``at``, at the next time of day ``at`` (today's if it has not passed)."""
    if schedule.at is None:
        return now
    due = _at(now, schedule.at)
    return due if due >= now else due + _DAY


def next_due(schedule: Schedule, due: datetime, now: datetime) -> datetime:
    """The due time after ``due``, the first one later than ``now``.

    Slots missed while no worker ran are skipped, not replayed: the one job enqueued for
    ``due`` is the catch-up run. With ``at``, the result sits at that UTC time of day.
    """
    if schedule.every <= timedelta(0):
        raise ValueError(f"schedule {schedule.name} must have a positive period")
    following = due + schedule.every
    if following <= now:
        following = due + ((now - due) // schedule.every + 1) * schedule.every
    if schedule.at is not None:
        # Normally already aligned; this realigns a row written before ``at`` changed.
        following = _at(following, schedule.at)
        while following <= now:
            following += _DAY
    return following


def schedule_key(name: str, due: datetime) -> str:
    return f"{name}:{due.astimezone(UTC).isoformat()}"


def enqueue_due_schedules(
    session: Session, schedules: Sequence[Schedule], *, now: datetime | None = None
) -> list[int]:
    """Enqueue one job for every schedule due at ``now`` and move each on to its next due
    time. Returns the ids of the jobs added. Safe to run from several workers at once: a
    schedule row being advanced by one is skipped by the others, and the job's unique key
    (``"<name>:<due time>"``) stops a second copy of the same run."""
    now = now or utcnow()
    by_name = {s.name: s for s in schedules}
    if not by_name:
        return []
    names = sorted(by_name)
    known = repository.schedule_names(session, names)
    missing = [
        {"name": name, "next_run_at": first_due(by_name[name], now)}
        for name in names
        if name not in known
    ]
    repository.add_schedules(session, missing)
    added: list[int] = []
    for row in repository.due_schedules(session, names, now):
        schedule = by_name[row.name]
        due = row.next_run_at
        job_id = enqueue(
            session,
            schedule.kind,
            dict(schedule.payload),
            run_at=due,
            unique_key=schedule_key(schedule.name, due),
        )
        row.last_run_at = now
        row.next_run_at = next_due(schedule, due, now)
        log_event(
            logger,
            "schedule.enqueued",
            schedule=schedule.name,
            kind=schedule.kind,
            due=due.isoformat(),
            job_id=job_id,
            next_run_at=row.next_run_at.isoformat(),
        )
        if job_id is not None:
            added.append(job_id)
    session.flush()
    return added
