"""A request's correlation id is answered in a header, stored on the jobs the request
enqueues, logged with each run of those jobs, handed on to the jobs they enqueue and shown by
`revline jobs show`."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from revline.crm import signals
from revline.jobs import queue
from revline.jobs.registry import task
from revline.kit import correlation
from revline.kit.db import Database
from revline.models.jobs import Job
from revline.worker import runner
from tests.cli_support import run
from tests.segments_support import work

HEADER = "x-revline-correlation-id"


def _jobs(database: Database) -> list[tuple[int, str, str | None]]:
    with database.unit_of_work() as s:
        rows = s.execute(select(Job.id, Job.kind, Job.correlation_id).order_by(Job.id)).all()
    return [(int(i), str(k), c) for i, k, c in rows]


def test_jobs_carry_the_correlation_id_of_their_request(
    client: TestClient, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    resp = client.post(
        "/revline/v1/segments",
        json={
            "name": "Leads",
            "conditions": {"property": "lifecyclestage", "operator": "EQ", "value": "lead"},
        },
    )
    assert resp.status_code == 201, resp.text
    work(database)
    before = {i for i, _, _ in _jobs(database)}

    created = client.post(
        "/crm/v3/objects/contacts",
        json={"properties": {"email": "a@x.com", "lifecyclestage": "lead"}},
    )
    assert created.status_code == 201, created.text
    cid = created.headers[HEADER]
    assert len(cid) == 36
    new = [(i, k, c) for i, k, c in _jobs(database) if i not in before]
    assert [k for _, k, _ in new] == [signals.REEVALUATE]
    assert new[0][2] == cid
    # Another request has its own id.
    assert client.get(f"/crm/v3/objects/contacts/{created.json()['id']}").headers[HEADER] != cid

    with caplog.at_level(logging.INFO, logger="revline.worker"):
        work(database)
    done = [r.getMessage() for r in caplog.records if r.getMessage().startswith("job.done")]
    assert any(f"correlation_id={cid!r}" in line for line in done), done

    shown = run("jobs", "show", str(new[0][0]), "--database-url", database.url)
    assert shown.exit_code == 0, shown.output
    assert f"correlation id: {cid}" in shown.output


def test_errors_answer_the_same_id_in_header_and_body(client: TestClient) -> None:
    resp = client.get("/crm/v3/objects/contacts/999999")
    assert resp.status_code == 404
    assert resp.headers[HEADER] == resp.json()["correlationId"]


@task("test_job_correlation.chain")
def _chain(session: Session, payload: dict[str, Any]) -> None:
    """Enqueues one follow-up job, as recomputes that fan out do."""
    if payload.get("next"):
        queue.enqueue(session, "test_job_correlation.chain", {})


def test_a_job_enqueued_by_a_job_keeps_the_id_and_work_outside_requests_has_none(
    database: Database,
) -> None:
    with database.unit_of_work() as s:
        outside = queue.enqueue(s, "test_job_correlation.chain", {})
    with correlation.bound("req-1"), database.unit_of_work() as s:
        first = queue.enqueue(s, "test_job_correlation.chain", {"next": True})
    assert correlation.current() is None
    assert _jobs(database) == [
        (outside, "test_job_correlation.chain", None),
        (first, "test_job_correlation.chain", "req-1"),
    ]
    assert runner.run_once(database, worker_id="w") == 3
    jobs = _jobs(database)
    assert [c for _, _, c in jobs] == [None, "req-1", "req-1"]
    assert correlation.current() is None
