"""The durable job queue and the worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time as clock
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from revline.app import create_app
from revline.config import Settings
from revline.errors import Conflict, NotFound, ValidationError
from revline.jobs import queue
from revline.jobs.registry import Schedule, task
from revline.jobs.schedules import enqueue_due_schedules, first_due, next_due
from revline.kit.db import Database
from revline.kit.time import utcnow
from revline.models.jobs import Job, ScheduledTask
from revline.worker import runner

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

# Handlers are process-wide; each test tells its calls apart by a tag in the payload.
CALLS: dict[str, list[dict[str, Any]]] = defaultdict(list)
CALLS_LOCK = threading.Lock()


@task("test_jobs.record")
def _record(session: Session, payload: dict[str, Any]) -> None:
    with CALLS_LOCK:
        CALLS[payload["token"]].append(payload)


@task("test_jobs.explode")
def _explode(session: Session, payload: dict[str, Any]) -> None:
    raise ValueError(f"nope {payload.get('n')}")


@task("test_jobs.spawn")
def _spawn(session: Session, payload: dict[str, Any]) -> None:
    """Work the handler's transaction must commit or roll back as one: a child job."""
    queue.enqueue(session, "test_jobs.child", {"parent": payload["token"]})
    if payload.get("fail"):
        raise RuntimeError("after the work")


@pytest.fixture(autouse=True)
def no_global_schedules(monkeypatch: pytest.MonkeyPatch) -> None:
    # Registered schedules (the queue's own pruning, other packages') would add jobs to the
    # counts these tests make; tests that need schedules pass their own.
    monkeypatch.setattr(runner, "schedules", list)


@pytest.fixture
def tag() -> Iterator[str]:
    value = uuid.uuid4().hex
    yield value
    CALLS.pop(value, None)


def _enqueue(db: Database, kind: str, payload: dict[str, Any], **options: Any) -> int:
    with db.unit_of_work() as session:
        job_id = queue.enqueue(session, kind, payload, **options)
    assert job_id is not None
    return job_id


def _job(db: Database, job_id: int) -> Job:
    with db.unit_of_work() as session:
        job = queue.get_job(session, job_id)
    assert job is not None
    return job


def _count(db: Database, kind: str) -> int:
    with db.unit_of_work() as session:
        return int(session.scalar(select(func.count()).where(Job.kind == kind)) or 0)


# --- enqueue --------------------------------------------------------------------------


def test_enqueue_in_a_rolled_back_unit_of_work_leaves_no_job(database: Database) -> None:
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        assert queue.enqueue(session, "test_jobs.record", {"token": "x"}) is not None
        raise RuntimeError("the change that caused the job failed")
    assert _count(database, "test_jobs.record") == 0


def test_enqueue_adds_a_queued_job_with_the_callers_commit(database: Database) -> None:
    before = utcnow()
    job_id = _enqueue(database, "test_jobs.record", {"token": "x", "n": 1}, max_attempts=3)
    job = _job(database, job_id)
    assert (job.kind, job.status, job.attempts, job.max_attempts) == (
        "test_jobs.record",
        "queued",
        0,
        3,
    )
    assert job.payload == {"token": "x", "n": 1}
    assert before <= job.run_at <= utcnow() and job.run_at.tzinfo is not None
    assert job.locked_by is None and job.finished_at is None


def test_enqueue_rejects_naive_and_oversized_values(database: Database) -> None:
    with database.unit_of_work() as session:
        with pytest.raises(ValueError, match="timezone-aware"):
            queue.enqueue(session, "k", {}, run_at=datetime(2030, 1, 1))  # noqa: DTZ001
        with pytest.raises(ValueError, match="kind"):
            queue.enqueue(session, "k" * 65, {})
        with pytest.raises(ValueError, match="max_attempts"):
            queue.enqueue(session, "k", {}, max_attempts=0)


