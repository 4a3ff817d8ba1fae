"""What the segment tests share: contacts and companies through the API, events written
straight into ``events`` and ``event_daily_counts`` (as ingestion keeps them), the worker."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from revline.crm import signals
from revline.events.definitions import BUILT_IN
from revline.kit.db import Database
from revline.kit.time import utcnow
from revline.models import Event, EventDailyCount, SegmentMember
from revline.worker import runner

SEGMENTS = "/revline/v1/segments"
PRIMARY_COMPANY = 1  # contact -> company, "Primary"


def today() -> date:
    return utcnow().date()


def contact(client: TestClient, **props: Any) -> int:
    resp = client.post("/crm/v3/objects/contacts", json={"properties": props})
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def company(client: TestClient, **props: Any) -> int:
    resp = client.post("/crm/v3/objects/companies", json={"properties": props})
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def set_primary(client: TestClient, contact_id: int, company_id: int) -> None:
    resp = client.put(
        f"/crm/v4/objects/contacts/{contact_id}/associations/companies/{company_id}",
        json=[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": PRIMARY_COMPANY}],
    )
    assert resp.status_code == 201, resp.text


def segment(client: TestClient, conditions: Any, name: str = "S", kind: str = "dynamic") -> int:
    body: dict[str, Any] = {"name": name, "kind": kind}
    if conditions is not None:
        body["conditions"] = conditions
    resp = client.post(SEGMENTS, json=body)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def members(db: Database, segment_id: int) -> set[int]:
    with db.unit_of_work() as session:
        return set(
            session.scalars(
                select(SegmentMember.contact_id).where(SegmentMember.segment_id == segment_id)
            )
        )


def api_members(client: TestClient, segment_id: int) -> set[int]:
    out: set[int] = set()
    after = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if after:
            params["after"] = after
        resp = client.get(f"{SEGMENTS}/{segment_id}/members", params=params)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        out.update(int(r["id"]) for r in body["results"])
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            return out


def write_events(
    session: Session, contact_id: int, event_type: str, days: list[date], **properties: Any
) -> None:
    """Events as ingestion stores them: raw rows and the per-day counts."""
    key = BUILT_IN[event_type].key_property if event_type in BUILT_IN else None
    detail = str(properties[key]) if key and key in properties else ""
    now = utcnow()
    for day in days:
        session.add(
            Event(
                event_type=event_type,
                occurred_at=datetime.combine(day, time(12), tzinfo=UTC),
                received_at=now,
                contact_id=contact_id,
                detail=detail or None,
                properties=dict(properties),
                source="api",
            )
        )
    session.flush()
    for day, n in Counter(days).items():
        row = session.get(EventDailyCount, (contact_id, event_type, detail, day))
        if row is None:
            session.add(
                EventDailyCount(
                    contact_id=contact_id, event_type=event_type, detail=detail, day=day, count=n
                )
            )
        else:
            row.count += n
    session.flush()


def track(
    db: Database, contact_id: int, event_type: str, days: list[date], **properties: Any
) -> None:
    """Record events and announce them, as ingestion will."""
    with db.unit_of_work() as session:
        write_events(session, contact_id, event_type, days, **properties)
        signals.contacts_changed(session, ids=[contact_id], events=[event_type])


def work(db: Database) -> int:
    return runner.run_once(db, worker_id="segments-tests")
