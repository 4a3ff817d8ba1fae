"""Behaviour of the v4 associations API: links, labels, primary, batches, archived edges."""

from __future__ import annotations

import re
from typing import Any

import httpx
from starlette.testclient import TestClient

ERROR_KEYS = {"status", "message", "correlationId", "category", "errors", "context", "links"}
WHEN = "2024-05-01T12:00:00.000Z"
V4 = "/crm/v4/objects"


def assert_error(resp: httpx.Response, status: int, category: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert set(body) >= ERROR_KEYS, body
    assert body["category"] == category
    assert re.fullmatch(r"[0-9a-f-]{36}", body["correlationId"])
    return body


def make(client: TestClient, object_type: str, **props: Any) -> str:
    resp = client.post(f"/crm/v3/objects/{object_type}", json={"properties": props})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def contact(client: TestClient, n: int) -> str:
    return make(client, "contacts", email=f"p{n}@example.com")


def company(client: TestClient, n: int) -> str:
    return make(client, "companies", name=f"Co {n}", domain=f"co{n}.example")


def links(client: TestClient, from_type: str, from_id: str, to_type: str) -> dict[int, set[int]]:
    resp = client.get(f"{V4}/{from_type}/{from_id}/associations/{to_type}")
    assert resp.status_code == 200, resp.text
    return {
        r["toObjectId"]: {t["typeId"] for t in r["associationTypes"]}
        for r in resp.json()["results"]
    }


def labelled(client: TestClient, path: str, specs: list[tuple[str, int]]) -> httpx.Response:
    body = [{"associationCategory": c, "associationTypeId": t} for c, t in specs]
    resp: httpx.Response = client.put(f"{V4}/{path}", json=body)
    return resp


def test_default_put_links_both_directions_and_answers_both(client: TestClient) -> None:
    c, co = contact(client, 1), company(client, 1)
    resp = client.put(
        f"{V4}/contacts/{c}/associations/default/companies/{co}",
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "COMPLETE" and body["startedAt"] and body["completedAt"]
    assert {
        (r["from"]["id"], r["to"]["id"], r["associationSpec"]["associationTypeId"])
        for r in body["results"]
    } == {(c, co, 279), (co, c, 280)}
    assert all(
        r["associationSpec"]["associationCategory"] == "HUBSPOT_DEFINED" for r in body["results"]
    )
    assert links(client, "contacts", c, "companies") == {int(co): {279}}
    assert links(client, "company", co, "0-1") == {int(c): {280}}
    # Idempotent: a second PUT adds nothing.
    client.put(f"{V4}/contacts/{c}/associations/default/companies/{co}")
    assert links(client, "contacts", c, "companies") == {int(co): {279}}


def test_labelled_put_is_201_and_primary_demotes_the_previous_one(client: TestClient) -> None:
    c, a, b = contact(client, 1), company(client, 1), company(client, 2)
    resp = labelled(client, f"contacts/{c}/associations/companies/{a}", [("HUBSPOT_DEFINED", 1)])
    assert resp.status_code == 201, resp.text
    assert resp.json() == {
        "fromObjectTypeId": "0-1",
        "fromObjectId": int(c),
        "toObjectTypeId": "0-2",
        "toObjectId": int(a),
        "labels": ["Primary"],
    }
    assert links(client, "contacts", c, "companies") == {int(a): {1, 279}}
    assert links(client, "companies", a, "contacts") == {int(c): {2, 280}}
    # From the company side (type 2) too: the contact's primary moves to b.
    resp = labelled(client, f"companies/{b}/associations/contacts/{c}", [("HUBSPOT_DEFINED", 2)])
    assert resp.status_code == 201, resp.text
    assert links(client, "contacts", c, "companies") == {int(a): {279}, int(b): {1, 279}}
    assert links(client, "companies", a, "contacts") == {int(c): {280}}
    # A company may be primary for many contacts.
    c2 = contact(client, 2)
    labelled(client, f"contacts/{c2}/associations/companies/{b}", [("HUBSPOT_DEFINED", 1)])
    assert links(client, "companies", b, "contacts") == {int(c): {2, 280}, int(c2): {2, 280}}
    # Deals have a primary company as well (5).
    d = make(client, "deals", dealname="D")
    labelled(client, f"deals/{d}/associations/companies/{a}", [("HUBSPOT_DEFINED", 5)])
    labelled(client, f"deals/{d}/associations/companies/{b}", [("HUBSPOT_DEFINED", 5)])
    assert links(client, "deals", d, "companies") == {int(a): {341}, int(b): {5, 341}}


def test_user_defined_labels(client: TestClient) -> None:
    resp = client.get("/crm/v4/associations/contacts/companies/labels")
    assert resp.status_code == 200
    assert resp.json()["results"] == [
        {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None},
        {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"},
    ]
    resp = client.post(
        "/crm/v4/associations/contacts/companies/labels",
        json={"label": "Employee", "name": "employee", "inverseLabel": "Employer"},
    )
    assert resp.status_code == 200, resp.text
    (fwd, back) = resp.json()["results"]
    assert fwd["category"] == back["category"] == "USER_DEFINED"
    assert (fwd["label"], back["label"]) == ("Employee", "Employer")
    assert fwd["typeId"] != back["typeId"]
    reverse = client.get("/crm/v4/associations/companies/contacts/labels").json()["results"]
    assert {"category": "USER_DEFINED", "typeId": back["typeId"], "label": "Employer"} in reverse
    dup = client.post(
        "/crm/v4/associations/contacts/companies/labels", json={"label": "X", "name": "employee"}
    )
    assert_error(dup, 409, "CONFLICT")

    c, co = contact(client, 1), company(client, 1)
    resp = labelled(
        client, f"contacts/{c}/associations/companies/{co}", [("USER_DEFINED", fwd["typeId"])]
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["labels"] == ["Employee"]
    page = client.get(f"{V4}/companies/{co}/associations/contacts").json()["results"]
    assert page == [
        {
            "toObjectId": int(c),
            "associationTypes": [
                {"category": "HUBSPOT_DEFINED", "typeId": 280, "label": None},
                {"category": "USER_DEFINED", "typeId": back["typeId"], "label": "Employer"},
            ],
        }
    ]
    # v3 reads show the labelled link too.
    rec = client.get(f"/crm/v3/objects/contacts/{c}", params={"associations": "companies"}).json()
    assert rec["associations"]["companies"]["results"] == [
        {"id": co, "type": "contact_to_company_unlabeled"},
        {"id": co, "type": "employee"},
    ]
    # Rename; deleting while used is refused; after unlinking it goes.
    resp = client.put(
        "/crm/v4/associations/contacts/companies/labels",
        json={"associationTypeId": fwd["typeId"], "label": "Staff", "inverseLabel": "Firm"},
    )
    assert resp.status_code == 204, resp.text
    assert links(client, "contacts", c, "companies") == {int(co): {279, fwd["typeId"]}}
    labels = client.get(f"{V4}/contacts/{c}/associations/companies").json()["results"][0]
    assert {t["label"] for t in labels["associationTypes"]} == {None, "Staff"}
    gone = client.delete(f"/crm/v4/associations/contacts/companies/labels/{fwd['typeId']}")
    assert_error(gone, 409, "CONFLICT")
    assert client.delete(f"{V4}/contacts/{c}/associations/companies/{co}").status_code == 204
    assert links(client, "contacts", c, "companies") == {}
    resp = client.delete(f"/crm/v4/associations/contacts/companies/labels/{fwd['typeId']}")
    assert resp.status_code == 204
    assert len(client.get("/crm/v4/associations/contacts/companies/labels").json()["results"]) == 2
    assert_error(
        client.delete("/crm/v4/associations/contacts/companies/labels/279"), 400, "VALIDATION_ERROR"
    )
    assert_error(
        client.delete("/crm/v4/associations/contacts/companies/labels/99999"),
        404,
        "OBJECT_NOT_FOUND",
    )
    # A label of another pair cannot be used here.
    other = client.post(
        "/crm/v4/associations/deals/contacts/labels", json={"label": "Champion", "name": "champ"}
    ).json()["results"][0]["typeId"]
    resp = labelled(client, f"contacts/{c}/associations/companies/{co}", [("USER_DEFINED", other)])
    assert_error(resp, 400, "VALIDATION_ERROR")


def test_list_pages_with_limit_and_after(client: TestClient) -> None:
    co = company(client, 1)
    ids = []
    for n in range(7):
        c = contact(client, n)
        ids.append(int(c))
        client.put(f"{V4}/companies/{co}/associations/default/contacts/{c}")
    seen: list[int] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if after:
            params["after"] = after
        body = client.get(f"{V4}/companies/{co}/associations/contacts", params=params).json()
        seen.extend(r["toObjectId"] for r in body["results"])
        if "paging" not in body:
            break
        after = body["paging"]["next"]["after"]
        assert "after=" in body["paging"]["next"]["link"]
    assert seen == sorted(ids)
    bad = client.get(f"{V4}/companies/{co}/associations/contacts", params={"limit": 501})
    assert_error(bad, 400, "VALIDATION_ERROR")
    bad = client.get(f"{V4}/companies/{co}/associations/contacts", params={"after": "x"})
    assert_error(bad, 400, "VALIDATION_ERROR")


def test_errors_are_hubspot_shaped_never_500(client: TestClient) -> None:
    c, co = contact(client, 1), company(client, 1)
    cases = [
        (client.put(f"{V4}/widgets/{c}/associations/default/companies/{co}"), 404),
        (client.put(f"{V4}/contacts/999999/associations/default/companies/{co}"), 404),
        (client.put(f"{V4}/contacts/{c}/associations/default/companies/abc"), 404),
        (client.put(f"{V4}/contacts/{c}/associations/default/contacts/{c}"), 400),
        (
            labelled(client, f"contacts/{c}/associations/companies/{co}", [("HUBSPOT_DEFINED", 3)]),
            400,
        ),
        (labelled(client, f"contacts/{c}/associations/companies/{co}", [("NOPE", 279)]), 400),
        (labelled(client, f"contacts/{c}/associations/companies/{co}", []), 400),
        (client.put(f"{V4}/contacts/{c}/associations/companies/{co}", json={"a": 1}), 400),
        (client.put(f"{V4}/contacts/{c}/associations/companies/{co}", content=b"[{"), 400),
        (client.get(f"{V4}/contacts/123456/associations/companies"), 404),
        (client.delete(f"{V4}/contacts/123456/associations/companies/{co}"), 404),
        (client.get("/crm/v4/associations/contacts/contacts/labels"), 400),
        (client.post("/crm/v4/associations/contacts/companies/labels", json={"label": ""}), 400),
        (
            client.post(
                "/crm/v4/associations/contacts/companies/labels", json={"label": " ", "name": "x"}
            ),
            400,
        ),
        (client.post("/crm/v4/associations/contacts/companies/batch/read", json={}), 400),
        (
            client.post(
                "/crm/v4/associations/contacts/companies/batch/read",
                json={"inputs": [{"id": str(i)} for i in range(1001)]},
            ),
            400,
        ),
        (
            client.post(
                "/crm/v4/associations/contacts/companies/batch/archive",
                json={"inputs": [{"from": {"id": "x"}, "to": [{"id": co}]}]},
            ),
            404,
        ),
    ]
    for resp, status in cases:
        assert_error(resp, status, "OBJECT_NOT_FOUND" if status == 404 else "VALIDATION_ERROR")
    assert links(client, "contacts", c, "companies") == {}


def test_batches(client: TestClient) -> None:
    c1, c2, c3 = contact(client, 1), contact(client, 2), contact(client, 3)
    co = company(client, 1)
    base = "/crm/v4/associations/contacts/companies/batch"
    resp = client.post(
        f"{base}/associate/default",
        json={
            "inputs": [
                {"from": {"id": c1}, "to": {"id": co}},
                {"from": {"id": c2}, "to": {"id": co}},
            ]
        },
    )
    assert resp.status_code == 200, resp.text
    assert len(resp.json()["results"]) == 4
    resp = client.post(
        f"{base}/associate/default",
        json={
            "inputs": [
                {"from": {"id": c3}, "to": {"id": co}},
                {"from": {"id": "424242"}, "to": {"id": co}},
            ]
        },
    )
    assert resp.status_code == 207, resp.text
    body = resp.json()
    assert body["numErrors"] == 1
    err = body["errors"][0]
    assert set(err) >= {"status", "category", "message", "context", "errors", "links"}
    assert err["category"] == "OBJECT_NOT_FOUND"

    resp = client.post(
        f"{base}/create",
        json={
            "inputs": [
                {
                    "from": {"id": c1},
                    "to": {"id": co},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
                }
            ]
        },
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["results"][0]["labels"] == ["Primary"]
    resp = client.post(
        f"{base}/create",
        json={
            "inputs": [
                {
                    "from": {"id": c2},
                    "to": {"id": co},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 77}],
                }
            ]
        },
    )
    assert resp.status_code == 207 and resp.json()["numErrors"] == 1

    no_links = contact(client, 4)
    resp = client.post(
        f"{base}/read", json={"inputs": [{"id": c1}, {"id": c2}, {"id": no_links}, {"id": "9999"}]}
    )
    assert resp.status_code == 207, resp.text
    body = resp.json()
    got = {r["from"]["id"]: r["to"] for r in body["results"]}
    assert got[c1] == [
        {
            "toObjectId": int(co),
            "associationTypes": [
                {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"},
                {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None},
            ],
        }
    ]
    assert set(got) == {c1, c2}
    assert body["numErrors"] == 2
    resp = client.post(f"{base}/read", json={"inputs": [{"id": c1}]})
    assert resp.status_code == 200 and "errors" not in resp.json()

    # Labels archive removes only the given type; archive removes everything.
    resp = client.post(
        f"{base}/labels/archive",
        json={
            "inputs": [
                {
                    "from": {"id": c1},
                    "to": {"id": co},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
                }
            ]
        },
    )
    assert resp.status_code == 204, resp.text
    assert links(client, "contacts", c1, "companies") == {int(co): {279}}
    resp = client.post(
        f"{base}/archive",
        json={
            "inputs": [
                {"from": {"id": c1}, "to": [{"id": co}]},
                {"from": {"id": c2}, "to": [{"id": co}]},
            ]
        },
    )
    assert resp.status_code == 204, resp.text
    assert links(client, "companies", co, "contacts") == {int(c3): {280}}


def test_archiving_a_record_hides_its_links_and_restore_brings_them_back(
    client: TestClient,
) -> None:
    c, co = contact(client, 1), company(client, 1)
    note = make(client, "notes", hs_timestamp=WHEN, hs_note_body="hi")
    labelled(client, f"contacts/{c}/associations/companies/{co}", [("HUBSPOT_DEFINED", 1)])
    client.put(f"{V4}/notes/{note}/associations/default/contacts/{c}")
    assert client.delete(f"/crm/v3/objects/companies/{co}").status_code == 204
    assert links(client, "contacts", c, "companies") == {}
    rec = client.get(f"/crm/v3/objects/contacts/{c}", params={"associations": "companies,notes"})
    assert set(rec.json()["associations"]) == {"notes"}
    batch = client.post(
        "/crm/v4/associations/contacts/companies/batch/read", json={"inputs": [{"id": c}]}
    )
    assert batch.status_code == 207
    # Linking to an archived record is a 404.
    resp = client.put(f"{V4}/contacts/{c}/associations/default/companies/{co}")
    assert_error(resp, 404, "OBJECT_NOT_FOUND")

    # Meanwhile the contact gets another primary company: the restored link is demoted.
    other = company(client, 2)
    labelled(client, f"contacts/{c}/associations/companies/{other}", [("HUBSPOT_DEFINED", 1)])
    resp = client.post(f"/revline/v1/objects/companies/{co}/restore")
    assert resp.status_code == 200, resp.text
    assert links(client, "contacts", c, "companies") == {int(co): {279}, int(other): {1, 279}}
    assert links(client, "companies", co, "contacts") == {int(c): {280}}

    # Archive the contact: the note loses it; restore: back again. A link to a record that
    # is still archived stays hidden.
    client.delete(f"/crm/v3/objects/companies/{other}")
    client.delete(f"/crm/v3/objects/contacts/{c}")
    assert links(client, "notes", note, "contacts") == {}
    assert links(client, "companies", co, "contacts") == {}
    client.post(f"/revline/v1/objects/contacts/{c}/restore")
    assert links(client, "notes", note, "contacts") == {int(c): {202}}
    assert links(client, "contacts", c, "companies") == {int(co): {279}}
    client.post(f"/revline/v1/objects/companies/{other}/restore")
    assert links(client, "contacts", c, "companies") == {int(co): {279}, int(other): {1, 279}}


def test_create_with_associations_shows_primary_and_default(client: TestClient) -> None:
    co = company(client, 1)
    resp = client.post(
        "/crm/v3/objects/contacts",
        json={
            "properties": {"email": "x@example.com"},
            "associations": [
                {
                    "to": {"id": co},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
                }
            ],
        },
    )
    assert resp.status_code == 201, resp.text
    c = resp.json()["id"]
    rec = client.get(f"/crm/v3/objects/contacts/{c}", params={"associations": "companies"}).json()
    assert {r["type"] for r in rec["associations"]["companies"]["results"]} == {
        "contact_to_company",
        "contact_to_company_unlabeled",
    }