def test_unique_key_adds_nothing_while_a_job_with_it_is_queued_or_running(
    database: Database, tag: str
) -> None:
    first = _enqueue(database, "test_jobs.record", {"token": tag}, unique_key="u1")
    with database.unit_of_work() as session:
        assert queue.enqueue(session, "test_jobs.record", {"token": tag}, unique_key="u1") is None
        # Another key is another job.
        assert queue.enqueue(session, "test_jobs.record", {"token": tag}, unique_key="u2")
    with database.unit_of_work() as session:
        claimed = queue.claim_due(session, worker_id="w", limit=1)
    assert [c.id for c in claimed] == [first]
    with database.unit_of_work() as session:  # running still counts
        assert queue.enqueue(session, "test_jobs.record", {"token": tag}, unique_key="u1") is None
    with database.unit_of_work() as session:
        queue.complete_job(session, first, worker_id="w")
    # Once the job is done the key is free again.
    again = _enqueue(database, "test_jobs.record", {"token": tag}, unique_key="u1")
    assert again != first


# --- running ---------------------------------------------------------------------------


def test_run_once_runs_a_due_job_once_and_completes_it(database: Database, tag: str) -> None:
    job_id = _enqueue(database, "test_jobs.record", {"token": tag, "n": 7})
    assert runner.run_once(database, worker_id="w1") == 1
    assert CALLS[tag] == [{"token": tag, "n": 7}]
    job = _job(database, job_id)
    assert job.status == "done" and job.attempts == 1
    assert job.finished_at is not None and job.locked_by is None and job.locked_until is None
    assert runner.run_once(database, worker_id="w1") == 0
    assert len(CALLS[tag]) == 1


def test_a_deferred_job_waits_for_its_time(database: Database, tag: str) -> None:
    job_id = _enqueue(database, "test_jobs.record", {"token": tag}, run_at=T0)
    assert runner.run_once(database, now=T0 - timedelta(seconds=1)) == 0
    assert _job(database, job_id).status == "queued"
    assert runner.run_once(database, now=T0) == 1
    assert _job(database, job_id).status == "done"


def test_run_once_stops_at_its_limit(database: Database, tag: str) -> None:
    for n in range(5):
        _enqueue(database, "test_jobs.record", {"token": tag, "n": n})
    assert runner.run_once(database, limit=3) == 3
    assert sorted(p["n"] for p in CALLS[tag]) == [0, 1, 2]  # oldest first
    assert runner.run_once(database, limit=3) == 2


def test_handler_work_commits_together_with_completion(database: Database, tag: str) -> None:
    job_id = _enqueue(database, "test_jobs.spawn", {"token": tag})
    assert runner.run_once(database, limit=1) == 1
    assert _job(database, job_id).status == "done"
    with database.unit_of_work() as session:
        [child] = queue.list_jobs(session, kind="test_jobs.child")
    assert (child.status, child.payload) == ("queued", {"parent": tag})


def test_a_failing_handler_rolls_back_its_work_and_records_the_error(
    database: Database, tag: str
) -> None:
    job_id = _enqueue(database, "test_jobs.spawn", {"token": tag, "fail": True})
    assert runner.run_once(database, now=T0) == 1
    assert _count(database, "test_jobs.child") == 0
    job = _job(database, job_id)
    assert job.status == "queued" and job.attempts == 1
    assert job.last_error is not None
    assert job.last_error.rstrip().endswith("RuntimeError: after the work")
    assert "Traceback" in job.last_error


def test_retry_delay_grows_fourfold_from_30_seconds_up_to_6_hours() -> None:
    assert [queue.retry_delay(n) for n in range(1, 8)] == [
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=8),
        timedelta(minutes=32),
        timedelta(minutes=128),
        timedelta(hours=6),
        timedelta(hours=6),
    ]
    assert queue.retry_delay(1000) == timedelta(hours=6)


def test_failures_back_off_then_the_job_fails_after_max_attempts(database: Database) -> None:
    job_id = _enqueue(database, "test_jobs.explode", {"n": 42}, run_at=T0, max_attempts=3)

    assert runner.run_once(database, now=T0) == 1
    job = _job(database, job_id)
    assert (job.status, job.attempts, job.run_at) == ("queued", 1, T0 + timedelta(seconds=30))
    assert job.last_error is not None and "ValueError: nope 42" in job.last_error

    second = T0 + timedelta(seconds=30)
    assert runner.run_once(database, now=second - timedelta(seconds=1)) == 0
    assert runner.run_once(database, now=second) == 1
    job = _job(database, job_id)
    assert (job.status, job.attempts, job.run_at) == ("queued", 2, second + timedelta(minutes=2))

    third = second + timedelta(minutes=2)
    assert runner.run_once(database, now=third) == 1
    job = _job(database, job_id)
    assert (job.status, job.attempts, job.finished_at) == ("failed", 3, third)
    assert job.last_error is not None and "ValueError: nope 42" in job.last_error
    assert job.locked_by is None

    assert runner.run_once(database, now=third + timedelta(days=30)) == 0
    assert _job(database, job_id).attempts == 3


