"""The durable job queue: enqueue in the caller's transaction, claim, complete, fail, retry.

A job is a row of ``jobs``. ``enqueue`` only adds the row to the caller's unit of work, so the
job exists exactly when the change that caused it commits (transactional outbox). Workers
claim due rows under a lease (``locked_by`` / ``locked_until``), run each job in its own unit
of work and complete it in that same transaction; a failure is recorded in a separate one and
the job is tried again after a growing delay, until ``max_attempts`` marks it ``failed``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from revline.errors import Conflict, NotFound, ValidationError
from revline.jobs import repository
from revline.jobs.repository import DONE, FAILED, QUEUED, RUNNING, STATUSES
from revline.kit import correlation
from revline.kit.time import utcnow
from revline.logging import log_event
from revline.models.jobs import Job

logger = logging.getLogger("revline.jobs")

DEFAULT_MAX_ATTEMPTS = 5
# Delay before attempt n+1 after n failed attempts: 30 s x 4^(n-1), at most 6 hours
# (30 s, 2 min, 8 min, 32 min, ...). A five-attempt job gives up about 43 minutes after its
# first failure: long enough to ride out a restart or a short outage of a remote service.
RETRY_BASE = timedelta(seconds=30)
RETRY_FACTOR = 4
RETRY_CAP = timedelta(hours=6)
# A claimed job belongs to its worker until the lease ends; after that any worker may claim
# it again (the first one is presumed dead). Handlers must finish well within it.
DEFAULT_LEASE = timedelta(minutes=10)
# How much of an error (the end of the traceback, where the message is) a job row keeps.
ERROR_LIMIT = 8_000

__all__ = [
    "DEFAULT_LEASE",
    "DEFAULT_MAX_ATTEMPTS",
    "DONE",
    "FAILED",
    "QUEUED",
    "RUNNING",
    "STATUSES",
    "ClaimedJob",
    "LeaseLost",
    "claim_due",
    "complete_job",
    "enqueue",
    "fail_job",
    "get_job",
    "job_counts",
    "list_jobs",
    "prune_done_jobs",
    "retry_delay",
    "retry_job",
    "take_queued",
]


@dataclass(frozen=True)
class ClaimedJob:
    """What a worker needs to run a job it has claimed (plain data, no session attached)."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    correlation_id: str | None = None


class LeaseLost(Exception):
    """The job is no longer this worker's: its lease ran out and another worker claimed it,
    or an operator changed it. Whatever the handler did must be rolled back."""


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    unique_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> int | None:
    """Add a job to the caller's unit of work (it exists once that commits) and return its id.

    With ``unique_key``, nothing is added (and None returned) while a job with the same key is
    queued or running. ``run_at`` (default: now) defers the job.
    """
    if not kind or len(kind) > 64:
        raise ValueError(f"job kind must be 1 to 64 characters: {kind!r}")
    if unique_key is not None and len(unique_key) > 255:
        raise ValueError("a job's unique_key is at most 255 characters")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if run_at is not None and run_at.tzinfo is None:
        raise ValueError("run_at must be timezone-aware")
    now = utcnow()
    if unique_key is not None:
        # Serialise enqueuers of one key until commit, so two transactions cannot both see
        # no active job and both add one.
        repository.lock_key(session, f"jobs:{unique_key}")
        if repository.active_job_with_key(session, unique_key) is not None:
            return None
    job = Job(
        kind=kind,
        payload=dict(payload),
        status=QUEUED,
        run_at=run_at or now,
        attempts=0,
        max_attempts=max_attempts,
        unique_key=unique_key,
        correlation_id=correlation.current(),
        created_at=now,
    )
    session.add(job)
    session.flush()
    return job.id


def retry_delay(attempts: int) -> timedelta:
    """How long a job waits after its ``attempts``-th failed attempt."""
    if attempts < 1:
        return RETRY_BASE
    # Past the cap the exponent no longer matters; stop it growing without bound.
    factor: int = RETRY_FACTOR ** min(attempts - 1, 16)
    return min(RETRY_BASE * factor, RETRY_CAP)


def claim_due(
    session: Session,
    *,
    worker_id: str,
    now: datetime | None = None,
    limit: int = 10,
    lease: timedelta = DEFAULT_LEASE,
) -> list[ClaimedJob]:
    """Take up to ``limit`` due jobs for ``worker_id`` until ``now + lease``.

    Due means queued with ``run_at`` reached, or running with an expired lease (its worker
    died). Each claim counts as an attempt, so a job that kills its worker every time still
    ends up ``failed``. Commit the claim before running the jobs.
    """
    now = now or utcnow()
    claimed: list[ClaimedJob] = []
    for job in repository.claimable_jobs(session, now=now, limit=limit):
        if job.status == RUNNING:
            lost = f"lease of worker {job.locked_by} expired at {job.locked_until} on attempt " + (
                f"{job.attempts} of {job.max_attempts}"
            )
            log_event(
                logger,
                "job.lease_expired",
                logging.WARNING,
                job_id=job.id,
                kind=job.kind,
                worker=job.locked_by,
            )
            job.last_error = lost
            if job.attempts >= job.max_attempts:
                _finish(job, FAILED, now)
                log_event(logger, "job.failed", logging.ERROR, job_id=job.id, kind=job.kind)
                continue
        job.status = RUNNING
        job.attempts += 1
        job.locked_by = worker_id
        job.locked_until = now + lease
        claimed.append(
            ClaimedJob(
                id=job.id,
                kind=job.kind,
                payload=dict(job.payload),
                attempt=job.attempts,
                max_attempts=job.max_attempts,
                correlation_id=job.correlation_id,
            )
        )
    session.flush()
    return claimed


