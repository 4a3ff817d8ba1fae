"""`revline worker run --once` and `revline jobs list / show / retry` against SQLite."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from revline.jobs import queue
from revline.jobs.registry import task
from revline.kit.db import Database
from tests.cli_support import run

SEEN: list[dict[str, Any]] = []


@task("test_cli_worker.ok")
def _ok(session: Session, payload: dict[str, Any]) -> None:
    SEEN.append(payload)


@task("test_cli_worker.broken")
def _broken(session: Session, payload: dict[str, Any]) -> None:
    raise LookupError("the remote end said no")


def _enqueue(url: str, kind: str, payload: dict[str, Any], **options: Any) -> int:
    db = Database(url)
    try:
        with db.unit_of_work() as session:
            job_id = queue.enqueue(session, kind, payload, **options)
    finally:
        db.dispose()
    assert job_id is not None
    return job_id


def _row(output: str, job_id: int) -> str:
    [line] = [ln for ln in output.splitlines() if re.match(rf"\W*{job_id}\W", ln)]
    return line


def test_worker_run_once_then_list_and_retry(db_url: str) -> None:
    ok = _enqueue(db_url, "test_cli_worker.ok", {"n": 1})
    broken = _enqueue(db_url, "test_cli_worker.broken", {"n": 2}, max_attempts=1)

    result = run("worker", "run", "--once", "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert "Ran 2 jobs" in result.output
    assert {"n": 1} in SEEN

    listed = run("jobs", "list", "--database-url", db_url)
    assert listed.exit_code == 0, listed.output
    assert "queued: 0  running: 0  done: 1  failed: 1" in listed.output
    assert "done" in _row(listed.output, ok) and "test_cli_worker.ok" in _row(listed.output, ok)
    assert "LookupError: the remote end said no" in _row(listed.output, broken)

    failed = run("jobs", "list", "--status", "failed", "--database-url", db_url)
    assert failed.exit_code == 0, failed.output
    assert "test_cli_worker.broken" in failed.output
    assert "test_cli_worker.ok" not in failed.output

    shown = run("jobs", "show", str(broken), "--database-url", db_url)
    assert shown.exit_code == 0, shown.output
    assert "failed, attempt 1 of 1" in shown.output
    assert "Traceback" in shown.output and "{'n': 2}" in shown.output

    retried = run("jobs", "retry", str(broken), "--database-url", db_url)
    assert retried.exit_code == 0, retried.output
    assert f"Job {broken} (test_cli_worker.broken) queued again" in retried.output
    after = run("jobs", "list", "--status", "queued", "--database-url", db_url)
    assert "0/1" in _row(after.output, broken)

    refused = run("jobs", "retry", str(ok), "--database-url", db_url)
    assert refused.exit_code == 1
    assert "only failed jobs can be retried" in refused.output
    missing = run("jobs", "retry", "424242", "--database-url", db_url)
    assert missing.exit_code == 1 and "No job with id 424242" in missing.output


def test_jobs_list_rejects_an_unknown_status(db_url: str) -> None:
    result = run("jobs", "list", "--status", "stuck", "--database-url", db_url)
    assert result.exit_code == 1
    assert "status must be one of queued, running, done, failed" in result.output


def test_worker_run_once_with_nothing_due(db_url: str) -> None:
    result = run("worker", "run", "--once", "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert "Ran 0 jobs" in result.output


def test_worker_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run("worker", "run", "--once", "--database-url", url)
    assert result.exit_code == 1
    assert "revline db upgrade" in result.output