def test_an_unknown_kind_fails_with_a_clear_error(database: Database) -> None:
    job_id = _enqueue(database, "test_jobs.nobody_handles_this", {}, run_at=T0, max_attempts=2)
    assert runner.run_once(database, now=T0) == 1
    job = _job(database, job_id)
    assert job.status == "queued" and job.attempts == 1
    assert job.last_error == (
        "UnknownJobKind: no handler is registered for job kind 'test_jobs.nobody_handles_this'; "
        "is the module that registers it listed in revline/worker/tasks_index.py?"
    )
    assert runner.run_once(database, now=T0 + timedelta(minutes=1)) == 1
    assert _job(database, job_id).status == "failed"


def test_a_task_module_that_cannot_be_imported_stops_the_worker(database: Database) -> None:
    job_id = _enqueue(database, "test_jobs.record", {"token": "never"})
    with pytest.raises(RuntimeError, match=r"revline\.no_such_package\.tasks.*tasks_index"):
        runner.run_once(database, modules=("revline.jobs.tasks", "revline.no_such_package.tasks"))
    assert _job(database, job_id).status == "queued"


def test_the_task_index_modules_all_import() -> None:
    runner.load_task_modules()  # raises if any listed module is missing


# --- leases ----------------------------------------------------------------------------


def _claim(db: Database, worker: str, now: datetime, limit: int = 10) -> list[int]:
    with db.unit_of_work() as session:
        return [c.id for c in queue.claim_due(session, worker_id=worker, now=now, limit=limit)]


def test_a_job_whose_worker_died_is_claimed_again_after_the_lease(
    database: Database, tag: str
) -> None:
    job_id = _enqueue(database, "test_jobs.record", {"token": tag}, run_at=T0)
    assert _claim(database, "dead-worker", T0) == [job_id]
    job = _job(database, job_id)
    assert (job.status, job.locked_by, job.locked_until) == (
        "running",
        "dead-worker",
        T0 + queue.DEFAULT_LEASE,
    )

    assert runner.run_once(database, now=T0 + queue.DEFAULT_LEASE) == 0  # lease still held
    assert CALLS[tag] == []
    later = T0 + queue.DEFAULT_LEASE + timedelta(seconds=1)
    assert runner.run_once(database, now=later, worker_id="w2") == 1
    assert len(CALLS[tag]) == 1
    job = _job(database, job_id)
    assert job.status == "done" and job.attempts == 2
    assert job.last_error is not None and "lease of worker dead-worker expired" in job.last_error


def test_a_lease_that_expires_on_the_last_attempt_fails_the_job(
    database: Database, tag: str
) -> None:
    job_id = _enqueue(database, "test_jobs.record", {"token": tag}, run_at=T0, max_attempts=1)
    assert _claim(database, "dead-worker", T0) == [job_id]
    assert runner.run_once(database, now=T0 + timedelta(hours=1)) == 0
    job = _job(database, job_id)
    assert job.status == "failed" and job.attempts == 1
    assert job.last_error is not None and "on attempt 1 of 1" in job.last_error
    assert CALLS[tag] == []


def test_a_worker_that_lost_its_lease_cannot_complete_or_fail_the_job(
    database: Database, tag: str
) -> None:
    job_id = _enqueue(database, "test_jobs.spawn", {"token": tag}, run_at=T0)
    with database.unit_of_work() as session:
        [slow] = queue.claim_due(session, worker_id="slow", now=T0)
    assert _claim(database, "fast", T0 + timedelta(hours=1)) == [job_id]

    # The slow worker finally runs it: its work is rolled back, the job stays with "fast".
    assert runner.run_job(database, slow, worker_id="slow", now=T0 + timedelta(hours=1)) is False
    assert _count(database, "test_jobs.child") == 0
    job = _job(database, job_id)
    assert (job.status, job.locked_by) == ("running", "fast")
    with pytest.raises(queue.LeaseLost), database.unit_of_work() as session:
        queue.fail_job(session, job_id, worker_id="slow", error="late")
    assert "late" not in str(_job(database, job_id).last_error)


