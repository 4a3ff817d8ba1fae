"""The contact timeline: every kind of item, newest first, stable keyset paging, the types
filter, and 404 for unknown or archived contacts (a merged id answers its survivor)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

EVENTS = "/revline/v1/events"


def create(client: TestClient, object_type: str, **props: Any) -> str:
    resp = client.post(f"/crm/v3/objects/{object_type}", json={"properties": props})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def link(client: TestClient, cid: str, to_type: str, to_id: str) -> None:
    resp = client.put(f"/crm/v4/objects/contacts/{cid}/associations/default/{to_type}/{to_id}")
    assert resp.status_code in (200, 201), resp.text


def timeline(client: TestClient, cid: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = None
    while True:
        query = dict(params)
        if after:
            query["after"] = after
        resp = client.get(f"/revline/v1/contacts/{cid}/timeline", params=query)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items += body["results"]
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            return items


def seeded(client: TestClient) -> str:
    cid = create(client, "contacts", email="ada@example.com", lifecyclestage="lead")
    same_time = "2026-01-02T10:00:00Z"
    inputs = [
        {
            "type": "page_view",
            "contact": {"id": cid},
            "properties": {"path": f"/{i}"},
            "occurredAt": same_time,
        }
        for i in range(3)
    ]
    inputs.append(
        {"type": "signed_up", "contact": {"id": cid}, "occurredAt": "2026-01-01T10:00:00Z"}
    )
    assert client.post(EVENTS + "/batch", json={"inputs": inputs}).status_code == 200
    note = create(client, "notes", hs_note_body="Called back", hs_timestamp=same_time)
    link(client, cid, "notes", note)
    deal = create(
        client, "deals", dealname="Big one", pipeline="default", dealstage="appointmentscheduled"
    )
    link(client, cid, "deals", deal)
    resp = client.patch(
        f"/crm/v3/objects/deals/{deal}", json={"properties": {"dealstage": "qualifiedtobuy"}}
    )
    assert resp.status_code == 200, resp.text
    return cid


def test_timeline_merges_every_kind_newest_first(client: TestClient) -> None:
    cid = seeded(client)
    items = timeline(client, cid, limit=500)
    kinds = {i["kind"] for i in items}
    assert kinds == {
        "event",
        "engagement",
        "property_change",
        "lifecycle_change",
        "deal_stage_change",
    }
    stamps = [i["timestamp"] for i in items]
    assert stamps == sorted(stamps, reverse=True)
    note = next(i for i in items if i["kind"] == "engagement")
    assert note["objectType"] == "notes" and note["summary"] == "Called back"
    assert note["timestamp"] == "2026-01-02T10:00:00.000Z"
    stages = [i["toStage"] for i in items if i["kind"] == "deal_stage_change"]
    assert stages == ["qualifiedtobuy", "appointmentscheduled"]
    lifecycle = next(i for i in items if i["kind"] == "lifecycle_change")
    assert lifecycle["toStage"] == "lead"
    assert any(i["kind"] == "property_change" and i["propertyName"] == "email" for i in items)
    assert items[-1]["kind"] == "event" and items[-1]["eventType"] == "signed_up"
    # Ties on the timestamp: by kind name, then id, descending.
    tied = [
        (i["kind"], int(i["id"])) for i in items if i["timestamp"] == "2026-01-02T10:00:00.000Z"
    ]
    assert tied == sorted(tied, reverse=True)
    assert [k for k, _ in tied] == ["event", "event", "event", "engagement"]


def test_small_pages_give_the_same_sequence_without_gaps_or_repeats(client: TestClient) -> None:
    cid = seeded(client)
    whole = timeline(client, cid, limit=500)
    for size in (1, 2, 3):
        paged = timeline(client, cid, limit=size)
        assert [(i["kind"], i["id"]) for i in paged] == [(i["kind"], i["id"]) for i in whole]


def test_types_filter_and_bad_parameters(client: TestClient) -> None:
    cid = seeded(client)
    only = timeline(client, cid, types="event,engagement", limit=2)
    assert {i["kind"] for i in only} == {"event", "engagement"}
    assert len(only) == 5
    assert [i["kind"] for i in timeline(client, cid, types=["lifecycle_change"])] == [
        "lifecycle_change"
    ]
    base = f"/revline/v1/contacts/{cid}/timeline"
    for params, field in (
        ({"types": "calls"}, "types"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"after": "nonsense"}, "after"),
        ({"after": "1.event"}, "after"),
    ):
        resp = client.get(base, params=params)
        assert resp.status_code == 400, (params, resp.text)
        assert resp.json()["errors"][0]["context"]["field"] == [field]


def test_unknown_archived_and_merged_contacts(client: TestClient) -> None:
    assert client.get("/revline/v1/contacts/424242/timeline").status_code == 404
    assert client.get("/revline/v1/contacts/abc/timeline").status_code == 400
    gone = create(client, "contacts", email="gone@example.com")
    assert client.delete(f"/crm/v3/objects/contacts/{gone}").status_code == 204
    assert client.get(f"/revline/v1/contacts/{gone}/timeline").status_code == 404
    primary = create(client, "contacts", email="p@example.com")
    merged = create(client, "contacts", email="m@example.com")
    client.post(EVENTS, json={"type": "signed_up", "contact": {"id": merged}})
    resp = client.post(
        "/crm/v3/objects/contacts/merge",
        json={"primaryObjectId": primary, "objectIdToMerge": merged},
    )
    assert resp.status_code == 200, resp.text
    via_merged = timeline(client, merged, types="event")
    assert [i["eventType"] for i in via_merged] == ["signed_up"]
    assert via_merged == timeline(client, primary, types="event")
