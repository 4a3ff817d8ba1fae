"""The segments API: condition validation (paths named), each kind of leaf and operator
family, nesting, static lists, preview, members paging, counts, rebuild, archive, a
contact's memberships and history, and the CLI."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from revline.kit.db import Database
from tests.cli_support import run
from tests.segments_support import (
    SEGMENTS,
    api_members,
    company,
    contact,
    members,
    segment,
    set_primary,
    today,
    track,
    work,
)


def fields(resp: Any) -> list[str]:
    assert resp.status_code == 400, resp.text
    return [f for e in resp.json()["errors"] for f in e["context"].get("field", [])]


def eq(name: str, value: Any) -> dict[str, Any]:
    return {"property": name, "operator": "EQ", "value": value}


# --- validation ---------------------------------------------------------------------------


def test_bad_trees_name_the_path_of_each_bad_node(client: TestClient) -> None:
    resp = client.post(
        SEGMENTS,
        json={
            "name": "bad",
            "conditions": {
                "and": [
                    eq("country", "US"),
                    {},
                    {"event": "page_view", "atLeast": 0},
                    {"or": [{"event": "page_view", "atLeast": 1, "atMost": 2}]},
                    {"event": "page_view", "between": {"from": "2026-03-01", "to": "2026-01-01"}},
                    {"event": "page_view", "where": [{"property": "path", "operator": "LIKE"}]},
                    {"inSegment": "abc"},
                ]
            },
        },
    )
    assert fields(resp) == [
        "conditions.and[1]",
        "conditions.and[2].atLeast",
        "conditions.and[3].or[0].atMost",
        "conditions.and[4].between",
        "conditions.and[5].where[0].operator",
        "conditions.and[6].inSegment",
    ]


@pytest.mark.parametrize(
    ("conditions", "field", "code"),
    [
        (eq("no_such_property", "x"), "conditions", "PROPERTY_DOESNT_EXIST"),
        (
            {"or": [eq("country", "US"), {"property": "country", "operator": "GT", "value": ""}]},
            "conditions.or[1]",
            "MISSING_FILTER_VALUE",
        ),
        (
            {"and": [{"property": "lifecyclestage", "operator": "LT", "value": "lead"}]},
            "conditions.and[0]",
            "INVALID_OPERATOR_FOR_TYPE",
        ),
        ({"companyProperty": "nope", "operator": "EQ", "value": 1}, "conditions", None),
        ({"event": "segment_entered"}, "conditions.event", "SYSTEM_EVENT_TYPE"),
        ({"event": "unheard_of"}, "conditions.event", "EVENT_TYPE_NOT_FOUND"),
        ({"inSegment": 999}, "conditions.inSegment", "SEGMENT_NOT_FOUND"),
        ({"not": {"and": []}}, "conditions.not.and", "INVALID_CONDITION"),
        ({"property": "country", "value": "US"}, "conditions", "INVALID_OPERATOR"),
        ({"event": "page_view", "inLastDays": 0}, "conditions.inLastDays", "INVALID_WINDOW"),
        (
            {
                "event": "page_view",
                "inLastDays": 3,
                "between": {"from": "2026-01-01", "to": "2026-01-02"},
            },
            "conditions.between",
            "INVALID_WINDOW",
        ),
        (
            {"event": "page_view", "where": [{"property": "n", "operator": "GT", "value": "x"}]},
            "conditions.where[0].value",
            "INVALID_FILTER_VALUE",
        ),
        ("US", "conditions", "INVALID_CONDITION"),
        (None, "conditions", "MISSING_CONDITIONS"),
    ],
)
def test_each_bad_leaf_is_a_400(
    client: TestClient, conditions: Any, field: str, code: str | None
) -> None:
    resp = client.post(SEGMENTS, json={"name": "bad", "conditions": conditions})
    assert field in fields(resp)
    if code is not None:
        assert code in [e["code"] for e in resp.json()["errors"]], resp.text


def test_depth_and_size_are_bounded(client: TestClient) -> None:
    deep: dict[str, Any] = eq("country", "US")
    for _ in range(6):
        deep = {"and": [deep]}
    resp = client.post(SEGMENTS, json={"name": "deep", "conditions": deep})
    assert "TOO_DEEP" in [e["code"] for e in resp.json()["errors"]]
    wide = {"or": [eq("country", str(i)) for i in range(120)]}
    resp = client.post(SEGMENTS, json={"name": "wide", "conditions": wide})
    assert "TOO_MANY_CONDITIONS" in [e["code"] for e in resp.json()["errors"]]


def test_names_kinds_and_static_rules(client: TestClient) -> None:
    segment(client, eq("country", "US"), name="US")
    resp = client.post(SEGMENTS, json={"name": "US", "conditions": eq("country", "FR")})
    assert resp.status_code == 409
    assert fields(client.post(SEGMENTS, json={"name": " ", "conditions": eq("a", 1)})) == ["name"]
    assert fields(client.post(SEGMENTS, json={"name": "k", "kind": "smart"})) == ["kind"]
    resp = client.post(SEGMENTS, json={"name": "st", "kind": "static", "conditions": {}})
    assert fields(resp) == ["conditions"]
    static = segment(client, None, name="Static", kind="static")
    resp = client.patch(f"{SEGMENTS}/{static}", json={"conditions": eq("country", "US")})
    assert fields(resp) == ["conditions"]
    assert client.get(f"{SEGMENTS}/nope").status_code == 404
    assert client.get(f"{SEGMENTS}/999").status_code == 404


# --- leaves -------------------------------------------------------------------------------


def test_contact_property_operators_follow_search(client: TestClient, database: Database) -> None:
    client.post(
        "/crm/v3/properties/contacts",
        json={
            "name": "score",
            "label": "Score",
            "type": "number",
            "fieldType": "number",
            "groupName": "contactinformation",
        },
    )
    us = contact(client, email="us@x.com", country="us", score="10", jobtitle="Head of Sales")
    fr = contact(client, email="fr@x.com", country="FR", score="50", lifecyclestage="lead")
    bare = contact(client, email="bare@x.com")

    def check(conditions: dict[str, Any], expected: set[int]) -> None:
        resp = client.post(f"{SEGMENTS}/preview", json={"conditions": conditions, "limit": 10})
        assert resp.status_code == 200, resp.text
        assert {int(r["id"]) for r in resp.json()["results"]} == expected, conditions

    check(eq("country", "US"), {us})  # case-insensitive, as search
    check({"property": "country", "operator": "NEQ", "value": "US"}, {fr, bare})
    check({"property": "country", "operator": "IN", "values": ["fr", "de"]}, {fr})
    check({"property": "country", "operator": "NOT_IN", "values": ["fr"]}, {us, bare})
    check({"property": "country", "operator": "HAS_PROPERTY"}, {us, fr})
    check({"property": "country", "operator": "NOT_HAS_PROPERTY"}, {bare})
    check({"property": "jobtitle", "operator": "CONTAINS_TOKEN", "value": "sal*"}, {us})
    check({"property": "jobtitle", "operator": "NOT_CONTAINS_TOKEN", "value": "sales"}, {fr, bare})
    check({"property": "score", "operator": "GT", "value": 10}, {fr})
    check({"property": "score", "operator": "LTE", "value": "10"}, {us})
    check({"property": "score", "operator": "BETWEEN", "value": 5, "highValue": 60}, {us, fr})
    check(eq("lifecyclestage", "lead"), {fr})


def test_company_property_reads_the_primary_company_only(
    client: TestClient, database: Database
) -> None:
    soft = company(client, name="Soft", industry="COMPUTER_SOFTWARE", numberofemployees="500")
    bank = company(client, name="Bank", industry="BANKING", numberofemployees="20")
    a = contact(client, email="a@x.com")
    b = contact(client, email="b@x.com")
    c = contact(client, email="c@x.com")
    set_primary(client, a, soft)
    set_primary(client, b, bank)
    # c is linked to the software company, but not as its primary company.
    resp = client.put(f"/crm/v4/objects/contacts/{c}/associations/default/companies/{soft}")
    assert resp.status_code == 200, resp.text
    s = segment(
        client, {"companyProperty": "industry", "operator": "EQ", "value": "COMPUTER_SOFTWARE"}
    )
    assert members(database, s) == {a}
    big = segment(
        client,
        {"companyProperty": "numberofemployees", "operator": "GTE", "value": 100},
        name="big",
    )
    assert members(database, big) == {a}
    deps = client.get(f"{SEGMENTS}/{s}").json()["dependencies"]
    assert deps["companyProperties"] == ["industry"] and deps["associations"] is True


def test_nesting_and_or_not(client: TestClient, database: Database) -> None:
    a = contact(client, email="a@x.com", country="US", city="Boston")
    b = contact(client, email="b@x.com", country="US", city="Austin")
    c = contact(client, email="c@x.com", country="FR", city="Paris")
    d = contact(client, email="d@x.com", country="DE")
    tree = {
        "or": [
            {"and": [eq("country", "US"), {"not": eq("city", "Austin")}]},
            {"and": [eq("country", "FR"), {"or": [eq("city", "Paris"), eq("city", "Lyon")]}]},
        ]
    }
    s = segment(client, tree)
    assert members(database, s) == {a, c}
    assert b not in members(database, s) and d not in members(database, s)


def test_in_segment_and_cycles(client: TestClient, database: Database) -> None:
    a = contact(client, email="a@x.com", country="US", city="Boston")
    b = contact(client, email="b@x.com", country="US")
    us = segment(client, eq("country", "US"), name="US")
    boston = segment(client, {"and": [{"inSegment": us}, eq("city", "Boston")]}, name="Boston")
    rest = segment(client, {"and": [{"inSegment": us}, {"notInSegment": boston}]}, name="rest")
    assert members(database, boston) == {a}
    assert members(database, rest) == {b}
    resp = client.patch(f"{SEGMENTS}/{us}", json={"conditions": {"inSegment": rest}})
    assert "conditions.inSegment" in fields(resp)
    resp = client.patch(f"{SEGMENTS}/{us}", json={"conditions": {"inSegment": us}})
    assert [e["code"] for e in resp.json()["errors"]] == ["SEGMENT_CYCLE"]
    # A segment others read cannot be archived.
    assert client.delete(f"{SEGMENTS}/{us}").status_code == 409
    # Changing a base segment's conditions re-diffs the segments built on it at once.
    resp = client.patch(f"{SEGMENTS}/{us}", json={"conditions": eq("city", "Boston")})
    assert resp.status_code == 200, resp.text
    assert {c["segmentId"] for c in resp.json()["changes"]} == {str(us), str(boston), str(rest)}
    assert members(database, us) == {a}
    assert members(database, rest) == set()


# --- static lists, preview, members, history ---------------------------------------------


def test_static_lists_add_and_remove(client: TestClient, database: Database) -> None:
    a = contact(client, email="a@x.com")
    b = contact(client, email="b@x.com")
    s = segment(client, None, name="VIP", kind="static")
    resp = client.post(f"{SEGMENTS}/{s}/members/add", json={"ids": [a, str(b), 99999, "x", a]})
    assert resp.status_code == 207, resp.text
    body = resp.json()
    assert body["added"] == [str(a), str(b)]
    assert sorted(e["context"]["id"][0] for e in body["errors"]) == ["99999", "x"]
    resp = client.post(f"{SEGMENTS}/{s}/members/add", json={"ids": [a]})
    assert resp.status_code == 200 and resp.json()["unchanged"] == [str(a)]
    assert members(database, s) == {a, b}
    resp = client.post(f"{SEGMENTS}/{s}/members/remove", json={"ids": [a, 424242]})
    assert resp.status_code == 200 and resp.json()["removed"] == [str(a)]
    assert resp.json()["unchanged"] == ["424242"]
    assert members(database, s) == {b}
    assert fields(client.post(f"{SEGMENTS}/{s}/members/add", json={"ids": []})) == ["ids"]
    dynamic = segment(client, eq("country", "US"), name="dyn")
    resp = client.post(f"{SEGMENTS}/{dynamic}/members/add", json={"ids": [a]})
    assert [e["code"] for e in resp.json()["errors"]] == ["NOT_A_STATIC_SEGMENT"]
    # A dynamic segment built on the list follows it at once.
    on_list = segment(client, {"inSegment": s}, name="on list")
    assert members(database, on_list) == {b}
    client.post(f"{SEGMENTS}/{s}/members/add", json={"ids": [a]})
    assert members(database, on_list) == {a, b}


def test_preview_equals_saved_membership_and_members_page(
    client: TestClient, database: Database
) -> None:
    ids = {contact(client, email=f"p{i}@x.com", country="US" if i % 2 else "FR") for i in range(7)}
    tree = eq("country", "US")
    resp = client.post(
        f"{SEGMENTS}/preview", json={"conditions": tree, "limit": 2, "properties": ["email"]}
    )
    assert resp.status_code == 200, resp.text
    preview = resp.json()
    assert preview["total"] == 3 and len(preview["results"]) == 2
    assert set(preview["results"][0]["properties"]) >= {"email"}
    s = segment(client, tree)
    assert client.get(f"{SEGMENTS}/{s}/count").json()["total"] == 3
    assert api_members(client, s) == members(database, s)
    assert len(members(database, s)) == 3 and members(database, s) <= ids
    page = client.get(f"{SEGMENTS}/{s}/members", params={"limit": 1, "properties": "email"}).json()
    assert page["results"][0]["enteredAt"] and "email" in page["results"][0]["properties"]
    assert client.get(f"{SEGMENTS}/{s}/members", params={"limit": 0}).status_code == 400
    assert client.get(f"{SEGMENTS}/{s}/members", params={"after": "zz"}).status_code == 400
    listed = client.get(SEGMENTS, params={"limit": 1}).json()
    assert listed["results"][0]["size"] == 3


def test_entries_and_exits_are_events_in_contact_history(
    client: TestClient, database: Database
) -> None:
    a = contact(client, email="a@x.com", country="US")
    s = segment(client, eq("country", "US"), name="US")
    client.patch(f"/crm/v3/objects/contacts/{a}", json={"properties": {"country": "FR"}})
    work(database)
    client.patch(f"/crm/v3/objects/contacts/{a}", json={"properties": {"country": "US"}})
    work(database)
    body = client.get(f"/revline/v1/contacts/{a}/segments").json()
    assert [m["segmentId"] for m in body["results"]] == [str(s)]
    assert [h["change"] for h in body["history"]] == ["entered", "exited", "entered"]
    assert {h["segmentName"] for h in body["history"]} == {"US"}
    assert client.get("/revline/v1/contacts/999999/segments").status_code == 404
    # Archiving the segment: the member leaves, and the exit is recorded.
    assert client.delete(f"{SEGMENTS}/{s}").status_code == 204
    body = client.get(f"/revline/v1/contacts/{a}/segments").json()
    assert body["results"] == [] and body["history"][0]["change"] == "exited"
    assert client.get(f"{SEGMENTS}/{s}").status_code == 404
    # The name is free again.
    segment(client, eq("country", "US"), name="US")


def test_rebuild_endpoint_and_cli(client: TestClient, database: Database) -> None:
    a = contact(client, email="a@x.com")
    s = segment(client, {"event": "page_view", "inLastDays": 7}, name="visitors")
    track(database, a, "page_view", [today()], path="/")
    # Without the worker, a rebuild catches up at once.
    resp = client.post(f"{SEGMENTS}/{s}/rebuild")
    assert resp.status_code == 200, resp.text
    assert (resp.json()["entered"], resp.json()["exited"]) == (1, 0)
    result = run("segments", "list", "--database-url", database.url)
    assert result.exit_code == 0, result.output
    assert "visitors" in result.output
    result = run("segments", "rebuild", "--all", "--database-url", database.url)
    assert result.exit_code == 0, result.output
    assert f"segment {s} (visitors): 0 entered, 0 exited" in result.output
    result = run("segments", "rebuild", str(s), "--database-url", database.url)
    assert result.exit_code == 0, result.output
    result = run("segments", "rebuild", "--database-url", database.url)
    assert result.exit_code == 1


GARBAGE: list[Any] = [
    None,
    [],
    "x",
    17,
    {"name": ["a"], "conditions": {"and": "x"}},
    {"name": "g", "conditions": {"event": {"a": 1}, "atLeast": "2"}},
    {"name": "g", "conditions": {"property": "country", "operator": "IN", "values": [{}]}},
    {"name": "g", "conditions": {"inSegment": 10**30}},
    {"name": "g", "conditions": {"event": "page_view", "between": {"from": 5, "to": None}}},
    {"name": "g", "conditions": {"event": "page_view", "where": "path"}},
    {"name": "g", "conditions": {"companyProperty": "createdate", "operator": "GT", "value": "x"}},
    {"conditions": eq("country", "US"), "limit": "many"},
    {"conditions": eq("country", "US"), "limit": 10**6},
    {"ids": [None, True, -1, "1e3", 10**40]},
    {"ids": "1,2"},
]


@pytest.mark.parametrize("body", GARBAGE)
def test_garbage_is_never_a_500(client: TestClient, body: Any) -> None:
    static = segment(client, None, name="static", kind="static")
    for method, path in [
        ("POST", SEGMENTS),
        ("POST", f"{SEGMENTS}/preview"),
        ("PATCH", f"{SEGMENTS}/{static}"),
        ("POST", f"{SEGMENTS}/{static}/members/add"),
        ("POST", f"{SEGMENTS}/{static}/members/remove"),
        ("GET", f"{SEGMENTS}/{static}/members?limit=x&after=-1"),
        ("GET", "/revline/v1/contacts/abc/segments"),
    ]:
        resp = client.request(method, path, json=body)
        assert resp.status_code < 500, (method, path, resp.text)