# --- concurrency -----------------------------------------------------------------------


def test_a_claimer_skips_jobs_another_transaction_holds(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time; there is nothing to skip")
    ids = [_enqueue(database, "test_jobs.record", {"token": "t"}, run_at=T0) for _ in range(4)]
    other: list[int] = []
    with database.unit_of_work() as session:
        mine = [c.id for c in queue.claim_due(session, worker_id="a", now=T0, limit=2)]
        # Still inside a's transaction, holding its row locks.
        thread = threading.Thread(target=lambda: other.extend(_claim(database, "b", T0)))
        thread.start()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the second claimer waited for the first one's locks"
    assert mine == ids[:2]
    assert other == ids[2:]


def test_two_workers_never_run_the_same_job(database: Database, tag: str) -> None:
    count = 40
    for n in range(count):
        _enqueue(database, "test_jobs.record", {"token": tag, "n": n})
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(worker: str) -> None:
        try:
            start.wait()
            while runner.run_once(database, worker_id=worker, limit=5):
                pass
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    ran = Counter(p["n"] for p in CALLS[tag])
    assert sorted(ran) == list(range(count))
    assert set(ran.values()) == {1}
    with database.unit_of_work() as session:
        assert queue.job_counts(session)["done"] == count
        workers = set(session.scalars(select(Job.locked_by)))
    assert workers == {None}


# --- schedules -------------------------------------------------------------------------


def _schedule_jobs(db: Database, name: str) -> list[Job]:
    with db.unit_of_work() as session:
        return list(
            session.scalars(
                select(Job).where(Job.unique_key.like(f"{name}:%")).order_by(Job.run_at)
            )
        )


def _next_run_at(db: Database, name: str) -> datetime:
    with db.unit_of_work() as session:
        row = session.get(ScheduledTask, name)
        assert row is not None
        return row.next_run_at


def test_an_interval_schedule_enqueues_once_per_period(database: Database) -> None:
    hourly = Schedule("test-hourly", "test_jobs.record", every=timedelta(hours=1),
                      payload={"token": "h"})  # fmt: skip
    with database.unit_of_work() as session:
        first = enqueue_due_schedules(session, [hourly], now=T0)
    assert len(first) == 1  # due when first seen
    assert _next_run_at(database, "test-hourly") == T0 + timedelta(hours=1)
    with database.unit_of_work() as session:
        assert enqueue_due_schedules(session, [hourly], now=T0 + timedelta(minutes=59)) == []
    with database.unit_of_work() as session:
        assert len(enqueue_due_schedules(session, [hourly], now=T0 + timedelta(hours=1))) == 1
    jobs = _schedule_jobs(database, "test-hourly")
    assert [j.unique_key for j in jobs] == [
        "test-hourly:2030-01-01T12:00:00+00:00",
        "test-hourly:2030-01-01T13:00:00+00:00",
    ]
    assert [j.payload for j in jobs] == [{"token": "h"}, {"token": "h"}]
    assert [j.kind for j in jobs] == ["test_jobs.record"] * 2


def test_a_daily_schedule_aligns_to_its_time_and_catches_up_once(database: Database) -> None:
    daily = Schedule("test-daily", "test_jobs.record", every=timedelta(days=1), at=time(6, 0),
                     payload={"token": "d"})  # fmt: skip
    with database.unit_of_work() as session:
        assert enqueue_due_schedules(session, [daily], now=T0) == []  # 12:00, after 06:00
    assert _next_run_at(database, "test-daily") == datetime(2030, 1, 2, 6, 0, tzinfo=UTC)

    # The worker was down from the 2nd to the 5th: four slots missed, one catch-up run.
    down_until = datetime(2030, 1, 5, 14, 30, tzinfo=UTC)
    with database.unit_of_work() as session:
        assert len(enqueue_due_schedules(session, [daily], now=down_until)) == 1
    with database.unit_of_work() as session:
        assert enqueue_due_schedules(session, [daily], now=down_until) == []
    [job] = _schedule_jobs(database, "test-daily")
    assert job.run_at == datetime(2030, 1, 2, 6, 0, tzinfo=UTC)
    assert job.unique_key == "test-daily:2030-01-02T06:00:00+00:00"
    assert _next_run_at(database, "test-daily") == datetime(2030, 1, 6, 6, 0, tzinfo=UTC)


def test_a_schedule_run_is_not_enqueued_twice(database: Database) -> None:
    hourly = Schedule("test-twice", "test_jobs.record", every=timedelta(hours=1))
    with database.unit_of_work() as session:
        assert len(enqueue_due_schedules(session, [hourly], now=T0)) == 1
    # As if a second worker had read the row before the first moved it on.
    with database.unit_of_work() as session:
        session.execute(
            update(ScheduledTask).where(ScheduledTask.name == "test-twice").values(next_run_at=T0)
        )
    with database.unit_of_work() as session:
        assert enqueue_due_schedules(session, [hourly], now=T0) == []
    assert len(_schedule_jobs(database, "test-twice")) == 1


def test_schedule_times() -> None:
    daily = Schedule("d", "k", every=timedelta(days=1), at=time(23, 30))
    assert first_due(daily, T0) == datetime(2030, 1, 1, 23, 30, tzinfo=UTC)
    assert first_due(daily, datetime(2030, 1, 1, 23, 30, tzinfo=UTC)) == datetime(
        2030, 1, 1, 23, 30, tzinfo=UTC
    )
    assert first_due(daily, datetime(2030, 1, 1, 23, 31, tzinfo=UTC)) == datetime(
        2030, 1, 2, 23, 30, tzinfo=UTC
    )
    slot = datetime(2030, 1, 1, 23, 30, tzinfo=UTC)
    assert next_due(daily, slot, slot) == slot + timedelta(days=1)
    # A row written while the schedule ran at another time of day is realigned.
    moved = Schedule("d", "k", every=timedelta(days=1), at=time(6, 0))
    assert next_due(moved, slot, slot + timedelta(minutes=1)) == datetime(
        2030, 1, 2, 6, 0, tzinfo=UTC
    )
    every_15 = Schedule("q", "k", every=timedelta(minutes=15))
    assert first_due(every_15, T0) == T0
    # Missed slots are skipped, and the grid is kept.
    assert next_due(every_15, T0, T0 + timedelta(minutes=50)) == T0 + timedelta(minutes=60)
    with pytest.raises(ValueError, match="positive"):
        next_due(Schedule("z", "k", every=timedelta(0)), T0, T0)


def test_run_once_enqueues_due_schedules_and_runs_them(
    database: Database, tag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hourly = Schedule("test-run-once", "test_jobs.record", every=timedelta(hours=1),
                      payload={"token": tag})  # fmt: skip
    monkeypatch.setattr(runner, "schedules", lambda: [hourly])
    assert runner.run_once(database, now=T0) == 1
    assert CALLS[tag] == [{"token": tag}]
    assert runner.run_once(database, now=T0 + timedelta(minutes=30)) == 0
    assert runner.run_once(database, now=T0 + timedelta(hours=1)) == 1
    assert len(CALLS[tag]) == 2


# --- inspection and retries --------------------------------------------------------------


def test_counts_listing_and_retry_of_a_failed_job(database: Database, tag: str) -> None:
    done = _enqueue(database, "test_jobs.record", {"token": tag}, run_at=T0)
    failed = _enqueue(database, "test_jobs.explode", {"n": 1}, run_at=T0, max_attempts=1)
    queued = _enqueue(database, "test_jobs.record", {"token": tag}, run_at=T0 + timedelta(1))
    assert runner.run_once(database, now=T0) == 2

    with database.unit_of_work() as session:
        assert queue.job_counts(session) == {"queued": 1, "running": 0, "done": 1, "failed": 1}
        assert [j.id for j in queue.list_jobs(session)] == [queued, failed, done]
        [only] = queue.list_jobs(session, status="failed")
        assert only.id == failed and "ValueError: nope 1" in str(only.last_error)
        assert [j.id for j in queue.list_jobs(session, kind="test_jobs.record")] == [queued, done]
        assert [j.id for j in queue.list_jobs(session, before_id=failed)] == [done]
        with pytest.raises(ValidationError):
            queue.list_jobs(session, status="exploded")

    with database.unit_of_work() as session:
        with pytest.raises(Conflict, match="only failed jobs"):
            queue.retry_job(session, done)
        with pytest.raises(NotFound):
            queue.retry_job(session, 999_999)
        job = queue.retry_job(session, failed, now=T0 + timedelta(minutes=5))
        assert (job.status, job.attempts, job.finished_at) == ("queued", 0, None)
    assert runner.run_once(database, now=T0 + timedelta(minutes=5)) == 1
    job = _job(database, failed)
    assert (job.status, job.attempts) == ("failed", 1)


def test_retrying_a_failed_job_whose_key_is_taken_again_is_refused(database: Database) -> None:
    failed = _enqueue(database, "test_jobs.explode", {}, run_at=T0, unique_key="k", max_attempts=1)
    assert runner.run_once(database, now=T0) == 1
    assert _job(database, failed).status == "failed"
    newer = _enqueue(database, "test_jobs.explode", {}, run_at=T0 + timedelta(1), unique_key="k")
    with pytest.raises(Conflict, match=f"Job {newer}"), database.unit_of_work() as session:
        queue.retry_job(session, failed)
    assert _job(database, failed).status == "failed"


def test_prune_deletes_old_done_jobs_only(database: Database, tag: str) -> None:
    old = _enqueue(database, "test_jobs.record", {"token": tag}, run_at=T0)
    old_failed = _enqueue(database, "test_jobs.explode", {}, run_at=T0, max_attempts=1)
    assert runner.run_once(database, now=T0) == 2
    recent = _enqueue(database, "test_jobs.record", {"token": tag}, run_at=T0)
    assert runner.run_once(database, now=T0 + timedelta(days=20)) == 1
    with database.unit_of_work() as session:
        deleted = queue.prune_done_jobs(
            session, older_than=timedelta(days=14), now=T0 + timedelta(days=20)
        )
    assert deleted == 1
    with database.unit_of_work() as session:
        assert queue.get_job(session, old) is None
        assert queue.get_job(session, old_failed) is not None
        assert queue.get_job(session, recent) is not None


# --- the in-process worker ---------------------------------------------------------------


def _worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "revline-worker"]


def _wait_for(condition: Any, seconds: float = 15) -> bool:
    deadline = clock.monotonic() + seconds
    while clock.monotonic() < deadline:
        if condition():
            return True
        clock.sleep(0.02)
    return False


def test_settings_default_runs_the_worker_in_process_on_sqlite_only() -> None:
    sqlite = Settings(database_url="sqlite:///x.db", run_worker=None)
    postgres = Settings(database_url="postgresql://h/db", run_worker=None)
    assert sqlite.worker_in_process is True
    assert postgres.worker_in_process is False
    assert Settings(database_url="postgresql://h/db", run_worker=True).worker_in_process
    assert not Settings(database_url="sqlite:///x.db", run_worker=False).worker_in_process


def test_the_app_runs_jobs_in_process_and_stops_its_worker(database: Database, tag: str) -> None:
    job_id = _enqueue(database, "test_jobs.record", {"token": tag})
    settings = Settings(
        database_url=database.url, auto_migrate=False, run_worker=True, worker_poll_seconds=0.05
    )
    with TestClient(create_app(settings, db=database)) as client:
        assert len(_worker_threads()) == 1
        assert client.get("/health").status_code == 200
        assert _wait_for(lambda: _job(database, job_id).status == "done")
        # Jobs enqueued while it runs are picked up on a later poll.
        later = _enqueue(database, "test_jobs.record", {"token": tag})
        assert _wait_for(lambda: _job(database, later).status == "done")
    assert _wait_for(lambda: not _worker_threads(), seconds=5)
    assert len(CALLS[tag]) == 2


def test_test_apps_run_no_worker(client: TestClient, database: Database) -> None:
    assert client.get("/health").status_code == 200
    assert _worker_threads() == []


def test_run_forever_returns_when_stopped(database: Database, tag: str) -> None:
    job_id = _enqueue(database, "test_jobs.record", {"token": tag})
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_forever, args=(database, stop, 0.02))
    thread.start()
    try:
        assert _wait_for(lambda: _job(database, job_id).status == "done")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
