"""Batch calls: /crm/v3/objects/{type}/batch/{read,create,update,upsert,archive}."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

WHEN = "2024-05-01T12:00:00.000Z"
ERROR_ITEM_KEYS = {"status", "category", "message", "context", "errors", "links"}


def post(client: TestClient, object_type: str, op: str, body: Any) -> httpx.Response:
    # json.dumps escapes lone surrogates ("\\ud800"), which httpx's own encoder refuses.
    return client.post(
        f"/crm/v3/objects/{object_type}/batch/{op}",
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )


def ok(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert body["status"] == "COMPLETE"
    assert body["startedAt"].endswith("Z") and body["completedAt"].endswith("Z")
    assert "errors" not in body and "numErrors" not in body
    return body


def partial(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 207, resp.text
    body: dict[str, Any] = resp.json()
    assert body["status"] == "COMPLETE"
    assert body["numErrors"] == len(body["errors"]) > 0
    for e in body["errors"]:
        assert set(e) == ERROR_ITEM_KEYS, e
        assert e["status"] == "error" and e["links"] == {}
    return body


def sample(object_type: str, n: int) -> dict[str, Any]:
    return {
        "contacts": {"email": f"p{n}@example.com", "firstname": f"P{n}"},
        "companies": {"domain": f"c{n}.example.com", "name": f"C{n}"},
        "deals": {"dealname": f"D{n}", "amount": "100"},
        "calls": {"hs_timestamp": WHEN, "hs_call_title": f"call {n}"},
        "emails": {"hs_timestamp": WHEN, "hs_email_subject": f"mail {n}"},
        "meetings": {"hs_timestamp": WHEN, "hs_meeting_title": f"meet {n}"},
        "notes": {"hs_timestamp": WHEN, "hs_note_body": f"note {n}"},
        "tasks": {"hs_timestamp": WHEN, "hs_task_subject": f"task {n}"},
    }[object_type]


def create_many(client: TestClient, object_type: str, count: int) -> list[str]:
    body = ok(
        post(
            client,
            object_type,
            "create",
            {"inputs": [{"properties": sample(object_type, i)} for i in range(count)]},
        ),
        201,
    )
    return [r["id"] for r in body["results"]]


def listed_ids(client: TestClient, object_type: str) -> set[str]:
    resp = client.get(f"/crm/v3/objects/{object_type}", params={"limit": 100})
    return {r["id"] for r in resp.json()["results"]}


@pytest.mark.parametrize(
    "object_type",
    ["contacts", "companies", "deals", "calls", "emails", "meetings", "notes", "tasks"],
)
def test_every_operation_on_every_type(client: TestClient, object_type: str) -> None:
    ids = create_many(client, object_type, 3)
    assert len(set(ids)) == 3
    name = next(iter(sample(object_type, 0)))
    got = ok(
        post(
            client,
            object_type,
            "read",
            {"inputs": [{"id": i} for i in ids], "properties": [name]},
        ),
        200,
    )
    assert {r["id"] for r in got["results"]} == set(ids)
    assert all(set(r["properties"]) == {name} for r in got["results"])
    field, value = {
        "contacts": ("lastname", "Batch"),
        "companies": ("city", "Berlin"),
        "deals": ("dealname", "Renamed"),
    }.get(object_type, ("hs_timestamp", "2024-06-01T00:00:00.000Z"))
    updated = ok(
        post(
            client,
            object_type,
            "update",
            {"inputs": [{"id": i, "properties": {field: value}} for i in ids]},
        ),
        200,
    )
    assert [r["properties"][field] for r in updated["results"]] == [value] * 3
    resp = post(client, object_type, "archive", {"inputs": [{"id": ids[0]}, {"id": "999999"}]})
    assert resp.status_code == 204 and resp.content == b""
    assert listed_ids(client, object_type) == set(ids[1:])


def test_create_207_reports_each_bad_item_and_writes_the_good_ones(client: TestClient) -> None:
    body = partial(
        post(
            client,
            "contacts",
            "create",
            {
                "inputs": [
                    {"properties": {"email": "ok1@example.com"}},
                    {"properties": {"email": "not-an-email", "nosuch": "x"}},
                    {"properties": {"email": "OK1@example.com"}},  # same as input 0
                    {"properties": {"email": "ok2@example.com", "firstname": "Two"}},
                    {"properties": "nope"},
                    "garbage",
                ]
            },
        )
    )
    assert [r["properties"]["email"] for r in body["results"]] == [
        "ok1@example.com",
        "ok2@example.com",
    ]
    by_index = {e["context"]["inputIndex"][0]: e for e in body["errors"]}
    assert set(by_index) == {"1", "2", "4", "5"}
    bad = by_index["1"]
    assert bad["category"] == "VALIDATION_ERROR"
    assert {d["context"]["propertyName"][0]: d["code"] for d in bad["errors"]} == {
        "nosuch": "PROPERTY_DOESNT_EXIST",
        "email": "INVALID_EMAIL",
    }
    dup = by_index["2"]
    assert dup["category"] == "CONFLICT"
    assert dup["context"]["email"] == ["ok1@example.com"]
    assert dup["context"]["inputIndex"] == ["2"]
    assert by_index["4"]["category"] == "VALIDATION_ERROR"
    assert by_index["5"]["category"] == "VALIDATION_ERROR"
    # Exactly the two valid contacts exist, nothing of the failed ones.
    assert len(listed_ids(client, "contacts")) == 2
    again = partial(
        post(
            client, "contacts", "create", {"inputs": [{"properties": {"email": "ok2@example.com"}}]}
        )
    )
    assert again["results"] == []
    assert again["errors"][0]["category"] == "CONFLICT"
    assert again["errors"][0]["context"]["existingId"] == [body["results"][1]["id"]]


def test_create_with_associations_checks_targets(client: TestClient) -> None:
    (contact,) = create_many(client, "contacts", 1)
    link = {"types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}
    body = partial(
        post(
            client,
            "notes",
            "create",
            {
                "inputs": [
                    {
                        "properties": sample("notes", 1),
                        "associations": [{"to": {"id": contact}, **link}],
                    },
                    {
                        "properties": sample("notes", 2),
                        "associations": [{"to": {"id": "424242"}, **link}],
                    },
                    {"properties": sample("notes", 3), "associations": "bad"},
                ]
            },
        )
    )
    assert len(body["results"]) == 1
    assert sorted(e["context"]["inputIndex"][0] for e in body["errors"]) == ["1", "2"]
    note = body["results"][0]["id"]
    read = client.get(f"/crm/v3/objects/notes/{note}", params={"associations": "contacts"})
    assert read.json()["associations"]["contacts"]["results"][0]["id"] == contact
    assert len(listed_ids(client, "notes")) == 1


def test_create_with_primary_company_links_both_ways(client: TestClient) -> None:
    acme, globex = create_many(client, "companies", 2)

    def types(type_id: int) -> list[dict[str, Any]]:
        return [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]

    body = post(
        client,
        "contacts",
        "create",
        {
            "inputs": [
                # Two primaries given for one contact: the last one wins, the first stays linked.
                {
                    "properties": {"email": "two@example.com"},
                    "associations": [
                        {"to": {"id": acme}, "types": types(1)},
                        {"to": {"id": globex}, "types": types(1)},
                    ],
                },
                {
                    "properties": {"email": "one@example.com"},
                    "associations": [{"to": {"id": acme}, "types": types(1)}],
                },
            ]
        },
    )
    assert body.status_code == 201, body.text
    two, one = (r["id"] for r in body.json()["results"])

    def links(path: str) -> dict[str, set[int]]:
        got: dict[str, set[int]] = {}
        for r in client.get(path).json()["results"]:
            got[str(r["toObjectId"])] = {t["typeId"] for t in r["associationTypes"]}
        return got

    assert links(f"/crm/v4/objects/contacts/{two}/associations/companies") == {
        acme: {279},
        globex: {1, 279},
    }
    assert links(f"/crm/v4/objects/contacts/{one}/associations/companies") == {acme: {1, 279}}
    # The company side sees both contacts, with the inverse types.
    assert links(f"/crm/v4/objects/companies/{acme}/associations/contacts") == {
        two: {280},
        one: {2, 280},
    }


def test_read_207_missing_ids_and_id_property(client: TestClient) -> None:
    ids = create_many(client, "contacts", 2)
    body = partial(
        post(
            client,
            "contacts",
            "read",
            {"inputs": [{"id": ids[0]}, {"id": "888888"}, {"id": "abc"}, {"id": ids[0]}]},
        )
    )
    assert [r["id"] for r in body["results"]] == [ids[0]]
    assert [(e["category"], e["context"]["ids"]) for e in body["errors"]] == [
        ("OBJECT_NOT_FOUND", ["888888"]),
        ("OBJECT_NOT_FOUND", ["abc"]),
    ]
    by_email = ok(
        post(
            client,
            "contacts",
            "read",
            {
                "idProperty": "email",
                "inputs": [{"id": "P1@Example.com"}, {"id": "p0@example.com"}],
                "properties": ["email"],
                "propertiesWithHistory": ["firstname"],
            },
        ),
        200,
    )
    assert sorted(r["id"] for r in by_email["results"]) == sorted(ids)
    first = by_email["results"][0]
    assert first["propertiesWithHistory"]["firstname"][0]["sourceType"] == "API"
    bad = partial(
        post(client, "contacts", "read", {"idProperty": "firstname", "inputs": [{"id": "x"}]})
    )
    assert bad["errors"][0]["category"] == "VALIDATION_ERROR"


def test_update_207_and_nothing_written_for_failed_items(client: TestClient) -> None:
    ids = create_many(client, "contacts", 4)
    body = partial(
        post(
            client,
            "contacts",
            "update",
            {
                "inputs": [
                    {"id": ids[0], "properties": {"lastname": "A"}},
                    {"id": ids[1], "properties": {"lastname": "B", "email": "p0@example.com"}},
                    {"id": "777777", "properties": {"lastname": "C"}},
                    {"id": ids[0], "properties": {"lastname": "again"}},
                    {
                        "id": "p2@example.com",
                        "idProperty": "email",
                        "properties": {"lastname": "D"},
                    },
                    {"id": ids[3], "properties": {"hs_object_id": "5"}},
                ]
            },
        )
    )
    assert [(r["id"], r["properties"]["lastname"]) for r in body["results"]] == [
        (ids[0], "A"),
        (ids[2], "D"),
    ]
    cats = {e["context"]["inputIndex"][0]: e["category"] for e in body["errors"]}
    assert cats == {
        "1": "CONFLICT",
        "2": "OBJECT_NOT_FOUND",
        "3": "CONFLICT",
        "5": "VALIDATION_ERROR",
    }
    assert body["errors"][1]["context"]["ids"] == ["777777"]
    unchanged = client.get(f"/crm/v3/objects/contacts/{ids[1]}").json()["properties"]
    assert unchanged["lastname"] is None and unchanged["email"] == "p1@example.com"
    history = client.get(
        f"/crm/v3/objects/contacts/{ids[0]}", params={"propertiesWithHistory": "lastname"}
    ).json()["propertiesWithHistory"]["lastname"]
    assert [h["value"] for h in history] == ["A"]


def test_upsert_creates_then_updates(client: TestClient) -> None:
    body = {
        "inputs": [
            {"id": "u1@example.com", "idProperty": "email", "properties": {"firstname": "U1"}},
            {"id": "u2@example.com", "idProperty": "email", "properties": {"firstname": "U2"}},
        ]
    }
    first = ok(post(client, "contacts", "upsert", body), 200)
    assert [r["new"] for r in first["results"]] == [True, True]
    assert [r["properties"]["email"] for r in first["results"]] == [
        "u1@example.com",
        "u2@example.com",
    ]
    second = ok(post(client, "contacts", "upsert", body), 200)
    assert [r["new"] for r in second["results"]] == [False, False]
    assert [r["id"] for r in second["results"]] == [r["id"] for r in first["results"]]
    assert len(listed_ids(client, "contacts")) == 2
    mixed = partial(
        post(
            client,
            "contacts",
            "upsert",
            {
                "inputs": [
                    {
                        "id": "U1@example.com",
                        "idProperty": "email",
                        "properties": {"lastname": "L"},
                    },
                    {"id": "u3@example.com", "idProperty": "email", "properties": {}},
                    {"id": "u3@example.com", "idProperty": "email", "properties": {}},
                    {"id": "x", "idProperty": "firstname", "properties": {}},
                ]
            },
        )
    )
    assert [(r["properties"]["email"], r["new"]) for r in mixed["results"]] == [
        ("u1@example.com", False),
        ("u3@example.com", True),
    ]
    cats = {e["context"]["inputIndex"][0]: e["category"] for e in mixed["errors"]}
    assert cats == {"2": "CONFLICT", "3": "VALIDATION_ERROR"}


def test_upsert_by_domain_and_custom_unique_property(client: TestClient) -> None:
    made = client.post(
        "/crm/v3/properties/deals",
        json={
            "name": "external_ref",
            "label": "External ref",
            "type": "string",
            "fieldType": "text",
            "groupName": "dealinformation",
            "hasUniqueValue": True,
        },
    )
    assert made.status_code == 201, made.text
    by_domain = {
        "inputs": [{"id": "acme.com", "idProperty": "domain", "properties": {"name": "A"}}]
    }
    assert ok(post(client, "companies", "upsert", by_domain), 200)["results"][0]["new"] is True
    by_domain["inputs"][0]["properties"] = {"name": "Acme"}
    again = ok(post(client, "companies", "upsert", by_domain), 200)["results"][0]
    assert again["new"] is False and again["properties"]["name"] == "Acme"
    ref = {"inputs": [{"id": "R-1", "idProperty": "external_ref", "properties": {"dealname": "R"}}]}
    created = ok(post(client, "deals", "upsert", ref), 200)["results"][0]
    assert created["new"] is True and created["properties"]["external_ref"] == "R-1"
    ref["inputs"][0]["properties"] = {"amount": "5"}
    updated = ok(post(client, "deals", "upsert", ref), 200)["results"][0]
    assert (updated["new"], updated["id"], updated["properties"]["amount"]) == (
        False,
        created["id"],
        "5",
    )
    dup = partial(
        post(
            client,
            "deals",
            "create",
            {
                "inputs": [
                    {"properties": {"dealname": "X", "external_ref": "R-2"}},
                    {"properties": {"dealname": "Y", "external_ref": "R-2"}},
                    {"properties": {"dealname": "Z", "external_ref": "R-1"}},
                ]
            },
        )
    )
    assert [r["properties"]["dealname"] for r in dup["results"]] == ["X"]
    assert [e["category"] for e in dup["errors"]] == ["CONFLICT", "CONFLICT"]
    read = ok(
        post(client, "deals", "read", {"idProperty": "external_ref", "inputs": [{"id": "R-2"}]}),
        200,
    )
    assert read["results"][0]["id"] == dup["results"][0]["id"]


def test_batch_writes_record_history(client: TestClient) -> None:
    (cid,) = create_many(client, "contacts", 1)
    ok(
        post(
            client,
            "contacts",
            "update",
            {"inputs": [{"id": cid, "properties": {"firstname": "New"}}]},
        ),
        200,
    )
    ok(
        post(
            client,
            "contacts",
            "upsert",
            {
                "inputs": [
                    {
                        "id": "p0@example.com",
                        "idProperty": "email",
                        "properties": {"firstname": "Up"},
                    }
                ]
            },
        ),
        200,
    )
    history = client.get(
        f"/crm/v3/objects/contacts/{cid}", params={"propertiesWithHistory": "firstname,email"}
    ).json()["propertiesWithHistory"]
    assert [h["value"] for h in history["firstname"]] == ["Up", "New", "P0"]
    assert [h["value"] for h in history["email"]] == ["p0@example.com"]
    assert all(h["sourceId"] == "token:tests" for h in history["firstname"])


@pytest.mark.parametrize("op", ["read", "create", "update", "upsert", "archive"])
def test_limits_and_garbage_are_4xx(client: TestClient, op: str) -> None:
    too_many = post(client, "contacts", op, {"inputs": [{"id": "1", "properties": {}}] * 101})
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["context"] == {"inputs": ["101"]}
    assert post(client, "contacts", op, {"inputs": []}).status_code == 400
    for garbage in (None, [], {}, {"inputs": "x"}, {"inputs": {}}, "text", 5):
        resp = post(client, "contacts", op, garbage)
        assert 400 <= resp.status_code < 500, (garbage, resp.text)
    odd_items = [
        None,
        7,
        [],
        {"id": None},
        {"id": ["1"]},
        {"id": "\x00"},
        {"id": "\ud800"},
        {"id": "9" * 40},
        {"id": True, "properties": None},
        {"id": "1", "properties": {"email": "\x00"}, "idProperty": 3},
        {"properties": {"email": 5}, "associations": [{"to": {}}]},
    ]
    for item in odd_items:
        resp = post(client, "contacts", op, {"inputs": [item], "idProperty": "email"})
        assert resp.status_code < 500, (item, resp.text)
    resp = post(client, "nosuchtype", op, {"inputs": [{"id": "1"}]})
    assert resp.status_code == 404
