"""Which function runs each kind of job, and which jobs recur on a schedule.

Domain packages register their handlers in their own ``tasks.py`` at import time::

    @task("forecast.snapshot")
    def snapshot(session: Session, payload: dict[str, Any]) -> None: ...

    register_schedule(Schedule("forecast-snapshots", "forecast.snapshot", every=timedelta(days=1),
                               at=time(23, 30)))

A handler runs in its own unit of work; it must be idempotent (a job can run again after a
crash between its work and its completion).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from revline.kit.time import utcnow

Handler = Callable[[Session, dict[str, Any]], None]

_HANDLERS: dict[str, Handler] = {}
_SCHEDULES: dict[str, Schedule] = {}


@dataclass(frozen=True)
class Schedule:
    """A job of ``kind`` enqueued every ``every``; with ``at``, aligned to that UTC time of
    day (daily jobs)."""

    name: str
    kind: str
    every: timedelta
    at: time | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def task(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if kind in _HANDLERS and _HANDLERS[kind] is not fn:
            raise RuntimeError(f"two handlers for job kind {kind}")
        _HANDLERS[kind] = fn
        return fn

    return register


def register_schedule(schedule: Schedule) -> Schedule:
    _SCHEDULES[schedule.name] = schedule
    return schedule


def handler_for(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def schedules() -> list[Schedule]:
    return sorted(_SCHEDULES.values(), key=lambda s: s.name)


def payload_day(payload: dict[str, Any]) -> date:
    """The day a daily job is for: ``{"today": "2026-03-01"}`` replays a missed day; without
    it, today (UTC)."""
    day = payload.get("today")
    return date.fromisoformat(day) if isinstance(day, str) else utcnow().date()
