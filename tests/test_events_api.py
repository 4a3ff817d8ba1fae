"""Event ingestion through the API: validation per rule, 207 per-item reporting with valid
items kept, idempotency, unknown emails, anonymous stitching, definitions and listing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from starlette.testclient import TestClient

from revline.events import service
from revline.kit.db import Database

EVENTS = "/revline/v1/events"
BATCH = EVENTS + "/batch"
DEFS = "/revline/v1/event-definitions"
SETTINGS = "/revline/v1/settings/events"
NOW = datetime.now(UTC).replace(microsecond=0)


def contact(client: TestClient, email: str = "ada@example.com") -> str:
    resp = client.post("/crm/v3/objects/contacts", json={"properties": {"email": email}})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def send(client: TestClient, **event: Any) -> httpx.Response:
    resp: httpx.Response = client.post(EVENTS, json=event)
    return resp


def page_view(path: str = "/pricing", **extra: Any) -> dict[str, Any]:
    return {"type": "page_view", "properties": {"path": path}, **extra}


def counts(database: Database, contact_id: str) -> list[tuple[str, str, date, int]]:
    with database.unit_of_work() as session:
        return [
            (c.event_type, c.detail, c.day, c.count)
            for c in service.daily_counts(session, int(contact_id))
        ]


def error_codes(resp: httpx.Response) -> list[str]:
    return [e.get("code") for e in resp.json()["errors"]]


def test_one_event_is_stored_and_answered(client: TestClient) -> None:
    cid = contact(client)
    resp = send(
        client,
        **page_view("/pricing", contact={"id": cid}, occurredAt="2026-01-02T10:00:00Z"),
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["type"] == "page_view"
    assert body["contactId"] == cid
    assert body["occurredAt"] == "2026-01-02T10:00:00.000Z"
    assert body["properties"] == {"path": "/pricing"}
    assert body["idempotencyKey"] is None
    assert "duplicate" not in body


def test_epoch_milliseconds_and_snake_case_aliases_are_accepted(client: TestClient) -> None:
    cid = contact(client)
    resp = client.post(
        EVENTS,
        json={
            "type": "signed_up",
            "occurred_at": 1767348000000,
            "contact": {"id": int(cid)},
            "properties": {"plan": "pro"},
            "idempotency_key": "k-1",
        },
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["occurredAt"] == "2026-01-02T10:00:00.000Z"
    assert resp.json()["idempotencyKey"] == "k-1"


def test_occurred_at_defaults_to_now(client: TestClient) -> None:
    cid = contact(client)
    before = datetime.now(UTC) - timedelta(seconds=1)
    resp = send(client, **page_view(contact={"id": cid}))
    assert resp.status_code == 201, resp.text
    at = datetime.fromisoformat(resp.json()["occurredAt"].replace("Z", "+00:00"))
    assert before <= at <= datetime.now(UTC) + timedelta(seconds=1)


def _single_problem(
    client: TestClient, event: dict[str, Any], status: int = 400
) -> tuple[str, str]:
    resp = client.post(EVENTS, json=event)
    assert resp.status_code == status, resp.text
    detail = resp.json()["errors"][0]
    return detail["code"], detail["context"]["field"][0]


def test_each_validation_rule_answers_a_4xx_naming_the_field(client: TestClient) -> None:
    cid = contact(client)
    who = {"id": cid}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"type": "no_such_type", "contact": who}, "UNKNOWN_EVENT_TYPE", "type"),
        ({"contact": who}, "INVALID_EVENT_TYPE", "type"),
        (
            {"type": "segment_entered", "contact": who, "properties": {"segment_id": "1"}},
            "SYSTEM_EVENT_TYPE",
            "type",
        ),
        ({"type": "form_submitted", "contact": who}, "MISSING_PROPERTY", "properties.form_id"),
        (
            {"type": "form_submitted", "contact": who, "properties": {"form_id": 7}},
            "INVALID_TYPE",
            "properties.form_id",
        ),
        (
            {"type": "subscription_activated", "contact": who, "properties": {"mrr": "lots"}},
            "INVALID_TYPE",
            "properties.mrr",
        ),
        ({**page_view(), "contact": who, "occurredAt": future}, "OCCURRED_IN_FUTURE", "occurredAt"),
        (
            {**page_view(), "contact": who, "occurredAt": "yesterday"},
            "INVALID_DATETIME",
            "occurredAt",
        ),
        ({**page_view(), "contact": who, "occurredAt": True}, "INVALID_DATETIME", "occurredAt"),
        ({**page_view()}, "INVALID_CONTACT", "contact"),
        ({**page_view(), "contact": {}}, "INVALID_CONTACT", "contact"),
        ({**page_view(), "contact": {"id": cid, "email": "a@b.co"}}, "INVALID_CONTACT", "contact"),
        ({**page_view(), "contact": {"id": "abc"}}, "INVALID_ID", "contact.id"),
        ({**page_view(), "contact": {"email": "not-an-email"}}, "INVALID_EMAIL", "contact.email"),
        ({**page_view(), "contact": {"anonymousId": "x" * 256}}, "TOO_LONG", "contact.anonymousId"),
        ({**page_view(), "contact": {"anonymousId": 12}}, "INVALID_STRING", "contact.anonymousId"),
        (
            {**page_view(), "contact": who, "idempotencyKey": "k" * 256},
            "TOO_LONG",
            "idempotencyKey",
        ),
        (
            {"type": "page_view", "contact": who, "properties": []},
            "INVALID_PROPERTIES",
            "properties",
        ),
        (
            {"type": "page_view", "contact": who, "properties": {"path": "x" * 10_001}},
            "INVALID_PROPERTY_VALUE",
            "properties.path",
        ),
        (
            {"type": "page_view", "contact": who, "properties": {"note": "a\u0000b"}},
            "INVALID_PROPERTY_VALUE",
            "properties.note",
        ),
        (
            {"type": "page_view", "contact": who, "properties": {f"p{i}": i for i in range(101)}},
            "TOO_MANY_PROPERTIES",
            "properties",
        ),
        (
            {"type": "page_view", "contact": who, "properties": {"x" * 101: 1}},
            "INVALID_PROPERTY_NAME",
            "properties",
        ),
        (
            {
                "type": "page_view",
                "contact": who,
                "properties": {f"p{i}": "y" * 9_000 for i in range(4)},
            },
            "PROPERTIES_TOO_LARGE",
            "properties",
        ),
    ]
    for event, code, field in cases:
        assert _single_problem(client, event) == (code, field), event
    assert _single_problem(client, {**page_view(), "contact": {"id": "999999"}}, 404) == (
        "CONTACT_NOT_FOUND",
        "contact.id",
    )
    assert client.post(EVENTS, json=[1, 2]).status_code == 400


def test_archived_contact_is_unknown_and_merged_id_answers_the_survivor(
    client: TestClient,
) -> None:
    gone = contact(client, "gone@example.com")
    assert client.delete(f"/crm/v3/objects/contacts/{gone}").status_code == 204
    resp = send(client, **page_view(contact={"id": gone}))
    assert resp.status_code == 404, resp.text
    primary, merged = contact(client, "p@example.com"), contact(client, "m@example.com")
    resp = client.post(
        "/crm/v3/objects/contacts/merge",
        json={"primaryObjectId": primary, "objectIdToMerge": merged},
    )
    assert resp.status_code == 200, resp.text
    resp = send(client, **page_view(contact={"id": merged}))
    assert resp.status_code == 201, resp.text
    assert resp.json()["contactId"] == primary


def test_batch_keeps_valid_items_and_reports_each_failure_by_index(
    client: TestClient, database: Database
) -> None:
    cid = contact(client)
    resp = client.post(
        BATCH,
        json={
            "inputs": [
                page_view("/a", contact={"id": cid}, occurredAt="2026-01-02T10:00:00Z"),
                {"type": "nope", "contact": {"id": cid}},
                page_view(
                    "/a", contact={"email": "ADA@example.com"}, occurredAt="2026-01-02T11:00:00Z"
                ),
                page_view("/b", contact={"id": "424242"}),
                "not an object",
            ]
        },
    )
    assert resp.status_code == 207, resp.text
    body = resp.json()
    assert [r["properties"]["path"] for r in body["results"]] == ["/a", "/a"]
    assert all(r["contactId"] == cid for r in body["results"])
    assert body["numErrors"] == 3
    assert body["numStored"] == 2
    by_index = {e["context"]["inputIndex"][0]: e for e in body["errors"]}
    assert set(by_index) == {"1", "3", "4"}
    assert by_index["1"]["errors"][0]["code"] == "UNKNOWN_EVENT_TYPE"
    assert by_index["1"]["errors"][0]["context"]["field"] == ["type"]
    assert by_index["3"]["category"] == "OBJECT_NOT_FOUND"
    assert by_index["3"]["errors"][0]["code"] == "CONTACT_NOT_FOUND"
    assert counts(database, cid) == [("page_view", "/a", date(2026, 1, 2), 2)]


def test_batch_of_valid_events_answers_200_and_limits_are_enforced(client: TestClient) -> None:
    cid = contact(client)
    resp = client.post(BATCH, json={"inputs": [page_view(contact={"id": cid})] * 3})
    assert resp.status_code == 200, resp.text
    assert len(resp.json()["results"]) == 3
    assert "errors" not in resp.json()
    bodies: list[Any] = [
        {"inputs": []},
        {"inputs": [page_view(contact={"id": cid})] * 1001},
        {},
        [],
    ]
    for bad in bodies:
        resp = client.post(BATCH, json=bad)
        assert resp.status_code == 400, resp.text
        assert resp.json()["errors"][0]["context"]["field"] == ["inputs"]


def test_repeated_idempotency_key_answers_the_original_and_stores_nothing(
    client: TestClient, database: Database
) -> None:
    cid = contact(client)
    first = send(client, **page_view("/one", contact={"id": cid}, idempotencyKey="abc"))
    assert first.status_code == 201, first.text
    again = send(client, **page_view("/two", contact={"id": cid}, idempotencyKey="abc"))
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["properties"] == {"path": "/one"}
    listed = client.get(EVENTS, params={"contactId": cid}).json()["results"]
    assert len(listed) == 1
    assert sum(c[3] for c in counts(database, cid)) == 1


def test_batch_reports_duplicates_also_within_one_batch(
    client: TestClient, database: Database
) -> None:
    cid = contact(client)
    assert (
        send(client, **page_view("/x", contact={"id": cid}, idempotencyKey="old")).status_code
        == 201
    )
    resp = client.post(
        BATCH,
        json={
            "inputs": [
                page_view("/y", contact={"id": cid}, idempotencyKey="old"),
                page_view("/z", contact={"id": cid}, idempotencyKey="new"),
                page_view("/z2", contact={"id": cid}, idempotencyKey="new"),
            ]
        },
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["numStored"] == 1
    assert body["numDuplicates"] == 2
    results = body["results"]
    assert results[0]["duplicate"] is True and results[0]["properties"] == {"path": "/x"}
    assert "duplicate" not in results[1]
    assert results[2]["duplicate"] is True and results[2]["id"] == results[1]["id"]
    assert sum(c[3] for c in counts(database, cid)) == 2


def test_unknown_email_creates_the_contact_or_is_refused_when_switched_off(
    client: TestClient,
) -> None:
    assert client.get(SETTINGS).json() == {
        "createContactsForUnknownEmail": True,
        "retentionDays": None,
    }
    resp = send(client, **page_view(contact={"email": " New.Person@Example.com "}))
    assert resp.status_code == 201, resp.text
    created = client.get(f"/crm/v3/objects/contacts/{resp.json()['contactId']}").json()
    assert created["properties"]["email"] == "new.person@example.com"
    again = send(client, **page_view(contact={"email": "NEW.PERSON@example.com"}))
    assert again.json()["contactId"] == resp.json()["contactId"]

    put = client.put(SETTINGS, json={"createContactsForUnknownEmail": False})
    assert put.status_code == 200, put.text
    assert put.json()["createContactsForUnknownEmail"] is False
    resp = client.post(
        BATCH, json={"inputs": [page_view(contact={"email": "stranger@example.com"})]}
    )
    assert resp.status_code == 207, resp.text
    assert resp.json()["errors"][0]["errors"][0]["code"] == "CONTACT_NOT_FOUND"
    search = client.post(
        "/crm/v3/objects/contacts/search",
        json={
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": "email", "operator": "EQ", "value": "stranger@example.com"}
                    ]
                }
            ]
        },
    )
    assert search.json()["total"] == 0


def test_settings_are_validated(client: TestClient) -> None:
    for body, field in (
        ({"retentionDays": 0}, "retentionDays"),
        ({"retentionDays": "30"}, "retentionDays"),
        ({"createContactsForUnknownEmail": "yes"}, "createContactsForUnknownEmail"),
    ):
        resp = client.put(SETTINGS, json=body)
        assert resp.status_code == 400, resp.text
        assert resp.json()["errors"][0]["context"]["field"] == [field]
    resp = client.put(SETTINGS, json={"retentionDays": 30})
    assert resp.json() == {"createContactsForUnknownEmail": True, "retentionDays": 30}
    assert client.put(SETTINGS, json={"retentionDays": None}).json()["retentionDays"] is None


def test_anonymous_events_are_stitched_when_the_visitor_is_identified(
    client: TestClient, database: Database
) -> None:
    anon = {"anonymousId": "visitor-1"}
    for path in ("/home", "/pricing"):
        resp = send(client, **page_view(path, contact=anon, occurredAt="2026-01-02T09:00:00Z"))
        assert resp.status_code == 201, resp.text
        assert resp.json()["contactId"] is None
        assert resp.json()["anonymousId"] == "visitor-1"
    cid = contact(client)
    resp = send(
        client,
        type="signed_up",
        contact={"email": "ada@example.com", "anonymousId": "visitor-1"},
        properties={"plan": "pro"},
        occurredAt="2026-01-03T09:00:00Z",
    )
    assert resp.status_code == 201, resp.text
    listed = client.get(EVENTS, params={"contactId": cid}).json()["results"]
    assert [e["type"] for e in listed] == ["signed_up", "page_view", "page_view"]
    later = send(client, **page_view("/docs", contact=anon, occurredAt="2026-01-04T09:00:00Z"))
    assert later.json()["contactId"] == cid
    assert counts(database, cid) == [
        ("page_view", "/docs", date(2026, 1, 4), 1),
        ("page_view", "/home", date(2026, 1, 2), 1),
        ("page_view", "/pricing", date(2026, 1, 2), 1),
        ("signed_up", "pro", date(2026, 1, 3), 1),
    ]
    other = contact(client, "bob@example.com")
    clash = send(client, **page_view(contact={"id": other, "anonymousId": "visitor-1"}))
    assert clash.status_code == 409, clash.text
    assert clash.json()["errors"][0]["code"] == "ANONYMOUS_ID_CONFLICT"


def test_identify_endpoint_moves_earlier_events_and_refuses_a_second_owner(
    client: TestClient, database: Database
) -> None:
    send(
        client, **page_view("/a", contact={"anonymousId": "v2"}, occurredAt="2026-02-01T00:00:00Z")
    )
    cid = contact(client)
    resp = client.post(EVENTS + "/identify", json={"anonymousId": "v2", "contact": {"id": cid}})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "anonymousId": "v2",
        "contactId": cid,
        "eventsAttributed": 1,
        "new": True,
    }
    again = client.post(EVENTS + "/identify", json={"anonymousId": "v2", "contact": {"id": cid}})
    assert again.json()["eventsAttributed"] == 0 and again.json()["new"] is False
    assert counts(database, cid) == [("page_view", "/a", date(2026, 2, 1), 1)]
    other = contact(client, "bob@example.com")
    clash = client.post(
        EVENTS + "/identify", json={"anonymousId": "v2", "contact": {"email": "bob@example.com"}}
    )
    assert clash.status_code == 409, clash.text
    assert other
    bad = client.post(EVENTS + "/identify", json={"contact": {"id": cid}})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["context"]["field"] == ["anonymousId"]


def test_batch_with_two_owners_for_one_anonymous_id_keeps_the_first(client: TestClient) -> None:
    a, b = contact(client, "a@example.com"), contact(client, "b@example.com")
    resp = client.post(
        BATCH,
        json={
            "inputs": [
                page_view(contact={"anonymousId": "v3"}),
                page_view(contact={"id": a, "anonymousId": "v3"}),
                page_view(contact={"id": b, "anonymousId": "v3"}),
            ]
        },
    )
    assert resp.status_code == 207, resp.text
    assert [r["contactId"] for r in resp.json()["results"]] == [a, a]
    assert resp.json()["errors"][0]["context"]["inputIndex"] == ["2"]
    assert resp.json()["errors"][0]["category"] == "CONFLICT"


def test_custom_definitions_crud_and_events_validated_against_them(client: TestClient) -> None:
    listed = client.get(DEFS).json()["results"]
    builtins = {d["name"] for d in listed if d["builtin"]}
    assert {"page_view", "form_submitted", "product_action"} <= builtins
    schema = {
        "plan": {"type": "enumeration", "required": True, "options": ["free", "pro"]},
        "seats": {"type": "number"},
        "trial": {"type": "bool"},
        "renews": {"type": "datetime"},
        "meta": {"type": "object"},
    }
    resp = client.post(
        DEFS,
        json={
            "name": "plan_changed",
            "label": "Plan changed",
            "keyProperty": "plan",
            "properties": schema,
        },
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["builtin"] is False
    assert resp.json()["properties"]["seats"] == {"type": "number", "required": False}
    assert client.post(DEFS, json={"name": "plan_changed", "label": "x"}).status_code == 409
    for bad, field in (
        ({"name": "Bad-Name", "label": "x"}, "name"),
        ({"name": "page_view", "label": "x"}, "name"),
        ({"name": "ok_name"}, "label"),
        (
            {"name": "ok_name", "label": "x", "properties": {"a": {"type": "colour"}}},
            "properties.a.type",
        ),
        (
            {"name": "ok_name", "label": "x", "properties": {"a": {"type": "enumeration"}}},
            "properties.a.options",
        ),
        ({"name": "ok_name", "label": "x", "keyProperty": "zzz"}, "keyProperty"),
    ):
        r = client.post(DEFS, json=bad)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["errors"][0]["context"]["field"] == [field], bad
    cid = contact(client)
    ok = send(
        client,
        type="plan_changed",
        contact={"id": cid},
        properties={
            "plan": "pro",
            "seats": 3,
            "trial": False,
            "renews": "2026-05-01T00:00:00Z",
            "meta": {"a": 1},
            "extra": "kept",
        },
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["properties"]["extra"] == "kept"
    for props, code, field in (
        ({"plan": "gold"}, "INVALID_OPTION", "properties.plan"),
        ({}, "MISSING_PROPERTY", "properties.plan"),
        ({"plan": "pro", "seats": "3"}, "INVALID_TYPE", "properties.seats"),
        ({"plan": "pro", "trial": "no"}, "INVALID_TYPE", "properties.trial"),
        ({"plan": "pro", "renews": "soon"}, "INVALID_TYPE", "properties.renews"),
        ({"plan": "pro", "meta": [1]}, "INVALID_TYPE", "properties.meta"),
    ):
        event = {"type": "plan_changed", "contact": {"id": cid}, "properties": props}
        assert _single_problem(client, event) == (code, field), props

    patched = client.patch(
        DEFS + "/plan_changed",
        json={"label": "Plan switched", "properties": {"plan": {"type": "string"}}},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["label"] == "Plan switched"
    assert (
        send(
            client, type="plan_changed", contact={"id": cid}, properties={"plan": "gold"}
        ).status_code
        == 201
    )
    assert client.get(DEFS + "/plan_changed").json()["keyProperty"] == "plan"
    assert client.get(DEFS + "/page_view").json()["builtin"] is True
    assert client.patch(DEFS + "/page_view", json={"label": "x"}).status_code == 400
    assert client.delete(DEFS + "/page_view").status_code == 400
    assert client.get(DEFS + "/nothing").status_code == 404

    assert client.delete(DEFS + "/plan_changed").status_code == 204
    assert client.get(DEFS + "/plan_changed").json()["archived"] is True
    assert "plan_changed" not in {d["name"] for d in client.get(DEFS).json()["results"]}
    assert [d["name"] for d in client.get(DEFS, params={"archived": "true"}).json()["results"]] == [
        "plan_changed"
    ]
    gone = send(client, type="plan_changed", contact={"id": cid}, properties={"plan": "pro"})
    assert gone.status_code == 400 and gone.json()["errors"][0]["code"] == "UNKNOWN_EVENT_TYPE"
    assert client.patch(DEFS + "/plan_changed", json={"label": "x"}).status_code == 404


def test_events_list_filters_and_pages_newest_first(client: TestClient) -> None:
    a, b = contact(client, "a@example.com"), contact(client, "b@example.com")
    inputs = [
        page_view(f"/{i}", contact={"id": a}, occurredAt=f"2026-03-0{i + 1}T12:00:00Z")
        for i in range(5)
    ]
    inputs.append({"type": "signed_up", "contact": {"id": b}, "occurredAt": "2026-03-03T00:00:00Z"})
    assert client.post(BATCH, json={"inputs": inputs}).status_code == 200
    assert paths_page_by_page(client, {"contactId": a, "limit": 2}) == [
        "/4",
        "/3",
        "/2",
        "/1",
        "/0",
    ]
    body = client.get(EVENTS, params={"type": "signed_up"}).json()
    assert [e["contactId"] for e in body["results"]] == [b]
    ranged = client.get(
        EVENTS,
        params={"from": "2026-03-02T00:00:00Z", "to": "2026-03-04T00:00:00Z", "contactId": a},
    ).json()["results"]
    assert [e["properties"]["path"] for e in ranged] == ["/2", "/1"]
    assert client.get(EVENTS, params={"limit": 0}).status_code == 400
    assert client.get(EVENTS, params={"after": "zzz"}).status_code == 400
    assert client.get(EVENTS, params={"contactId": "nope"}).status_code == 400
    assert client.get(EVENTS, params={"contactId": "99999"}).status_code == 404
    assert client.get(EVENTS, params={"from": "later"}).status_code == 400
    # Append-only: no way to change or remove an event.
    event_id = body["results"][0]["id"]
    assert client.delete(f"{EVENTS}/{event_id}").status_code in (404, 405)
    assert client.patch(f"{EVENTS}/{event_id}", json={}).status_code in (404, 405)


def paths_page_by_page(client: TestClient, params: dict[str, Any]) -> list[str]:
    """The ``path`` of every listed event, following the paging cursor to the end."""
    seen: list[str] = []
    after = None
    while True:
        body = client.get(EVENTS, params={**params, **({"after": after} if after else {})}).json()
        seen += [e["properties"]["path"] for e in body["results"]]
        after = body.get("paging", {}).get("next", {}).get("after")
        if not after:
            return seen


def test_paging_is_exact_for_microsecond_timestamps(client: TestClient) -> None:
    cid = contact(client)
    stamps = [f"2026-03-01T12:00:00.{n:06d}Z" for n in (999999, 123457, 123456, 1)]
    inputs = [page_view(f"/{i}", contact={"id": cid}, occurredAt=t) for i, t in enumerate(stamps)]
    inputs += [page_view("/same", contact={"id": cid}, occurredAt=stamps[1])]
    assert client.post(BATCH, json={"inputs": inputs}).status_code == 200
    seen = paths_page_by_page(client, {"contactId": cid, "limit": 1})
    assert seen == ["/0", "/same", "/1", "/2", "/3"]


def test_bodies_that_are_not_json_are_a_400_naming_the_body(client: TestClient) -> None:
    for path in ("/revline/v1/events", "/revline/v1/events/batch"):
        resp = client.post(
            path, content=b'{"inputs": [', headers={"Content-Type": "application/json"}
        )
        assert resp.status_code == 400, resp.text
        body = resp.json()
        assert body["category"] == "VALIDATION_ERROR"
        assert body["errors"][0]["context"] == {"field": ["body"]}


def test_lone_surrogates_in_a_body_get_a_clear_answer(client: TestClient) -> None:
    """orjson refuses lone surrogate escapes; the standard parser reads them, and the text
    is then judged like any other value (never a 500)."""
    raw = (
        b'{"inputs": [{"type": "page_view", "contact": {"anonymousId": "a-1"}, '
        b'"properties": {"path": "/\\ud800"}}]}'
    )
    resp = client.post(
        "/revline/v1/events/batch", content=raw, headers={"Content-Type": "application/json"}
    )
    assert resp.status_code in (200, 207), resp.text
    body = resp.json()
    assert len(body["results"]) + body.get("numErrors", 0) == 1
