"""POST /crm/v3/objects/{type}/merge: values, links, history and the merged id afterwards."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from starlette.testclient import TestClient

from revline.kit.db import Database
from revline.models import RecordMerge

V4 = "/crm/v4/objects"
WHEN = "2024-05-01T12:00:00.000Z"


def make(client: TestClient, object_type: str, **props: Any) -> str:
    resp = client.post(f"/crm/v3/objects/{object_type}", json={"properties": props})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def merge(client: TestClient, object_type: str, primary: Any, other: Any) -> httpx.Response:
    resp: httpx.Response = client.post(
        f"/crm/v3/objects/{object_type}/merge",
        json={"primaryObjectId": primary, "objectIdToMerge": other},
    )
    return resp


def targets(client: TestClient, from_type: str, from_id: str, to_type: str) -> dict[int, set[int]]:
    resp = client.get(f"{V4}/{from_type}/{from_id}/associations/{to_type}")
    assert resp.status_code == 200, resp.text
    return {
        r["toObjectId"]: {t["typeId"] for t in r["associationTypes"]}
        for r in resp.json()["results"]
    }


def primary_company(client: TestClient, c: str, co: str) -> None:
    body = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]
    assert (
        client.put(f"{V4}/contacts/{c}/associations/companies/{co}", json=body).status_code == 201
    )


def test_merge_moves_values_links_engagements_and_history(
    client: TestClient, database: Database
) -> None:
    client.post(
        "/crm/v3/properties/contacts",
        json={
            "name": "shoe_size",
            "label": "Shoe size",
            "type": "string",
            "fieldType": "text",
            "groupName": "contactinformation",
        },
    )
    keep = make(client, "contacts", email="ada@example.com", firstname="Ada", phone="")
    gone = make(
        client,
        "contacts",
        email="ada.l@example.com",
        firstname="Augusta",
        lastname="Lovelace",
        phone="+44 1",
        shoe_size="38",
    )
    client.patch(f"/crm/v3/objects/contacts/{gone}", json={"properties": {"jobtitle": "Analyst"}})
    a, b, c = (make(client, "companies", name=n, domain=f"{n}.example") for n in ("a", "b", "c"))
    primary_company(client, keep, a)
    primary_company(client, gone, b)  # loses: the primary already has a primary company
    client.put(f"{V4}/contacts/{gone}/associations/default/companies/{a}")  # duplicate
    client.put(f"{V4}/contacts/{gone}/associations/default/companies/{c}")
    note = make(client, "notes", hs_timestamp=WHEN, hs_note_body="call me")
    client.put(f"{V4}/notes/{note}/associations/default/contacts/{gone}")
    deal = make(client, "deals", dealname="Big")
    client.put(f"{V4}/deals/{deal}/associations/default/contacts/{gone}")

    resp = merge(client, "contacts", keep, gone)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["id"] == keep
    props = body["properties"]
    assert props["firstname"] == "Ada"  # the primary's value wins
    assert props["email"] == "ada@example.com"
    assert props["lastname"] == "Lovelace" and props["phone"] == "+44 1"
    assert props["jobtitle"] == "Analyst" and props["shoe_size"] == "38"

    assert targets(client, "contacts", keep, "companies") == {
        int(a): {1, 279},
        int(b): {279},
        int(c): {279},
    }
    assert targets(client, "companies", b, "contacts") == {int(keep): {280}}
    assert targets(client, "notes", note, "contacts") == {int(keep): {202}}
    assert targets(client, "contacts", keep, "notes") == {int(note): {201}}
    assert targets(client, "deals", deal, "contacts") == {int(keep): {3}}

    hist = client.get(
        f"/crm/v3/objects/contacts/{keep}",
        params={"propertiesWithHistory": "jobtitle,firstname,lastname"},
    ).json()["propertiesWithHistory"]
    assert [h["value"] for h in hist["jobtitle"]] == ["Analyst", "Analyst"]
    assert hist["jobtitle"][0]["sourceType"] == "MERGE"
    assert {h["value"] for h in hist["firstname"]} == {"Ada", "Augusta"}  # nothing lost

    # The old id answers the primary; it never shows in lists; its email is free again.
    old = client.get(f"/crm/v3/objects/contacts/{gone}")
    assert old.status_code == 200 and old.json()["id"] == keep
    patched = client.patch(
        f"/crm/v3/objects/contacts/{gone}", json={"properties": {"city": "London"}}
    )
    assert patched.status_code == 200 and patched.json()["id"] == keep
    assert (
        client.get(f"/crm/v3/objects/contacts/{gone}", params={"archived": "true"}).status_code
        == 404
    )
    for archived in ("false", "true"):
        listed = client.get("/crm/v3/objects/contacts", params={"archived": archived, "limit": 100})
        assert gone not in {r["id"] for r in listed.json()["results"]}
    assert client.post(f"/revline/v1/objects/contacts/{gone}/restore").status_code == 404
    make(client, "contacts", email="ada.l@example.com")

    with database.unit_of_work() as session:
        rows = session.scalars(select(RecordMerge)).all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.object_type, row.primary_id, row.merged_id) == (
            "contacts",
            int(keep),
            int(gone),
        )
        assert row.source_type == "API" and row.source_id == "token:tests"
        assert row.snapshot["properties"]["firstname"] == "Augusta"
        assert set(row.snapshot["filled"]) >= {"lastname", "phone", "jobtitle", "shoe_size"}


def test_merge_companies_moves_primary_links_and_follows_chains(client: TestClient) -> None:
    keep = make(client, "companies", name="Keep", domain="keep.example")
    gone = make(client, "companies", domain="gone.example", industry="BANKING")
    third = make(client, "companies", name="Third")
    person = make(client, "contacts", email="p@example.com")
    primary_company(client, person, gone)
    deal = make(client, "deals", dealname="D")
    body = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]
    client.put(f"{V4}/deals/{deal}/associations/companies/{gone}", json=body)

    resp = merge(client, "companies", int(keep), int(gone))  # ids as numbers work too
    assert resp.status_code == 200, resp.text
    assert resp.json()["properties"]["domain"] == "keep.example"
    assert resp.json()["properties"]["industry"] == "BANKING"
    assert targets(client, "contacts", person, "companies") == {int(keep): {1, 279}}
    assert targets(client, "deals", deal, "companies") == {int(keep): {5, 341}}
    # The freed domain can be used again, and merging into the merged id means the survivor.
    make(client, "companies", domain="gone.example")
    resp = merge(client, "companies", third, keep)
    assert resp.status_code == 200 and resp.json()["id"] == third
    assert client.get(f"/crm/v3/objects/companies/{gone}").json()["id"] == third
    assert targets(client, "contacts", person, "companies") == {int(third): {1, 279}}


def test_merge_deals_keeps_the_primarys_stage(client: TestClient) -> None:
    keep = make(client, "deals", dealname="Keep", amount="10")
    gone = make(
        client,
        "deals",
        dealname="Gone",
        dealstage="qualifiedtobuy",
        pipeline="default",
        description="from the other deal",
    )
    resp = merge(client, "deals", keep, gone)
    assert resp.status_code == 200, resp.text
    got = client.get(
        f"/crm/v3/objects/deals/{keep}", params={"properties": "dealname,dealstage,description"}
    ).json()["properties"]
    assert got["dealname"] == "Keep"
    assert got["dealstage"] == "appointmentscheduled"  # created with the pipeline's first stage
    assert got["description"] == "from the other deal"


def test_merge_errors(client: TestClient) -> None:
    a = make(client, "contacts", email="a@example.com")
    b = make(client, "contacts", email="b@example.com")
    note = make(client, "notes", hs_timestamp=WHEN)
    archived = make(client, "contacts", email="z@example.com")
    client.delete(f"/crm/v3/objects/contacts/{archived}")
    cases = [
        (merge(client, "contacts", a, a), 400),
        (merge(client, "contacts", a, "999999"), 404),
        (merge(client, "contacts", "999999", a), 404),
        (merge(client, "contacts", a, "abc"), 400),
        (merge(client, "contacts", a, archived), 400),
        (merge(client, "contacts", archived, a), 400),
        (merge(client, "notes", note, note), 400),
        (merge(client, "widgets", a, b), 404),
        (client.post("/crm/v3/objects/contacts/merge", json={"primaryObjectId": a}), 400),
    ]
    for resp, status in cases:
        assert resp.status_code == status, (resp.request.content, resp.text)
        assert resp.json()["status"] == "error"
    assert merge(client, "contacts", a, b).status_code == 200
    again = merge(client, "contacts", a, b)
    assert again.status_code == 400 and "already merged" in again.json()["message"]
    assert merge(client, "contacts", b, a).status_code == 400  # b now means a itself
