"""All SQL of the job queue and its schedules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from revline.kit.db import dialect as sql
from revline.models.jobs import Job, ScheduledTask

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
STATUSES = (QUEUED, RUNNING, DONE, FAILED)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def lock_key(session: Session, key: str) -> None:
    """Hold ``key`` until the transaction ends (no-op where writers are serialised)."""
    statement = sql.key_lock(_dialect(session), key)
    if statement is not None:
        session.execute(statement)


def active_job_with_key(session: Session, key: str) -> int | None:
    """The id of a queued or running job with ``unique_key`` = ``key``."""
    return session.scalar(
        select(Job.id)
        .where(Job.unique_key == key, Job.status.in_((QUEUED, RUNNING)))
        .order_by(Job.id)
        .limit(1)
    )


def claimable_jobs(session: Session, *, now: datetime, limit: int) -> list[Job]:
    """Queued jobs that are due and running jobs whose lease has run out, oldest due first,
    locked for this transaction; rows another claimer holds are passed over."""
    statement = (
        select(Job)
        .where(
            or_(
                and_(Job.status == QUEUED, Job.run_at <= now),
                and_(Job.status == RUNNING, Job.locked_until < now),
            )
        )
        .order_by(Job.run_at, Job.id)
        .limit(limit)
    )
    return list(session.scalars(sql.skip_locked(_dialect(session), statement)))


def queued_of_kind(session: Session, kind: str, *, now: datetime, limit: int) -> list[Job]:
    """Due queued jobs of one kind, oldest first, locked for this transaction; rows another
    transaction holds are passed over."""
    statement = (
        select(Job)
        .where(Job.kind == kind, Job.status == QUEUED, Job.run_at <= now)
        .order_by(Job.run_at, Job.id)
        .limit(limit)
    )
    return list(session.scalars(sql.skip_locked(_dialect(session), statement)))


def get_job(session: Session, job_id: int, *, lock: bool = False) -> Job | None:
    return session.get(Job, job_id, with_for_update=lock)


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: int(count) for status, count in rows}


def list_jobs(
    session: Session,
    *,
    status: str | None,
    kind: str | None,
    before_id: int | None,
    limit: int,
) -> list[Job]:
    statement = select(Job).order_by(Job.id.desc()).limit(limit)
    if status is not None:
        statement = statement.where(Job.status == status)
    if kind is not None:
        statement = statement.where(Job.kind == kind)
    if before_id is not None:
        statement = statement.where(Job.id < before_id)
    return list(session.scalars(statement))


def delete_done_before(session: Session, before: datetime) -> int:
    result = session.execute(
        delete(Job).where(Job.status == DONE, Job.finished_at < before),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def schedule_names(session: Session, names: Sequence[str]) -> set[str]:
    return set(session.scalars(select(ScheduledTask.name).where(ScheduledTask.name.in_(names))))


def add_schedules(session: Session, rows: Sequence[dict[str, object]]) -> None:
    """Insert schedule rows, leaving alone any another process inserted meanwhile."""
    if rows:
        session.execute(sql.insert_missing(_dialect(session), ScheduledTask.__table__, rows))  # type: ignore[arg-type]


def due_schedules(session: Session, names: Sequence[str], now: datetime) -> list[ScheduledTask]:
    """Schedule rows due at ``now``, locked; rows another worker is advancing are skipped."""
    statement = (
        select(ScheduledTask)
        .where(ScheduledTask.name.in_(names), ScheduledTask.next_run_at <= now)
        .order_by(ScheduledTask.name)
    )
    return list(session.scalars(sql.skip_locked(_dialect(session), statement)))
