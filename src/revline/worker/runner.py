"""Run due schedules and jobs: once (``revline worker run --once``, tests) or until told to
stop (``revline worker run``, the in-process loop of ``revline serve``)."""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from revline.jobs import queue
from revline.jobs.queue import ClaimedJob, LeaseLost
from revline.jobs.registry import handler_for, schedules
from revline.jobs.schedules import enqueue_due_schedules
from revline.kit import correlation
from revline.kit.db import Database
from revline.logging import log_event
from revline.worker.tasks_index import TASK_MODULES

logger = logging.getLogger("revline.worker")

DEFAULT_BATCH = 20


class UnknownJobKind(Exception):
    """No handler is registered for a job's kind."""


def load_task_modules(modules: Sequence[str] = TASK_MODULES) -> None:
    """Import every module that registers handlers and schedules; a module that cannot be
    imported is an error, never skipped."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise RuntimeError(
                f"task module {name!r} (listed in revline/worker/tasks_index.py) cannot be "
                f"imported: {exc}"
            ) from exc


def default_worker_id() -> str:
    """Host, process and a random suffix: unique per runner, readable in ``locked_by``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[-128:]


def run_once(
    db: Database,
    *,
    now: datetime | None = None,
    worker_id: str | None = None,
    limit: int = DEFAULT_BATCH,
    lease: timedelta = queue.DEFAULT_LEASE,
    stop: threading.Event | None = None,
    modules: Sequence[str] = TASK_MODULES,
) -> int:
    """Enqueue the schedules that are due, then claim and run up to ``limit`` due jobs, each
    in its own unit of work. Returns how many jobs ran (failures included).

    ``now`` fixes the clock (tests); by default each step reads the real time.
    """
    load_task_modules(modules)
    worker_id = worker_id or default_worker_id()
    with db.unit_of_work() as session:
        enqueue_due_schedules(session, schedules(), now=now)
    ran = 0
    # One job per claim: the lease then covers exactly one job, and an idle worker elsewhere
    # can take the next one instead of it waiting behind this worker's batch.
    while ran < limit and not (stop is not None and stop.is_set()):
        with db.unit_of_work() as session:
            claimed = queue.claim_due(session, worker_id=worker_id, now=now, limit=1, lease=lease)
        if not claimed:
            break
        run_job(db, claimed[0], worker_id=worker_id, now=now)
        ran += 1
    return ran


def run_job(db: Database, job: ClaimedJob, *, worker_id: str, now: datetime | None = None) -> bool:
    """Run one claimed job; True when it completed. The handler's work and the job's
    completion commit together; a failure rolls the work back and is recorded separately."""
    started = time.monotonic()
    context: dict[str, Any] = {
        "job_id": job.id,
        "kind": job.kind,
        "attempt": job.attempt,
        "worker": worker_id,
    }
    if job.correlation_id:
        context["correlation_id"] = job.correlation_id
    with correlation.bound(job.correlation_id):
        return _run_claimed(db, job, context, worker_id=worker_id, now=now, started=started)


def _run_claimed(
    db: Database,
    job: ClaimedJob,
    context: dict[str, Any],
    *,
    worker_id: str,
    now: datetime | None,
    started: float,
) -> bool:
    """:func:`run_job` with the job's correlation id current (jobs it enqueues inherit it)."""
    try:
        handler = handler_for(job.kind)
        if handler is None:
            raise UnknownJobKind(
                f"no handler is registered for job kind {job.kind!r}; is the module that "
                "registers it listed in revline/worker/tasks_index.py?"
            )
        with db.unit_of_work() as session:
            handler(session, dict(job.payload))
            queue.complete_job(session, job.id, worker_id=worker_id, now=now)
    except LeaseLost as lost:
        _log_lease_lost(lost, context)
        return False
    except Exception as exc:
        if isinstance(exc, UnknownJobKind):
            error = f"{type(exc).__name__}: {exc}"
        else:
            error = "".join(traceback.format_exception(exc))
        try:
            with db.unit_of_work() as session:
                status = queue.fail_job(session, job.id, worker_id=worker_id, error=error, now=now)
        except LeaseLost as lost:
            _log_lease_lost(lost, context)
            return False
        failed = status == queue.FAILED
        context.update(error=f"{type(exc).__name__}: {exc}", max_attempts=job.max_attempts)
        log_event(
            logger,
            "job.failed" if failed else "job.retry_scheduled",
            logging.ERROR if failed else logging.WARNING,
            **context,
        )
        return False
    context["ms"] = round((time.monotonic() - started) * 1000, 1)
    log_event(logger, "job.done", **context)
    return True


def _log_lease_lost(lost: LeaseLost, context: dict[str, Any]) -> None:
    log_event(logger, "job.lease_lost", logging.WARNING, reason=str(lost), **context)


def run_forever(
    db: Database,
    stop: threading.Event,
    poll_seconds: float,
    *,
    worker_id: str | None = None,
    lease: timedelta = queue.DEFAULT_LEASE,
    modules: Sequence[str] = TASK_MODULES,
) -> None:
    """Run schedules and jobs until ``stop`` is set, waiting ``poll_seconds`` whenever the
    queue has nothing due. The job in hand is finished before it returns; an error of the
    loop itself (the database away, say) is logged and the loop carries on."""
    load_task_modules(modules)
    worker_id = worker_id or default_worker_id()
    log_event(logger, "worker.started", worker=worker_id, poll_seconds=poll_seconds)
    while not stop.is_set():
        try:
            ran = run_once(db, worker_id=worker_id, lease=lease, stop=stop, modules=modules)
        except Exception as exc:
            log_event(logger, "worker.error", logging.ERROR, worker=worker_id, error=repr(exc))
            logger.exception("worker.error")
            ran = 0
        if ran < DEFAULT_BATCH:
            stop.wait(poll_seconds)
    log_event(logger, "worker.stopped", worker=worker_id)


def start_in_thread(
    db: Database, poll_seconds: float, *, lease: timedelta = queue.DEFAULT_LEASE
) -> tuple[threading.Thread, threading.Event]:
    """Start ``run_forever`` in a daemon thread (the in-process worker of ``revline serve``);
    set the returned event and join the thread to stop it."""
    load_task_modules()
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever,
        args=(db, stop, poll_seconds),
        kwargs={"lease": lease},
        name="revline-worker",
        daemon=True,
    )
    thread.start()
    return thread, stop
