"""Around ingestion: retention (job, schedule and CLI), the segment re-evaluation signal, and
contact merges moving events, daily counts and anonymous identities."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from revline.events import service
from revline.events import tasks as event_tasks
from revline.jobs import queue, registry
from revline.kit.db import Database
from revline.models import Event, Job, Segment
from revline.worker.runner import run_once
from tests.cli_support import run

EVENTS = "/revline/v1/events"
BATCH = EVENTS + "/batch"
SETTINGS = "/revline/v1/settings/events"


def contact(client: TestClient, email: str = "ada@example.com") -> str:
    resp = client.post("/crm/v3/objects/contacts", json={"properties": {"email": email}})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def seed_old_and_new(client: TestClient, cid: str) -> None:
    inputs = [
        {
            "type": "page_view",
            "contact": {"id": cid},
            "properties": {"path": "/old"},
            "occurredAt": "2026-01-01T10:00:00Z",
        },
        {
            "type": "page_view",
            "contact": {"id": cid},
            "properties": {"path": "/new"},
            "occurredAt": "2026-03-01T10:00:00Z",
        },
        {"type": "signed_up", "contact": {"id": cid}, "occurredAt": "2026-01-05T10:00:00Z"},
    ]
    assert client.post(BATCH, json={"inputs": inputs}).status_code == 200


def add_segment_history(database: Database, cid: str) -> None:
    """Membership history is written by segments themselves, never through the API."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with database.unit_of_work() as session:
        for kind in ("segment_entered", "segment_exited"):
            session.add(
                Event(
                    event_type=kind,
                    occurred_at=at,
                    received_at=at,
                    contact_id=int(cid),
                    detail="1",
                    properties={"segment_id": "1"},
                    source="segment",
                )
            )


def stored_types(database: Database) -> list[str]:
    with database.unit_of_work() as session:
        return sorted(str(t) for t in session.scalars(select(Event.event_type)))


def test_retention_deletes_old_raw_events_but_keeps_counts_and_segment_history(
    client: TestClient, database: Database
) -> None:
    cid = contact(client)
    seed_old_and_new(client, cid)
    add_segment_history(database, cid)
    with database.unit_of_work() as session:
        assert service.apply_retention(session, date(2026, 3, 10)).deleted == 0  # keep forever
    assert client.put(SETTINGS, json={"retentionDays": 30}).status_code == 200
    with database.unit_of_work() as session:
        result = service.apply_retention(session, date(2026, 3, 10))
    assert result.deleted == 2
    assert result.cutoff == datetime(2026, 2, 8, tzinfo=UTC)
    assert stored_types(database) == ["page_view", "segment_entered", "segment_exited"]
    with database.unit_of_work() as session:
        kept = [(c.event_type, c.detail, c.count) for c in service.daily_counts(session, int(cid))]
    assert kept == [("page_view", "/new", 1), ("page_view", "/old", 1), ("signed_up", "", 1)]


def test_retention_job_runs_on_its_schedule_with_a_given_day(
    client: TestClient, database: Database
) -> None:
    schedule = {s.name: s for s in registry.schedules()}["events-retention"]
    assert (schedule.kind, schedule.at) == ("events.apply_retention", time(0, 20))
    assert registry.handler_for("events.apply_retention") is event_tasks.apply_retention
    cid = contact(client)
    seed_old_and_new(client, cid)
    client.put(SETTINGS, json={"retentionDays": 1})
    with database.unit_of_work() as session:
        queue.enqueue(session, "events.apply_retention", {"today": "2026-01-03"})
    assert run_once(database, worker_id="w1") >= 1
    assert stored_types(database) == ["page_view", "signed_up"]