def _owned(session: Session, job_id: int, worker_id: str) -> Job:
    job = repository.get_job(session, job_id, lock=True)
    if job is None or job.status != RUNNING or job.locked_by != worker_id:
        raise LeaseLost(f"job {job_id} is no longer held by {worker_id}")
    return job


def _finish(job: Job, status: str, now: datetime) -> None:
    job.status = status
    job.finished_at = now
    job.locked_by = None
    job.locked_until = None


def complete_job(
    session: Session, job_id: int, *, worker_id: str, now: datetime | None = None
) -> None:
    """Mark a claimed job done, in the transaction of the handler's work, so that the work
    and its completion commit together. Raises ``LeaseLost`` if the job is no longer ours."""
    _finish(_owned(session, job_id, worker_id), DONE, now or utcnow())
    session.flush()


def take_queued(
    session: Session, kind: str, *, limit: int, now: datetime | None = None
) -> list[dict[str, Any]]:
    """For handlers whose jobs can be merged: take up to ``limit`` more due jobs of ``kind``
    and return their payloads, marking them done in the caller's transaction. The caller does
    their work with its own; if it fails, the rollback puts them back in the queue untouched.
    Jobs another worker holds are passed over."""
    at = now or utcnow()
    taken = repository.queued_of_kind(session, kind, now=at, limit=limit)
    for job in taken:
        _finish(job, DONE, at)
    session.flush()
    return [dict(job.payload) for job in taken]


def fail_job(
    session: Session,
    job_id: int,
    *,
    worker_id: str,
    error: str,
    now: datetime | None = None,
) -> str:
    """Record a failed attempt: queue the job again after ``retry_delay``, or mark it
    ``failed`` once it has had ``max_attempts``. Returns the job's new status. Raises
    ``LeaseLost`` if the job is no longer this worker's."""
    now = now or utcnow()
    job = _owned(session, job_id, worker_id)
    job.last_error = error[-ERROR_LIMIT:]
    if job.attempts >= job.max_attempts:
        _finish(job, FAILED, now)
    else:
        job.status = QUEUED
        job.run_at = now + retry_delay(job.attempts)
        job.locked_by = None
        job.locked_until = None
    session.flush()
    return job.status


def get_job(session: Session, job_id: int) -> Job | None:
    return repository.get_job(session, job_id)


def retry_job(session: Session, job_id: int, *, now: datetime | None = None) -> Job:
    """Queue a failed job again, now, with a fresh set of attempts (its last error stays
    until it runs)."""
    job = repository.get_job(session, job_id, lock=True)
    if job is None:
        raise NotFound(f"No job with id {job_id}")
    if job.status != FAILED:
        raise Conflict(f"Job {job_id} is {job.status}; only failed jobs can be retried")
    if job.unique_key is not None:
        repository.lock_key(session, f"jobs:{job.unique_key}")
        other = repository.active_job_with_key(session, job.unique_key)
        if other is not None:
            raise Conflict(f"Job {other} with the same unique key is already {QUEUED} or running")
    job.status = QUEUED
    job.attempts = 0
    job.run_at = now or utcnow()
    job.finished_at = None
    session.flush()
    log_event(logger, "job.retry_requested", job_id=job.id, kind=job.kind)
    return job


def job_counts(session: Session) -> dict[str, int]:
    """Number of jobs in each status (every status present, zero included)."""
    counts = repository.count_by_status(session)
    return {status: counts.get(status, 0) for status in STATUSES}


def list_jobs(
    session: Session,
    *,
    status: str | None = None,
    kind: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Job]:
    """Jobs, newest first; ``before_id`` pages on from the last id of the previous page."""
    if status is not None and status not in STATUSES:
        raise ValidationError(f"status must be one of {', '.join(STATUSES)}")
    if not 1 <= limit <= 1000:
        raise ValidationError("limit must be between 1 and 1000")
    return repository.list_jobs(session, status=status, kind=kind, before_id=before_id, limit=limit)


def prune_done_jobs(session: Session, *, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete jobs that finished successfully more than ``older_than`` ago; failed jobs stay
    until an operator retries them or deletes them."""
    return repository.delete_done_before(session, (now or utcnow()) - older_than)
