"""Moving a lead status to another group changes the group of every live contact holding it
as any calculated value changes: a history row per contact, and the segments (and scores)
that read the group follow."""

from __future__ import annotations

from starlette.testclient import TestClient

from revline.kit.db import Database
from tests.segments_support import work


def _contact(client: TestClient, email: str, status: str) -> str:
    resp = client.post(
        "/crm/v3/objects/contacts", json={"properties": {"email": email, "hs_lead_status": status}}
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def _members(client: TestClient, segment: str) -> set[str]:
    resp = client.get(f"/revline/v1/segments/{segment}/members")
    assert resp.status_code == 200, resp.text
    return {m["id"] for m in resp.json()["results"]}


def test_a_regrouped_status_moves_its_contacts_segments_and_history(
    client: TestClient, database: Database
) -> None:
    added = client.post(
        "/revline/v1/lead-statuses",
        json={"value": "NURTURING", "label": "Nurturing", "group": "working"},
    )
    assert added.status_code == 201, added.text
    nurtured = _contact(client, "n@example.com", "NURTURING")
    other = _contact(client, "o@example.com", "NEW")
    gone = _contact(client, "g@example.com", "NURTURING")
    assert client.delete(f"/crm/v3/objects/contacts/{gone}").status_code == 204
    resp = client.post(
        "/revline/v1/segments",
        json={
            "name": "Open leads",
            "conditions": {
                "property": "revline_lead_status_group",
                "operator": "EQ",
                "value": "open",
            },
        },
    )
    assert resp.status_code == 201, resp.text
    segment = str(resp.json()["id"])
    work(database)
    assert _members(client, segment) == {other}  # NEW is in the open group

    assert client.patch("/revline/v1/lead-statuses/NURTURING", json={"group": "open"}).is_success
    work(database)
    assert _members(client, segment) == {other, nurtured}

    got = client.get(
        f"/crm/v3/objects/contacts/{nurtured}",
        params={"propertiesWithHistory": "revline_lead_status_group"},
    ).json()["propertiesWithHistory"]["revline_lead_status_group"]
    assert [(h["value"], h["sourceType"]) for h in got[:2]] == [
        ("open", "CALCULATED"),
        ("working", got[1]["sourceType"]),
    ]
    assert got[0]["sourceId"] == "lead-status:NURTURING"
    # The archived contact is left as it was.
    archived = client.get(
        f"/crm/v3/objects/contacts/{gone}",
        params={"archived": "true", "properties": "revline_lead_status_group"},
    )
    assert archived.json()["properties"]["revline_lead_status_group"] == "working"

    # Moving it back takes it out again; a second identical change writes nothing new.
    assert client.patch("/revline/v1/lead-statuses/NURTURING", json={"group": "working"}).is_success
    assert client.patch("/revline/v1/lead-statuses/NURTURING", json={"group": "working"}).is_success
    work(database)
    assert _members(client, segment) == {other}
    got = client.get(
        f"/crm/v3/objects/contacts/{nurtured}",
        params={"propertiesWithHistory": "revline_lead_status_group"},
    ).json()["propertiesWithHistory"]["revline_lead_status_group"]
    assert [h["value"] for h in got] == ["working", "open", "working"]