def test_prune_command_reports_how_many_rows_went(db_url: str) -> None:
    result = run("events", "prune", "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert "nothing deleted" in result.output
    db = Database(db_url)
    try:
        with db.unit_of_work() as session:
            service.update_settings(session, {"retentionDays": 1})
            service.ingest_events(
                session,
                [
                    {
                        "type": "page_view",
                        "contact": {"anonymousId": "v"},
                        "occurredAt": "2020-01-01T00:00:00Z",
                    }
                ],
            )
    finally:
        db.dispose()
    result = run("events", "prune", "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert "Deleted 1 event(s)" in result.output


def reevaluate_jobs(database: Database) -> list[Job]:
    with database.unit_of_work() as session:
        return list(
            session.scalars(select(Job).where(Job.kind == "segments.reevaluate").order_by(Job.id))
        )


def test_reevaluation_job_is_written_once_per_batch_only_when_a_dynamic_segment_exists(
    client: TestClient, database: Database
) -> None:
    a, b = contact(client, "a@example.com"), contact(client, "b@example.com")
    inputs = [
        {"type": "page_view", "contact": {"id": a}},
        {"type": "signed_up", "contact": {"id": b}},
    ]
    assert client.post(BATCH, json={"inputs": inputs}).status_code == 200
    assert reevaluate_jobs(database) == []
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        session.add(
            Segment(
                name="Visitors",
                kind="dynamic",
                conditions={},
                dependencies={},
                created_at=now,
                updated_at=now,
            )
        )
    before = len(reevaluate_jobs(database))
    assert client.post(BATCH, json={"inputs": inputs}).status_code == 200
    jobs = reevaluate_jobs(database)[before:]
    assert len(jobs) == 1
    assert jobs[0].payload["ids"] == sorted([int(a), int(b)])
    assert jobs[0].payload["events"] == ["page_view", "signed_up"]
    assert (
        client.post(
            BATCH, json={"inputs": [{"type": "page_view", "contact": {"anonymousId": "v"}}]}
        ).status_code
        == 200
    )
    assert len(reevaluate_jobs(database)) == before + 1  # anonymous events concern no contact


def test_merge_moves_events_daily_counts_and_anonymous_identities(
    client: TestClient, database: Database
) -> None:
    primary, merged = contact(client, "p@example.com"), contact(client, "m@example.com")
    inputs = [
        {
            "type": "page_view",
            "contact": {"id": primary},
            "properties": {"path": "/x"},
            "occurredAt": "2026-01-01T10:00:00Z",
        },
        {
            "type": "page_view",
            "contact": {"id": merged, "anonymousId": "v9"},
            "properties": {"path": "/x"},
            "occurredAt": "2026-01-01T11:00:00Z",
        },
        {"type": "signed_up", "contact": {"id": merged}, "occurredAt": "2026-01-02T11:00:00Z"},
    ]
    assert client.post(BATCH, json={"inputs": inputs}).status_code == 200
    resp = client.post(
        "/crm/v3/objects/contacts/merge",
        json={"primaryObjectId": primary, "objectIdToMerge": merged},
    )
    assert resp.status_code == 200, resp.text
    listed = client.get(EVENTS, params={"contactId": primary}).json()["results"]
    assert len(listed) == 3 and {e["contactId"] for e in listed} == {primary}
    with database.unit_of_work() as session:
        got = [
            (c.event_type, c.detail, c.day, c.count)
            for c in service.daily_counts(session, int(primary))
        ]
        assert service.daily_counts(session, int(merged)) == []
    assert got == [("page_view", "/x", date(2026, 1, 1), 2), ("signed_up", "", date(2026, 1, 2), 1)]
    later = client.post(EVENTS, json={"type": "page_view", "contact": {"anonymousId": "v9"}})
    assert later.json()["contactId"] == primary


def test_two_concurrent_writers_of_one_idempotency_key_store_one_event(
    database: Database,
) -> None:
    event = {"type": "page_view", "contact": {"anonymousId": "v"}, "idempotencyKey": "same"}
    outcome: dict[str, Any] = {}

    def second() -> None:
        with database.unit_of_work() as session:
            outcome["second"] = service.ingest_events(session, [dict(event)]).outcomes[0]

    with database.unit_of_work() as session:
        first = service.ingest_events(session, [dict(event)]).outcomes[0]
        # The second writer starts while the first has not committed: it must wait for the
        # first (unique index on PostgreSQL, the single writer lock on SQLite), then skip.
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
    thread.join(30)
    assert not thread.is_alive()
    assert isinstance(first, service.StoredEvent) and not first.duplicate
    later = outcome["second"]
    assert isinstance(later, service.StoredEvent)
    assert later.duplicate and later.id == first.id
    with database.unit_of_work() as session:
        assert len(list(session.scalars(select(Event.id)))) == 1
