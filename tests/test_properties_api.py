"""Behaviour of /crm/v3/properties/{type}: definitions and groups."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from starlette.testclient import TestClient

from revline.crm.object_types import CONTACTS
from revline.crm.properties import service as properties
from revline.kit.db import Database

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ERROR_KEYS = {"status", "message", "correlationId", "category", "errors", "context", "links"}
PROPERTY_KEYS = {
    "name",
    "label",
    "type",
    "fieldType",
    "description",
    "groupName",
    "options",
    "displayOrder",
    "calculated",
    "externalOptions",
    "hasUniqueValue",
    "hidden",
    "hubspotDefined",
    "formField",
    "modificationMetadata",
    "createdAt",
    "updatedAt",
    "archived",
}
BASE = "/crm/v3/properties"
ALL_TYPES = ["contacts", "companies", "deals", "calls", "emails", "meetings", "notes", "tasks"]


def assert_error(resp: httpx.Response, status: int, category: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert set(body) >= ERROR_KEYS, body
    assert body["status"] == "error"
    assert body["category"] == category
    assert body["message"]
    assert body["links"] == {}
    return body


def error_code(resp: httpx.Response, status: int = 400) -> str:
    body = assert_error(resp, status, "VALIDATION_ERROR" if status == 400 else "CONFLICT")
    return str(body["errors"][0]["code"]) if body["errors"] else ""


def new_property(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "favourite_colour",
        "label": "Favourite colour",
        "type": "string",
        "fieldType": "text",
        "groupName": "contactinformation",
        **overrides,
    }


def by_name(client: TestClient, object_type: str, **params: Any) -> dict[str, dict[str, Any]]:
    resp = client.get(f"{BASE}/{object_type}", params=params)
    assert resp.status_code == 200, resp.text
    return {p["name"]: p for p in resp.json()["results"]}


# --- reading ----------------------------------------------------------------------------


def test_builtin_properties_are_listed_in_hubspot_shape(client: TestClient) -> None:
    contacts = by_name(client, "contacts")
    for prop in contacts.values():
        assert set(prop) == PROPERTY_KEYS, prop["name"]
        assert prop["hubspotDefined"] is True
        assert prop["archived"] is False
        assert ISO_MS.match(prop["createdAt"])
        assert prop["modificationMetadata"]["archivable"] is False
    email = contacts["email"]
    assert (email["type"], email["fieldType"], email["groupName"]) == (
        "string",
        "text",
        "contactinformation",
    )
    assert email["options"] == []
    assert email["hasUniqueValue"] is True
    assert email["modificationMetadata"]["readOnlyValue"] is False
    assert contacts["hs_object_id"]["modificationMetadata"]["readOnlyValue"] is True
    assert contacts["lastmodifieddate"]["modificationMetadata"]["readOnlyValue"] is True
    stages = contacts["lifecyclestage"]["options"]
    assert [o["value"] for o in stages] == [
        "subscriber",
        "lead",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
        "customer",
        "evangelist",
        "other",
    ]
    assert stages[0] == {
        "label": "Subscriber",
        "value": "subscriber",
        "hidden": False,
        "displayOrder": 0,
    }
    assert {"NEW", "OPEN", "IN_PROGRESS", "BAD_TIMING"} <= {
        o["value"] for o in contacts["hs_lead_status"]["options"]
    }

    deals = by_name(client, "0-3")
    assert {"dealname", "amount", "pipeline", "dealstage", "closedate", "hs_is_closed_won"} <= set(
        deals
    )
    assert deals["amount"]["type"] == "number"
    assert deals["hs_is_closed_won"]["type"] == "bool"
    assert [o["value"] for o in deals["hs_is_closed_won"]["options"]] == ["true", "false"]
    assert by_name(client, "company")["domain"]["hasUniqueValue"] is True

    for object_type in ALL_TYPES:
        props = by_name(client, object_type)
        assert "hs_object_id" in props, object_type
        assert "hubspot_owner_id" in props, object_type
    for engagement in ("calls", "emails", "meetings", "notes", "tasks"):
        assert by_name(client, engagement)["hs_timestamp"]["type"] == "datetime"
    assert [o["value"] for o in by_name(client, "tasks")["hs_task_priority"]["options"]] == [
        "LOW",
        "MEDIUM",
        "HIGH",
    ]

    one = client.get(f"{BASE}/contacts/email")
    assert one.status_code == 200
    assert one.json() == contacts["email"]
    assert_error(client.get(f"{BASE}/contacts/nosuch"), 404, "OBJECT_NOT_FOUND")
    assert_error(client.get(f"{BASE}/contacts/dealname"), 404, "OBJECT_NOT_FOUND")
    assert_error(client.get(f"{BASE}/widgets"), 404, "OBJECT_NOT_FOUND")
    assert_error(client.get(f"{BASE}/widgets/email"), 404, "OBJECT_NOT_FOUND")
    # Path quirks apply here too.
    assert client.get(f"http://testserver//{BASE.lstrip('/')}/contacts/").status_code == 200


# --- creating ---------------------------------------------------------------------------


def test_create_custom_properties_of_every_type(client: TestClient) -> None:
    cases: list[tuple[str, str, str, dict[str, Any]]] = [
        ("x_text", "string", "text", {}),
        ("x_area", "string", "textarea", {}),
        ("x_number", "number", "number", {}),
        ("x_date", "date", "date", {}),
        ("x_datetime", "datetime", "date", {}),
        ("x_bool", "bool", "booleancheckbox", {}),
        (
            "x_choice",
            "enumeration",
            "select",
            {
                "options": [
                    {"label": "Small", "value": "s", "displayOrder": 1},
                    {"label": "Large", "value": "l", "displayOrder": 0, "hidden": True},
                ]
            },
        ),
        (
            "x_many",
            "enumeration",
            "checkbox",
            {"options": [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}]},
        ),
    ]
    for name, prop_type, field_type, extra in cases:
        body = new_property(
            name=name, label=name.upper(), type=prop_type, fieldType=field_type, **extra
        )
        resp = client.post(f"{BASE}/contacts", json={**body, "description": "why it exists"})
        assert resp.status_code == 201, resp.text
        out = resp.json()
        assert set(out) == PROPERTY_KEYS
        assert (out["name"], out["label"], out["type"], out["fieldType"]) == (
            name,
            name.upper(),
            prop_type,
            field_type,
        )
        assert out["groupName"] == "contactinformation"
        assert out["description"] == "why it exists"
        assert out["hubspotDefined"] is False
        assert out["modificationMetadata"] == {
            "archivable": True,
            "readOnlyDefinition": False,
            "readOnlyValue": False,
        }
        assert client.get(f"{BASE}/contacts/{name}").json() == out

    props = by_name(client, "contacts")
    assert props["x_bool"]["options"] == [
        {"label": "Yes", "value": "true", "hidden": False, "displayOrder": 0},
        {"label": "No", "value": "false", "hidden": False, "displayOrder": 1},
    ]
    assert props["x_choice"]["options"] == [
        {"label": "Small", "value": "s", "hidden": False, "displayOrder": 1},
        {"label": "Large", "value": "l", "hidden": True, "displayOrder": 0},
    ]
    # The same name is free on another object type.
    other = client.post(
        f"{BASE}/deals", json=new_property(name="x_text", groupName="dealinformation")
    )
    assert other.status_code == 201, other.text

    # Values are checked against the definitions just made.
    ok = client.post(
        "/crm/v3/objects/contacts",
        json={"properties": {"x_choice": "l", "x_many": "a;b", "x_number": "3.5"}},
    )
    assert ok.status_code == 201, ok.text
    bad = client.post("/crm/v3/objects/contacts", json={"properties": {"x_many": "a;c"}})
    assert bad.status_code == 400


def test_property_definitions_are_validated(client: TestClient) -> None:
    for name in ("1abc", "Abc", "a-b", "a b", "", "x" * 101, "abc\n", "ünï", "_abc"):
        resp = client.post(f"{BASE}/contacts", json=new_property(name=name))
        assert_error(resp, 400, "VALIDATION_ERROR")
    reserved = client.post(f"{BASE}/contacts", json=new_property(name="hs_custom"))
    assert error_code(reserved) == "INVALID_PROPERTY_NAME"
    assert "hs_" in reserved.json()["message"]

    assert client.post(f"{BASE}/contacts", json=new_property()).status_code == 201
    dup = client.post(f"{BASE}/contacts", json=new_property(label="Other label"))
    assert "favourite_colour" in assert_error(dup, 409, "CONFLICT")["message"]
    builtin = client.post(f"{BASE}/contacts", json=new_property(name="email"))
    assert_error(builtin, 409, "CONFLICT")

    assert error_code(
        client.post(f"{BASE}/contacts", json=new_property(name="a1", type="text"))
    ) == ("INVALID_TYPE")
    assert (
        error_code(client.post(f"{BASE}/contacts", json=new_property(name="a2", type="number")))
        == "INVALID_FIELD_TYPE"
    )
    assert (
        error_code(
            client.post(f"{BASE}/contacts", json=new_property(name="a3", fieldType="select"))
        )
        == "INVALID_FIELD_TYPE"
    )
    assert (
        error_code(client.post(f"{BASE}/contacts", json=new_property(name="a4", groupName="nope")))
        == "GROUP_DOESNT_EXIST"
    )
    # A group of another object type is not this type's group.
    assert (
        error_code(
            client.post(
                f"{BASE}/contacts", json=new_property(name="a5", groupName="dealinformation")
            )
        )
        == "GROUP_DOESNT_EXIST"
    )
    unique_date = new_property(name="a6", type="date", fieldType="date", hasUniqueValue=True)
    assert error_code(client.post(f"{BASE}/contacts", json=unique_date)) == "INVALID_UNIQUE"
    options_on_text = new_property(name="a7", options=[{"label": "A", "value": "a"}])
    assert error_code(client.post(f"{BASE}/contacts", json=options_on_text)) == "INVALID_OPTIONS"
    enum = {"type": "enumeration", "fieldType": "select"}
    dup_options = new_property(
        name="a8", **enum, options=[{"label": "A", "value": "a"}, {"label": "B", "value": "a"}]
    )
    assert error_code(client.post(f"{BASE}/contacts", json=dup_options)) == "INVALID_OPTIONS"
    blank_option = new_property(name="a9", **enum, options=[{"label": "A", "value": "  "}])
    assert error_code(client.post(f"{BASE}/contacts", json=blank_option)) == "INVALID_OPTIONS"
    for missing in ("name", "label", "type", "fieldType", "groupName"):
        body = new_property(name="a10")
        del body[missing]
        resp = client.post(f"{BASE}/contacts", json=body)
        assert missing in assert_error(resp, 400, "VALIDATION_ERROR")["message"]
    # None of the refused definitions exists.
    names = set(by_name(client, "contacts"))
    assert not {f"a{i}" for i in range(1, 11)} & names
    assert "hs_custom" not in names


# --- updating ---------------------------------------------------------------------------


def test_update_property_definition(client: TestClient) -> None:
    enum = new_property(
        name="tier",
        type="enumeration",
        fieldType="select",
        options=[{"label": "Gold", "value": "gold"}],
    )
    created = client.post(f"{BASE}/contacts", json=enum).json()
    resp = client.patch(
        f"{BASE}/contacts/tier",
        json={
            "label": "Customer tier",
            "description": "Set by finance",
            "groupName": "sales_properties",
            "displayOrder": 4,
            "options": [{"label": "Gold", "value": "gold"}, {"label": "Silver", "value": "silver"}],
        },
    )
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["label"] == "Customer tier"
    assert out["description"] == "Set by finance"
    assert out["groupName"] == "sales_properties"
    assert out["displayOrder"] == 4
    assert [o["value"] for o in out["options"]] == ["gold", "silver"]
    assert out["type"] == "enumeration"
    assert out["createdAt"] == created["createdAt"]
    assert out["updatedAt"] >= created["updatedAt"]
    assert client.get(f"{BASE}/contacts/tier").json() == out
    made = client.post("/crm/v3/objects/contacts", json={"properties": {"tier": "silver"}})
    assert made.status_code == 201, made.text

    # Omitted fields stay as they are.
    label_only = client.patch(f"{BASE}/contacts/tier", json={"label": "Tier"}).json()
    assert label_only["description"] == "Set by finance"
    assert [o["value"] for o in label_only["options"]] == ["gold", "silver"]

    bad_group = client.patch(f"{BASE}/contacts/tier", json={"groupName": "nope"})
    assert error_code(bad_group) == "GROUP_DOESNT_EXIST"
    bad_field = client.patch(f"{BASE}/contacts/tier", json={"fieldType": "text"})
    assert error_code(bad_field) == "INVALID_FIELD_TYPE"
    assert_error(
        client.patch(f"{BASE}/contacts/nosuch", json={"label": "x"}), 404, "OBJECT_NOT_FOUND"
    )


def test_type_change_is_refused_once_values_exist(client: TestClient) -> None:
    client.post(f"{BASE}/contacts", json=new_property(name="score_text"))
    # No values yet: the type may change.
    changed = client.patch(
        f"{BASE}/contacts/score_text", json={"type": "number", "fieldType": "number"}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["type"], changed.json()["fieldType"]) == ("number", "number")
    record = client.post("/crm/v3/objects/contacts", json={"properties": {"score_text": "12"}})
    assert record.status_code == 201, record.text

    refused = client.patch(
        f"{BASE}/contacts/score_text", json={"type": "string", "fieldType": "text"}
    )
    assert error_code(refused) == "TYPE_CHANGE_NOT_ALLOWED"
    assert client.get(f"{BASE}/contacts/score_text").json()["type"] == "number"
    # The value held by an archived record still counts.
    rid = record.json()["id"]
    assert client.delete(f"/crm/v3/objects/contacts/{rid}").status_code == 204
    again = client.patch(
        f"{BASE}/contacts/score_text", json={"type": "string", "fieldType": "text"}
    )
    assert error_code(again) == "TYPE_CHANGE_NOT_ALLOWED"
    # Values of the same name on another object type do not count.
    client.post(
        f"{BASE}/companies", json=new_property(name="score_text", groupName="companyinformation")
    )
    free = client.patch(
        f"{BASE}/companies/score_text", json={"type": "number", "fieldType": "number"}
    )
    assert free.status_code == 200, free.text

    for builtin, change in (
        ("email", {"type": "number", "fieldType": "number"}),
        ("firstname", {"fieldType": "textarea"}),
    ):
        resp = client.patch(f"{BASE}/contacts/{builtin}", json=change)
        assert error_code(resp) == "READ_ONLY_DEFINITION"
    dynamic = client.patch(
        f"{BASE}/deals/dealstage", json={"options": [{"label": "X", "value": "x"}]}
    )
    assert error_code(dynamic) == "READ_ONLY_DEFINITION"


# --- archiving --------------------------------------------------------------------------


def test_archive_custom_property_but_not_builtins(client: TestClient) -> None:
    client.post(f"{BASE}/contacts", json=new_property())
    client.post("/crm/v3/objects/contacts", json={"properties": {"favourite_colour": "green"}})
    gone = client.delete(f"{BASE}/contacts/favourite_colour")
    assert gone.status_code == 204
    assert gone.content == b""
    assert_error(client.get(f"{BASE}/contacts/favourite_colour"), 404, "OBJECT_NOT_FOUND")
    assert "favourite_colour" not in by_name(client, "contacts")
    archived = by_name(client, "contacts", archived="true")
    assert set(archived) == {"favourite_colour"}
    assert archived["favourite_colour"]["archived"] is True
    assert ISO_MS.match(archived["favourite_colour"]["archivedAt"])
    # Writing an archived property is writing an unknown one.
    resp = client.post("/crm/v3/objects/contacts", json={"properties": {"favourite_colour": "red"}})
    body = assert_error(resp, 400, "VALIDATION_ERROR")
    assert body["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    # Its name stays taken.
    again = client.post(f"{BASE}/contacts", json=new_property())
    assert "archived" in assert_error(again, 409, "CONFLICT")["message"]
    assert_error(client.delete(f"{BASE}/contacts/favourite_colour"), 404, "OBJECT_NOT_FOUND")

    for object_type, name in (
        ("contacts", "email"),
        ("deals", "dealstage"),
        ("notes", "hs_timestamp"),
    ):
        resp = client.delete(f"{BASE}/{object_type}/{name}")
        assert error_code(resp) == "NOT_ARCHIVABLE", name
        assert client.get(f"{BASE}/{object_type}/{name}").status_code == 200
    assert_error(client.delete(f"{BASE}/contacts/nosuch"), 404, "OBJECT_NOT_FOUND")


# --- groups -----------------------------------------------------------------------------


def test_property_groups_crud(client: TestClient) -> None:
    listed = client.get(f"{BASE}/contacts/groups")
    assert listed.status_code == 200
    names = [g["name"] for g in listed.json()["results"]]
    assert names == ["contactinformation", "sales_properties"]
    assert listed.json()["results"][0] == {
        "name": "contactinformation",
        "label": "Contact information",
        "displayOrder": 0,
        "archived": False,
    }
    assert [g["name"] for g in client.get(f"{BASE}/deals/groups").json()["results"]] == [
        "dealinformation",
        "deal_activity",
    ]

    made = client.post(
        f"{BASE}/contacts/groups", json={"name": "billing", "label": "Billing", "displayOrder": 5}
    )
    assert made.status_code == 201, made.text
    assert made.json() == {
        "name": "billing",
        "label": "Billing",
        "displayOrder": 5,
        "archived": False,
    }
    assert client.get(f"{BASE}/contacts/groups/billing").json() == made.json()
    assert_error(
        client.post(f"{BASE}/contacts/groups", json={"name": "billing", "label": "Again"}),
        409,
        "CONFLICT",
    )
    for bad in ("Billing", "bill-ing", "1st", "billing\n", ""):
        resp = client.post(f"{BASE}/contacts/groups", json={"name": bad, "label": "B"})
        assert_error(resp, 400, "VALIDATION_ERROR")

    patched = client.patch(f"{BASE}/contacts/groups/billing", json={"label": "Invoicing"})
    assert patched.status_code == 200, patched.text
    assert patched.json() == {
        "name": "billing",
        "label": "Invoicing",
        "displayOrder": 5,
        "archived": False,
    }
    reordered = client.patch(f"{BASE}/contacts/groups/billing", json={"displayOrder": 1}).json()
    assert (reordered["label"], reordered["displayOrder"]) == ("Invoicing", 1)

    # A group holding a property cannot be archived.
    client.post(f"{BASE}/contacts", json=new_property(name="vat_id", groupName="billing"))
    busy = client.delete(f"{BASE}/contacts/groups/billing")
    assert error_code(busy) == "GROUP_NOT_EMPTY"
    assert (
        client.patch(
            f"{BASE}/contacts/vat_id", json={"groupName": "contactinformation"}
        ).status_code
        == 200
    )
    gone = client.delete(f"{BASE}/contacts/groups/billing")
    assert gone.status_code == 204
    assert_error(client.get(f"{BASE}/contacts/groups/billing"), 404, "OBJECT_NOT_FOUND")
    assert_error(
        client.patch(f"{BASE}/contacts/groups/billing", json={"label": "x"}),
        404,
        "OBJECT_NOT_FOUND",
    )
    assert "billing" not in [
        g["name"] for g in client.get(f"{BASE}/contacts/groups").json()["results"]
    ]
    # Properties cannot move into an archived group.
    moved = client.patch(f"{BASE}/contacts/vat_id", json={"groupName": "billing"})
    assert error_code(moved) == "GROUP_DOESNT_EXIST"
    # The name can be used again.
    revived = client.post(f"{BASE}/contacts/groups", json={"name": "billing", "label": "Billing 2"})
    assert revived.status_code == 201, revived.text
    assert revived.json()["label"] == "Billing 2"
    assert_error(client.get(f"{BASE}/widgets/groups"), 404, "OBJECT_NOT_FOUND")


# --- never a 500 ------------------------------------------------------------------------

HOSTILE: list[Any] = [
    None,
    True,
    0,
    -1,
    10**30,
    2**31,
    1.5,
    "",
    "x" * 300,
    "x" * 70_000,
    "nul\x00",
    "\ud800",
    "²",
    [],
    [None],
    [{"label": None, "value": None}],
    [{"label": "A", "value": "\x00"}],
    [{"label": "\ud800", "value": "a"}],
    [{"label": "A", "value": "a", "displayOrder": 10**30}],
    [{"label": "A", "value": "a", "hidden": "maybe"}],
    {},
    {"a": 1},
]


def _send(client: TestClient, method: str, url: str, payload: Any) -> httpx.Response:
    resp: httpx.Response = client.request(
        method, url, content=json.dumps(payload), headers={"Content-Type": "application/json"}
    )
    return resp


def _assert_not_500(resp: httpx.Response, what: Any) -> None:
    assert resp.status_code < 500, (what, resp.text[:300])
    if resp.status_code >= 400:
        assert set(resp.json()) >= ERROR_KEYS


TEXT_WRONG: list[Any] = [12, True, [], {}, ["a"]]
INT_WRONG: list[Any] = ["x", 1.5, [], {}, "1e3"]
BOOL_WRONG: list[Any] = ["maybe", 2, [], {}]
LIST_WRONG: list[Any] = ["x", 1, {}, True, [1], ["a"]]
PROPERTY_WRONG_TYPES = {
    "name": TEXT_WRONG,
    "label": TEXT_WRONG,
    "type": TEXT_WRONG,
    "fieldType": TEXT_WRONG,
    "groupName": TEXT_WRONG,
    "description": TEXT_WRONG,
    "options": LIST_WRONG,
    "displayOrder": INT_WRONG,
    "hasUniqueValue": BOOL_WRONG,
    "hidden": BOOL_WRONG,
    "formField": BOOL_WRONG,
}


def test_wrong_json_types_are_a_400(client: TestClient) -> None:
    enum = new_property(
        name="target",
        type="enumeration",
        fieldType="select",
        options=[{"label": "A", "value": "a"}],
    )
    assert client.post(f"{BASE}/contacts", json=enum).status_code == 201
    client.post(f"{BASE}/contacts/groups", json={"name": "target_group", "label": "T"})
    for field, values in PROPERTY_WRONG_TYPES.items():
        for value in values:
            body = {**new_property(name="wrong"), field: value}
            resp = _send(client, "POST", f"{BASE}/contacts", body)
            assert field in assert_error(resp, 400, "VALIDATION_ERROR")["message"], (field, value)
            # (PATCH has no name or hasUniqueValue; like HubSpot it ignores unknown keys.)
            if field not in ("name", "hasUniqueValue"):
                resp = _send(client, "PATCH", f"{BASE}/contacts/target", {field: value})
                assert_error(resp, 400, "VALIDATION_ERROR")
    for field, values in (("name", TEXT_WRONG), ("label", TEXT_WRONG), ("displayOrder", INT_WRONG)):
        for value in values:
            body = {"name": "wrong", "label": "W", field: value}
            resp = _send(client, "POST", f"{BASE}/contacts/groups", body)
            assert_error(resp, 400, "VALIDATION_ERROR")
            if field != "name":
                resp = _send(
                    client, "PATCH", f"{BASE}/contacts/groups/target_group", {field: value}
                )
                assert_error(resp, 400, "VALIDATION_ERROR")
    assert "wrong" not in by_name(client, "contacts")
    assert client.get(f"{BASE}/contacts/target").json()["label"] == "Favourite colour"


def test_garbage_never_causes_a_500(client: TestClient) -> None:
    enum = new_property(
        name="target",
        type="enumeration",
        fieldType="select",
        options=[{"label": "A", "value": "a"}],
    )
    assert client.post(f"{BASE}/contacts", json=enum).status_code == 201
    client.post(f"{BASE}/contacts/groups", json={"name": "target_group", "label": "T"})
    property_fields = [
        "name",
        "label",
        "type",
        "fieldType",
        "groupName",
        "description",
        "options",
        "displayOrder",
        "hasUniqueValue",
        "hidden",
        "formField",
    ]
    for n, field in enumerate(property_fields):
        for m, value in enumerate(HOSTILE):
            name = f"g_{n}_{m}" if field != "name" else value
            body = {**new_property(name=name), field: value}
            _assert_not_500(_send(client, "POST", f"{BASE}/contacts", body), (field, value))
            _assert_not_500(
                _send(client, "PATCH", f"{BASE}/contacts/target", {field: value}), (field, value)
            )
    for field in ("name", "label", "displayOrder"):
        for value in HOSTILE:
            body = {"name": "g_group", "label": "G", field: value}
            _assert_not_500(_send(client, "POST", f"{BASE}/contacts/groups", body), (field, value))
            _assert_not_500(
                _send(client, "PATCH", f"{BASE}/contacts/groups/target_group", {field: value}),
                (field, value),
            )
    not_objects: list[Any] = [None, [], "x", 1, True]
    for payload in not_objects:
        for method, url in (
            ("POST", f"{BASE}/contacts"),
            ("PATCH", f"{BASE}/contacts/target"),
            ("POST", f"{BASE}/contacts/groups"),
            ("PATCH", f"{BASE}/contacts/groups/target_group"),
        ):
            resp = _send(client, method, url, payload)
            assert_error(resp, 400, "VALIDATION_ERROR")
    for content in (b"{", b"\xff", b""):
        resp = client.post(
            f"{BASE}/contacts", content=content, headers={"Content-Type": "application/json"}
        )
        # (Invalid UTF-8 is a 400 with the wrong category: see test_records_api.)
        assert resp.status_code == 400, resp.text
    for name in ("\x00", "²", "x" * 5000):
        for method in ("GET", "PATCH", "DELETE"):
            resp = client.request(
                method, f"{BASE}/contacts/{quote(name, safe='')}", json={"label": "x"}
            )
            _assert_not_500(resp, (method, name))
    # The target definitions survived with a usable shape.
    target = client.get(f"{BASE}/contacts/target").json()
    assert target["name"] == "target"
    assert all(isinstance(o["value"], str) for o in target["options"])
    assert by_name(client, "contacts")["email"]["type"] == "string"


def test_every_process_sees_definition_changes_once_committed(database: Database) -> None:
    """Each process keeps the catalog between requests; a change made through another
    process (another engine on the same database) is seen from the next unit of work on,
    and a rolled-back change is never seen."""
    other = Database(database.url)
    try:
        with database.unit_of_work() as s:
            assert "tier" not in properties.load_catalog(s, CONTACTS).by_name
        with other.unit_of_work() as s:
            properties.create_property(
                s,
                CONTACTS,
                name="tier",
                label="Tier",
                type="string",
                field_type="text",
                group_name="contactinformation",
            )
        with database.unit_of_work() as s:
            assert properties.load_catalog(s, CONTACTS).by_name["tier"].label == "Tier"
        with other.unit_of_work() as s:
            properties.update_property(s, CONTACTS, "tier", {"label": "Account tier"})
        with database.unit_of_work() as s:
            assert properties.load_catalog(s, CONTACTS).by_name["tier"].label == "Account tier"

        with pytest.raises(RuntimeError), other.unit_of_work() as s:
            properties.update_property(s, CONTACTS, "tier", {"label": "Never committed"})
            assert properties.load_catalog(s, CONTACTS).by_name["tier"].label == ("Never committed")
            raise RuntimeError("roll back")
        for db in (database, other):
            with db.unit_of_work() as s:
                assert properties.load_catalog(s, CONTACTS).by_name["tier"].label == (
                    "Account tier"
                )
        with other.unit_of_work() as s:
            properties.archive_property(s, CONTACTS, "tier")
        with database.unit_of_work() as s:
            assert "tier" not in properties.load_catalog(s, CONTACTS).by_name
    finally:
        other.dispose()
