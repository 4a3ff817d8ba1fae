"""Behaviour of /crm/v3/objects/{type}: list, read, create, update, archive, restore."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from revline.auth import service as auth_service
from revline.crm.object_types import CONTACTS
from revline.crm.records import service as records
from revline.kit.db import Database

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ERROR_KEYS = {"status", "message", "correlationId", "category", "errors", "context", "links"}
ENGAGEMENTS = ["calls", "emails", "meetings", "notes", "tasks"]
ALL_TYPES = ["contacts", "companies", "deals", *ENGAGEMENTS]
WHEN = "2024-05-01T12:00:00.000Z"
BASE = "http://testserver"


def assert_error(resp: httpx.Response, status: int, category: str) -> dict[str, Any]:
    """The response is HubSpot's error shape with this status and category."""
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert set(body) >= ERROR_KEYS, body
    assert body["status"] == "error"
    assert body["category"] == category
    assert isinstance(body["message"], str) and body["message"]
    assert re.fullmatch(r"[0-9a-f-]{36}", body["correlationId"])
    assert isinstance(body["errors"], list)
    assert isinstance(body["context"], dict)
    assert body["links"] == {}
    return body


def bad_names(body: dict[str, Any]) -> list[str]:
    """The property names an error's ``errors`` list complains about, in order."""
    return [e["context"]["propertyName"][0] for e in body["errors"]]


def codes(body: dict[str, Any]) -> dict[str, str]:
    return {e["context"]["propertyName"][0]: e["code"] for e in body["errors"]}


def create(client: TestClient, object_type: str, props: dict[str, Any]) -> dict[str, Any]:
    resp = client.post(f"/crm/v3/objects/{object_type}", json={"properties": props})
    assert resp.status_code == 201, resp.text
    out: dict[str, Any] = resp.json()
    return out


def minimal(object_type: str, n: int = 0) -> dict[str, Any]:
    """Properties that make a valid record of ``object_type``."""
    if object_type == "contacts":
        return {"email": f"person{n}@example.com"}
    if object_type == "companies":
        return {"name": f"Company {n}", "domain": f"company{n}.example"}
    if object_type == "deals":
        return {"dealname": f"Deal {n}"}
    return {"hs_timestamp": WHEN}


def get(client: TestClient, object_type: str, ident: str, **params: Any) -> dict[str, Any]:
    resp = client.get(f"/crm/v3/objects/{object_type}/{ident}", params=params)
    assert resp.status_code == 200, resp.text
    out: dict[str, Any] = resp.json()
    return out


def make_property(
    client: TestClient, object_type: str, name: str, prop_type: str, field_type: str, **extra: Any
) -> None:
    body = {
        "name": name,
        "label": name.replace("_", " ").title(),
        "type": prop_type,
        "fieldType": field_type,
        "groupName": _GROUPS[object_type],
        **extra,
    }
    resp = client.post(f"/crm/v3/properties/{object_type}", json=body)
    assert resp.status_code == 201, resp.text


_GROUPS = {
    "contacts": "contactinformation",
    "companies": "companyinformation",
    "deals": "dealinformation",
    "calls": "callinformation",
    "emails": "emailinformation",
    "meetings": "meetinginformation",
    "notes": "noteinformation",
    "tasks": "taskinformation",
}
_OPTIONS = [{"label": "Gold", "value": "gold"}, {"label": "Silver", "value": "silver"}]


def make_custom_properties(client: TestClient, object_type: str) -> None:
    """One custom property of every type on ``object_type``."""
    make_property(client, object_type, "x_text", "string", "text")
    make_property(client, object_type, "x_number", "number", "number")
    make_property(client, object_type, "x_date", "date", "date")
    make_property(client, object_type, "x_datetime", "datetime", "date")
    make_property(client, object_type, "x_tier", "enumeration", "select", options=_OPTIONS)
    make_property(client, object_type, "x_flag", "bool", "booleancheckbox")


# --- listing ----------------------------------------------------------------------------


def test_list_pages_ten_by_default_and_omits_paging_on_the_last_page(client: TestClient) -> None:
    ids = [create(client, "contacts", minimal("contacts", i))["id"] for i in range(23)]

    first = client.get("/crm/v3/objects/contacts")
    assert first.status_code == 200
    body = first.json()
    assert [r["id"] for r in body["results"]] == ids[:10]
    after = body["paging"]["next"]["after"]
    assert after == ids[9]
    link = urlsplit(body["paging"]["next"]["link"])
    assert link.path == "/crm/v3/objects/contacts"
    assert parse_qs(link.query)["after"] == [after]

    seen: list[str] = []
    pages = 0
    params: dict[str, Any] = {}
    while True:
        page = client.get("/crm/v3/objects/contacts", params=params).json()
        pages += 1
        seen += [r["id"] for r in page["results"]]
        if "paging" not in page:
            break
        assert page["paging"]["next"]["after"], "an empty cursor makes SDK loops spin"
        params = {"after": page["paging"]["next"]["after"]}
    assert pages == 3
    assert seen == ids
    assert len(page["results"]) == 3

    everything = client.get("/crm/v3/objects/contacts", params={"limit": 100}).json()
    assert [r["id"] for r in everything["results"]] == ids
    assert "paging" not in everything

    exact = client.get("/crm/v3/objects/contacts", params={"limit": 23}).json()
    assert len(exact["results"]) == 23
    assert "paging" not in exact

    beyond = client.get("/crm/v3/objects/contacts", params={"after": ids[-1]}).json()
    assert beyond == {"results": []}


def test_list_limit_and_after_are_checked(client: TestClient) -> None:
    create(client, "contacts", minimal("contacts"))
    for limit in ("101", "0", "-1", "ten", "1.5", ""):
        resp = client.get("/crm/v3/objects/contacts", params={"limit": limit})
        body = assert_error(resp, 400, "VALIDATION_ERROR")
        assert "limit" in body["message"], limit
    for after in ("abc", "-1", "1.5", "²", "\u0661\u0662", "9" * 30, "9" * 5000):
        resp = client.get("/crm/v3/objects/contacts", params={"after": after})
        body = assert_error(resp, 400, "VALIDATION_ERROR")
        assert body["errors"][0]["code"] == "INVALID_CURSOR", after
        assert body["errors"][0]["context"] == {"after": [after]}
    # A well-formed cursor past the last id is simply an empty last page.
    beyond = client.get("/crm/v3/objects/contacts", params={"after": "999999999"})
    assert beyond.status_code == 200, beyond.text
    assert beyond.json() == {"results": []}
    # An empty cursor is the first page.
    first = client.get("/crm/v3/objects/contacts", params={"after": ""})
    assert len(first.json()["results"]) == 1


def test_list_properties_as_repeated_keys_or_comma_separated(client: TestClient) -> None:
    create(
        client,
        "contacts",
        {"email": "ada@example.com", "firstname": "Ada", "city": "London", "phone": "+44 1"},
    )
    for query in (
        "properties=firstname&properties=city",
        "properties=firstname,city",
        "properties=firstname%2Ccity",
        "properties=firstname,&properties=,city",
        "properties=firstname&properties=city,firstname",
    ):
        result = client.get(f"/crm/v3/objects/contacts?{query}").json()["results"][0]
        assert result["properties"]["firstname"] == "Ada", query
        assert result["properties"]["city"] == "London", query
        assert "phone" not in result["properties"], query
        assert "email" not in result["properties"], query

    default = client.get("/crm/v3/objects/contacts").json()["results"][0]["properties"]
    assert set(default) == set(CONTACTS.default_properties)
    assert default["email"] == "ada@example.com"

    unknown = client.get("/crm/v3/objects/contacts?properties=nosuch,city").json()
    assert unknown["results"][0]["properties"] == {"city": "London"}


def test_list_archived_true_lists_only_archived_and_booleans_in_any_case(
    client: TestClient,
) -> None:
    ids = [create(client, "contacts", minimal("contacts", i))["id"] for i in range(3)]
    assert client.delete(f"/crm/v3/objects/contacts/{ids[1]}").status_code == 204

    for value in ("true", "True", "TRUE", "1"):
        archived = client.get("/crm/v3/objects/contacts", params={"archived": value}).json()
        assert [r["id"] for r in archived["results"]] == [ids[1]], value
        assert archived["results"][0]["archived"] is True
        assert ISO_MS.match(archived["results"][0]["archivedAt"])

    for value in ("false", "False", "FALSE", "0"):
        live = client.get("/crm/v3/objects/contacts", params={"archived": value}).json()
        assert [r["id"] for r in live["results"]] == [ids[0], ids[2]], value
        assert all(r["archived"] is False for r in live["results"])
        assert all("archivedAt" not in r for r in live["results"])

    assert_error(
        client.get("/crm/v3/objects/contacts", params={"archived": "perhaps"}),
        400,
        "VALIDATION_ERROR",
    )


# --- reading one ------------------------------------------------------------------------


def test_record_shape_is_hubspots(client: TestClient) -> None:
    created = create(client, "contacts", {"email": "ada@example.com", "firstname": "Ada"})
    assert re.fullmatch(r"[1-9]\d*", created["id"])
    assert created["archived"] is False
    assert ISO_MS.match(created["createdAt"])
    assert ISO_MS.match(created["updatedAt"])
    props = created["properties"]
    assert props["hs_object_id"] == created["id"]
    assert props["email"] == "ada@example.com"
    assert props["firstname"] == "Ada"
    assert props["lastname"] is None
    assert props["createdate"] == created["createdAt"]
    assert props["lastmodifieddate"] == created["updatedAt"]
    assert all(v is None or isinstance(v, str) for v in props.values())

    fetched = get(client, "contacts", created["id"])
    assert set(fetched) == {"id", "properties", "createdAt", "updatedAt", "archived"}
    assert fetched["properties"] == {k: props[k] for k in CONTACTS.default_properties}

    some = get(client, "contacts", created["id"], properties="firstname")
    assert some["properties"] == {"firstname": "Ada"}


def test_unknown_or_non_numeric_id_is_a_404(client: TestClient) -> None:
    create(client, "contacts", minimal("contacts"))
    idents = ("999999", "abc", "12abc", "-1", "0x10", "1.0", "²", "\u0661", "9" * 30, "9" * 5000)
    for ident in idents:
        for method in ("GET", "PATCH", "DELETE"):
            resp = client.request(
                method,
                f"/crm/v3/objects/contacts/{ident}",
                json={"properties": {}} if method == "PATCH" else None,
            )
            assert_error(resp, 404, "OBJECT_NOT_FOUND")
        assert_error(
            client.post(f"/revline/v1/objects/contacts/{ident}/restore"),
            404,
            "OBJECT_NOT_FOUND",
        )


def test_contact_by_email_with_percent_encoded_at(client: TestClient) -> None:
    ada = create(client, "contacts", {"email": " Ada@Example.com ", "firstname": "Ada"})
    plus = create(client, "contacts", {"email": "ada+crm@example.com"})

    for path in ("ada%40example.com", "ADA%40Example.COM", "ada@example.com"):
        found = client.get(f"/crm/v3/objects/contacts/{path}?idProperty=email")
        assert found.status_code == 200, (path, found.text)
        assert found.json()["id"] == ada["id"]
        assert found.json()["properties"]["email"] == "ada@example.com"
    assert (
        get(client, "contacts", "ada%2Bcrm%40example.com", idProperty="email")["id"] == (plus["id"])
    )

    assert_error(
        client.get("/crm/v3/objects/contacts/nobody%40example.com?idProperty=email"),
        404,
        "OBJECT_NOT_FOUND",
    )
    # The id is not an id when idProperty says email.
    assert_error(
        client.get(f"/crm/v3/objects/contacts/{ada['id']}?idProperty=email"),
        404,
        "OBJECT_NOT_FOUND",
    )
    # idProperty=hs_object_id is the plain id.
    assert get(client, "contacts", ada["id"], idProperty="hs_object_id")["id"] == ada["id"]
    for not_unique in ("firstname", "nosuch", "domain"):
        resp = client.get(f"/crm/v3/objects/contacts/Ada?idProperty={not_unique}")
        assert_error(resp, 400, "VALIDATION_ERROR")

    patched = client.patch(
        "/crm/v3/objects/contacts/ada%40example.com?idProperty=email",
        json={"properties": {"lastname": "Lovelace"}},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["id"] == ada["id"]
    assert get(client, "contacts", ada["id"])["properties"]["lastname"] == "Lovelace"


def test_company_by_domain(client: TestClient) -> None:
    acme = create(client, "companies", {"name": "Acme", "domain": "https://www.Acme.io/about"})
    assert acme["properties"]["domain"] == "acme.io"
    for path in ("acme.io", "ACME.IO", "www.acme.io", "acme.io."):
        found = client.get(f"/crm/v3/objects/companies/{path}", params={"idProperty": "domain"})
        assert found.status_code == 200, (path, found.text)
        assert found.json()["id"] == acme["id"]
        assert found.json()["properties"]["name"] == "Acme"
    assert_error(
        client.get("/crm/v3/objects/companies/globex.io", params={"idProperty": "domain"}),
        404,
        "OBJECT_NOT_FOUND",
    )
    # Email is not a company property.
    assert_error(
        client.get("/crm/v3/objects/companies/a%40b.io", params={"idProperty": "email"}),
        400,
        "VALIDATION_ERROR",
    )


# --- creating ---------------------------------------------------------------------------


def test_create_with_every_builtin_property_type(client: TestClient) -> None:
    contact = create(
        client,
        "contacts",
        {
            "email": "grace@example.com",
            "firstname": "Grace",
            "lifecyclestage": "lead",
            "hs_lead_status": "NEW",
            "createdate": "2020-01-02T03:04:05.678Z",
        },
    )
    props = get(
        client, "contacts", contact["id"], properties="lifecyclestage,hs_lead_status,createdate"
    )
    assert props["properties"] == {
        "lifecyclestage": "lead",
        "hs_lead_status": "NEW",
        "createdate": "2020-01-02T03:04:05.678Z",
    }
    assert props["createdAt"] == "2020-01-02T03:04:05.678Z"

    company = create(
        client,
        "companies",
        {
            "name": "Acme",
            "domain": "acme.example",
            "numberofemployees": 250,
            "annualrevenue": "1,500,000.50",
            "industry": "COMPUTER_SOFTWARE",
            "description": "Line one\nLine two",
        },
    )
    c = get(
        client,
        "companies",
        company["id"],
        properties="numberofemployees,annualrevenue,industry,description",
    )["properties"]
    assert c == {
        "numberofemployees": "250",
        "annualrevenue": "1500000.5",
        "industry": "COMPUTER_SOFTWARE",
        "description": "Line one\nLine two",
    }

    # A deal in a currency other than the home one needs an exchange rate for it.
    rate = {"currency": "EUR", "effectiveFrom": "2024-01-01", "rate": "0.9"}
    assert client.post("/revline/v1/exchange-rates", json=rate).status_code == 201
    deal = create(
        client,
        "deals",
        {
            "dealname": "Big one",
            "amount": "1500.00",
            "closedate": "2024-06-30",
            "deal_currency_code": "eur",
            "hs_priority": "high",
        },
    )
    d = get(
        client,
        "deals",
        deal["id"],
        properties="amount,closedate,deal_currency_code,hs_priority,hs_is_closed",
    )["properties"]
    assert d == {
        "amount": "1500",
        "closedate": "2024-06-30T00:00:00.000Z",
        "deal_currency_code": "EUR",
        "hs_priority": "high",
        "hs_is_closed": "false",
    }


def test_custom_properties_of_every_type_on_every_object_type(client: TestClient) -> None:
    for object_type in ALL_TYPES:
        make_custom_properties(client, object_type)
        created = create(
            client,
            object_type,
            {
                **minimal(object_type),
                "x_text": "  kept as is  ",
                "x_number": "1,234.50",
                "x_date": "2024-05-01",
                "x_datetime": "2024-05-01T14:34:56.789+02:00",
                "x_tier": "gold",
                "x_flag": True,
            },
        )
        expected = {
            "x_text": "  kept as is  ",
            "x_number": "1234.5",
            "x_date": "2024-05-01",
            "x_datetime": "2024-05-01T12:34:56.789Z",
            "x_tier": "gold",
            "x_flag": "true",
        }
        for name, value in expected.items():
            assert created["properties"][name] == value, (object_type, name)
        names = ",".join(expected)
        assert get(client, object_type, created["id"], properties=names)["properties"] == expected

        bad = client.post(
            f"/crm/v3/objects/{object_type}",
            json={
                "properties": {
                    **minimal(object_type, 99),
                    "x_text": ["a"],
                    "x_number": "12abc",
                    "x_date": "2024-02-30",
                    "x_datetime": "noon",
                    "x_tier": "bronze",
                    "x_flag": "perhaps",
                }
            },
        )
        assert codes(assert_error(bad, 400, "VALIDATION_ERROR")) == {
            "x_text": "INVALID_TYPE",
            "x_number": "INVALID_NUMBER",
            "x_date": "INVALID_DATE",
            "x_datetime": "INVALID_DATETIME",
            "x_tier": "INVALID_OPTION",
            "x_flag": "INVALID_BOOLEAN",
        }, object_type

        # Epoch milliseconds and other spellings are read too.
        patched = client.patch(
            f"/crm/v3/objects/{object_type}/{created['id']}",
            json={
                "properties": {
                    "x_number": 7,
                    "x_date": 1714521600000,
                    "x_datetime": "1714566896789",
                    "x_tier": "silver",
                    "x_flag": "FALSE",
                }
            },
        )
        assert patched.status_code == 200, patched.text
        assert get(client, object_type, created["id"], properties=names)["properties"] == {
            **expected,
            "x_number": "7",
            "x_date": "2024-05-01",
            "x_datetime": "2024-05-01T12:34:56.789Z",
            "x_tier": "silver",
            "x_flag": "false",
        }

        # Clearing: null and "" both remove the value.
        cleared = client.patch(
            f"/crm/v3/objects/{object_type}/{created['id']}",
            json={"properties": {"x_text": None, "x_number": ""}},
        )
        assert cleared.status_code == 200, cleared.text
        after = get(client, object_type, created["id"], properties="x_text,x_number,x_tier")
        assert after["properties"] == {"x_text": None, "x_number": None, "x_tier": "silver"}


def test_one_400_names_every_bad_property(client: TestClient) -> None:
    make_custom_properties(client, "contacts")
    bad = {
        "nosuch": "x",
        "x_number": "twelve",
        "x_date": "2024-13-01",
        "x_datetime": "half past nine",
        "x_tier": "bronze",
        "x_flag": "maybe",
        "x_text": {"nested": True},
        "hs_object_id": "5",
        "lastmodifieddate": "2024-01-01",
        "email": "not-an-email",
        "lifecyclestage": "prospect",
    }
    expected_codes = {
        "nosuch": "PROPERTY_DOESNT_EXIST",
        "x_number": "INVALID_NUMBER",
        "x_date": "INVALID_DATE",
        "x_datetime": "INVALID_DATETIME",
        "x_tier": "INVALID_OPTION",
        "x_flag": "INVALID_BOOLEAN",
        "x_text": "INVALID_TYPE",
        "hs_object_id": "READ_ONLY_VALUE",
        "lastmodifieddate": "READ_ONLY_VALUE",
        "email": "INVALID_EMAIL",
        "lifecyclestage": "INVALID_OPTION",
    }
    resp = client.post(
        "/crm/v3/objects/contacts", json={"properties": {**bad, "firstname": "Fine"}}
    )
    body = assert_error(resp, 400, "VALIDATION_ERROR")
    assert sorted(bad_names(body)) == sorted(bad), "each bad property exactly once"
    assert codes(body) == expected_codes
    assert body["message"].startswith("Property values were not valid: ")
    summary = json.loads(body["message"].removeprefix("Property values were not valid: "))
    assert {s["name"] for s in summary} == set(bad)
    assert all(s["isValid"] is False for s in summary)
    for error in body["errors"]:
        assert set(error) == {"message", "code", "context"}
        assert error["context"]["propertyName"][0] in error["message"]
    assert "'bronze'" in codes_message(body, "x_tier")
    assert "gold" in codes_message(body, "x_tier")
    # Nothing was written.
    assert client.get("/crm/v3/objects/contacts").json() == {"results": []}

    # The same list on update, and the record is untouched.
    ada = create(client, "contacts", {"email": "ada@example.com", "x_text": "before"})
    resp = client.patch(f"/crm/v3/objects/contacts/{ada['id']}", json={"properties": bad})
    body = assert_error(resp, 400, "VALIDATION_ERROR")
    assert codes(body) == expected_codes
    again = get(client, "contacts", ada["id"], properties="email,x_text")
    assert again["properties"] == {"email": "ada@example.com", "x_text": "before"}


def codes_message(body: dict[str, Any], name: str) -> str:
    return str(next(e["message"] for e in body["errors"] if e["context"]["propertyName"] == [name]))


def test_read_only_properties_are_refused(client: TestClient) -> None:
    for object_type, name in (
        ("contacts", "hs_object_id"),
        ("contacts", "lastmodifieddate"),
        ("companies", "hs_lastmodifieddate"),
        ("deals", "hs_lastmodifieddate"),
        ("deals", "hs_is_closed_won"),
        ("deals", "hs_deal_stage_probability"),
        ("notes", "hs_lastmodifieddate"),
    ):
        resp = client.post(
            f"/crm/v3/objects/{object_type}",
            json={"properties": {**minimal(object_type), name: "1"}},
        )
        body = assert_error(resp, 400, "VALIDATION_ERROR")
        assert codes(body) == {name: "READ_ONLY_VALUE"}, (object_type, name)


def test_values_longer_than_their_column_are_a_400(client: TestClient) -> None:
    ada = create(client, "contacts", {"email": "ada@example.com", "firstname": "x" * 255})
    assert ada["properties"]["firstname"] == "x" * 255
    resp = client.patch(
        f"/crm/v3/objects/contacts/{ada['id']}",
        json={"properties": {"firstname": "x" * 256, "zip": "1" * 33, "city": "ok"}},
    )
    body = assert_error(resp, 400, "VALIDATION_ERROR")
    assert codes(body) == {"firstname": "VALUE_TOO_LONG", "zip": "VALUE_TOO_LONG"}
    assert "255" in codes_message(body, "firstname")
    # Custom values are kept in a document with a generous limit.
    make_property(client, "contacts", "x_notes", "string", "textarea")
    long_text = "y" * 10_000
    ok = client.patch(
        f"/crm/v3/objects/contacts/{ada['id']}", json={"properties": {"x_notes": long_text}}
    )
    assert ok.status_code == 200, ok.text
    assert get(client, "contacts", ada["id"], properties="x_notes")["properties"] == {
        "x_notes": long_text
    }


# --- malformed requests -----------------------------------------------------------------


def test_malformed_or_misshapen_bodies_are_a_400(client: TestClient) -> None:
    ada = create(client, "contacts", minimal("contacts"))
    targets = (
        ("POST", "/crm/v3/objects/contacts"),
        ("PATCH", f"/crm/v3/objects/contacts/{ada['id']}"),
    )
    headers = {"Content-Type": "application/json"}
    for content in (
        b"{",
        b'{"properties": {"email": "a@b.co"',
        b"not json",
        b"{'properties': {}}",
        b"\xff\xfe",
    ):
        for method, url in targets:
            resp = client.request(method, url, content=content, headers=headers)
            body = assert_error(resp, 400, "VALIDATION_ERROR")
            assert "JSON" in body["message"], content
    not_objects: list[Any] = [[], [{"properties": {}}], "properties", 42, None]
    for payload in not_objects:
        for method, url in targets:
            assert_error(_send(client, method, url, payload), 400, "VALIDATION_ERROR")
    misshapen: list[dict[str, Any]] = [
        {},
        {"props": {}},
        {"properties": None},
        {"properties": []},
        {"properties": "email=a@b.co"},
        {"properties": 1},
    ]
    for payload in misshapen:
        for method, url in targets:
            body = assert_error(_send(client, method, url, payload), 400, "VALIDATION_ERROR")
            assert "properties" in body["message"], payload
            assert body["errors"][0]["context"] == {"field": ["properties"]}
    assert client.get("/crm/v3/objects/contacts").json()["results"] == [
        get(client, "contacts", ada["id"])
    ]


def test_json_without_content_type_is_still_read(client: TestClient) -> None:
    resp = client.post(
        "/crm/v3/objects/contacts", content=b'{"properties": {"email": "raw@example.com"}}'
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["properties"]["email"] == "raw@example.com"


def test_body_that_is_not_utf8_is_a_validation_error(client: TestClient) -> None:
    resp = client.post(
        "/crm/v3/objects/contacts",
        content=b'{"properties": {"firstname": "\xff"}}',
        headers={"Content-Type": "application/json"},
    )
    assert_error(resp, 400, "VALIDATION_ERROR")


def test_unknown_object_type_is_a_404(client: TestClient) -> None:
    for method, url, payload in (
        ("GET", "/crm/v3/objects/widgets", None),
        ("GET", "/crm/v3/objects/widgets/1", None),
        ("POST", "/crm/v3/objects/widgets", {"properties": {}}),
        ("PATCH", "/crm/v3/objects/widgets/1", {"properties": {}}),
        ("DELETE", "/crm/v3/objects/widgets/1", None),
        ("POST", "/revline/v1/objects/widgets/1/restore", None),
        ("GET", "/crm/v3/objects/0-99", None),
    ):
        body = assert_error(client.request(method, url, json=payload), 404, "OBJECT_NOT_FOUND")
        assert "widgets" in body["message"] or "0-99" in body["message"]


def test_object_type_aliases(client: TestClient) -> None:
    ada = create(client, "contact", minimal("contacts"))
    for alias in ("contacts", "contact", "0-1", "CONTACTS"):
        assert get(client, alias, ada["id"])["id"] == ada["id"]
    deal = create(client, "0-3", {"dealname": "By type id"})
    assert get(client, "deals", deal["id"])["properties"]["dealname"] == "By type id"
    note = create(client, "note", minimal("notes"))
    assert get(client, "notes", note["id"])["id"] == note["id"]
    # Engagements share a table but not an id space per type: a note is not a call.
    assert_error(client.get(f"/crm/v3/objects/calls/{note['id']}"), 404, "OBJECT_NOT_FOUND")


def test_path_quirks_of_hubspot_clients(client: TestClient) -> None:
    ada = create(client, "contacts", minimal("contacts"))
    json_header = {"Content-Type": "application/json"}
    # Absolute URLs: httpx would read a relative "//crm/..." as a host name.
    for url in (
        f"{BASE}//crm/v3/objects/contacts",
        f"{BASE}/crm/v3/objects/contacts/",
        f"{BASE}//crm/v3/objects/contacts/",
        f"{BASE}//crm/v3/objects/contacts/{ada['id']}",
        f"{BASE}/crm/v3/objects/contacts/{ada['id']}/",
    ):
        resp = client.get(url, headers=json_header, follow_redirects=False)
        assert resp.status_code == 200, (url, resp.status_code)
    via_slash = client.post(
        f"{BASE}//crm/v3/objects/contacts/", json={"properties": minimal("contacts", 2)}
    )
    assert via_slash.status_code == 201, via_slash.text
    # An empty body with a JSON content type on DELETE and restore is fine.
    assert (
        client.delete(f"/crm/v3/objects/contacts/{ada['id']}/", headers=json_header).status_code
        == 204
    )
    restored = client.post(
        f"{BASE}//revline/v1/objects/contacts/{ada['id']}/restore", headers=json_header
    )
    assert restored.status_code == 200, restored.text
    assert_error(client.get("/crm/v3/nothing-here"), 404, "OBJECT_NOT_FOUND")


# --- updating, archiving, restoring -----------------------------------------------------


def test_patch_changes_only_the_given_properties(client: TestClient) -> None:
    ada = create(
        client, "contacts", {"email": "ada@example.com", "firstname": "Ada", "city": "London"}
    )
    resp = client.patch(
        f"/crm/v3/objects/contacts/{ada['id']}",
        json={"properties": {"firstname": "Augusta", "jobtitle": "Analyst"}},
    )
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["id"] == ada["id"]
    assert out["properties"]["firstname"] == "Augusta"
    assert out["properties"]["jobtitle"] == "Analyst"
    assert out["updatedAt"] >= ada["updatedAt"]
    assert out["createdAt"] == ada["createdAt"]
    now = get(client, "contacts", ada["id"], properties="email,firstname,city,jobtitle")
    assert now["properties"] == {
        "email": "ada@example.com",
        "firstname": "Augusta",
        "city": "London",
        "jobtitle": "Analyst",
    }

    empty = client.patch(f"/crm/v3/objects/contacts/{ada['id']}", json={"properties": {}})
    assert empty.status_code == 200, empty.text


def test_delete_is_204_and_restore_brings_the_record_back(client: TestClient) -> None:
    ada = create(client, "contacts", {"email": "ada@example.com", "firstname": "Ada"})
    url = f"/crm/v3/objects/contacts/{ada['id']}"

    gone = client.delete(url)
    assert gone.status_code == 204
    assert gone.content == b""
    assert_error(client.get(url), 404, "OBJECT_NOT_FOUND")
    assert_error(client.patch(url, json={"properties": {"city": "Paris"}}), 404, "OBJECT_NOT_FOUND")
    assert_error(
        client.get("/crm/v3/objects/contacts/ada%40example.com?idProperty=email"),
        404,
        "OBJECT_NOT_FOUND",
    )
    archived = get(client, "contacts", ada["id"], archived="true")
    assert archived["archived"] is True
    assert ISO_MS.match(archived["archivedAt"])
    # Archiving again changes nothing.
    assert client.delete(url).status_code == 204

    restored = client.post(f"/revline/v1/objects/contacts/{ada['id']}/restore")
    assert restored.status_code == 200, restored.text
    assert restored.json()["archived"] is False
    assert "archivedAt" not in restored.json()
    assert restored.json()["properties"]["email"] == "ada@example.com"
    assert get(client, "contacts", ada["id"])["properties"]["firstname"] == "Ada"
    assert [r["id"] for r in client.get("/crm/v3/objects/contacts").json()["results"]] == [
        ada["id"]
    ]
    # Restoring a live record is a 404: there is no archived record with that id.
    assert_error(
        client.post(f"/revline/v1/objects/contacts/{ada['id']}/restore"), 404, "OBJECT_NOT_FOUND"
    )


def test_unique_email_is_a_409_naming_the_existing_record(client: TestClient) -> None:
    ada = create(client, "contacts", {"email": "ada@example.com"})
    dup = client.post(
        "/crm/v3/objects/contacts", json={"properties": {"email": " ADA@example.COM"}}
    )
    body = assert_error(dup, 409, "CONFLICT")
    assert f"Existing ID: {ada['id']}" in body["message"]
    assert body["context"]["existingId"] == [ada["id"]]

    bob = create(client, "contacts", {"email": "bob@example.com"})
    clash = client.patch(
        f"/crm/v3/objects/contacts/{bob['id']}", json={"properties": {"email": "ada@example.com"}}
    )
    assert f"Existing ID: {ada['id']}" in assert_error(clash, 409, "CONFLICT")["message"]
    # Writing a record's own email again is no conflict.
    same = client.patch(
        f"/crm/v3/objects/contacts/{ada['id']}", json={"properties": {"email": "Ada@Example.com"}}
    )
    assert same.status_code == 200, same.text

    # An archived record's email may be re-used; restoring it then conflicts.
    assert client.delete(f"/crm/v3/objects/contacts/{ada['id']}").status_code == 204
    ada2 = create(client, "contacts", {"email": "ada@example.com"})
    refused = client.post(f"/revline/v1/objects/contacts/{ada['id']}/restore")
    body = assert_error(refused, 409, "CONFLICT")
    assert f"Existing ID: {ada2['id']}" in body["message"]
    assert get(client, "contacts", ada["id"], archived="true")["archived"] is True

    # Once the email is free again the restore works.
    free = client.patch(
        f"/crm/v3/objects/contacts/{ada2['id']}", json={"properties": {"email": "ada2@example.com"}}
    )
    assert free.status_code == 200, free.text
    assert client.post(f"/revline/v1/objects/contacts/{ada['id']}/restore").status_code == 200


def test_unique_domain_is_a_409_naming_the_existing_company(client: TestClient) -> None:
    acme = create(client, "companies", {"name": "Acme", "domain": "acme.io"})
    dup = client.post(
        "/crm/v3/objects/companies",
        json={"properties": {"name": "Acme again", "domain": "http://www.ACME.io/"}},
    )
    body = assert_error(dup, 409, "CONFLICT")
    assert f"Existing ID: {acme['id']}" in body["message"]
    assert body["context"]["domain"] == ["acme.io"]
    bad = client.post("/crm/v3/objects/companies", json={"properties": {"domain": "not a domain"}})
    assert codes(assert_error(bad, 400, "VALIDATION_ERROR")) == {"domain": "INVALID_DOMAIN"}


def test_custom_unique_property_conflicts_too(client: TestClient) -> None:
    make_property(client, "contacts", "x_badge", "string", "text", hasUniqueValue=True)
    first = create(client, "contacts", {"x_badge": "B-1"})
    body = assert_error(
        client.post("/crm/v3/objects/contacts", json={"properties": {"x_badge": "B-1"}}),
        409,
        "CONFLICT",
    )
    assert f"Existing ID: {first['id']}" in body["message"]
    found = client.get("/crm/v3/objects/contacts/B-1", params={"idProperty": "x_badge"})
    assert found.status_code == 200, found.text
    assert found.json()["id"] == first["id"]


# --- history ----------------------------------------------------------------------------


def test_properties_with_history_keeps_every_change_newest_first(client: TestClient) -> None:
    ada = create(client, "contacts", {"email": "ada@example.com", "firstname": "Ada"})
    url = f"/crm/v3/objects/contacts/{ada['id']}"
    for props in (
        {"firstname": "Augusta"},
        {"lastname": "Lovelace"},  # firstname untouched: no new entry
        {"firstname": "Augusta"},  # unchanged value: no new entry
        {"firstname": "Ada"},
        {"firstname": None},
    ):
        assert client.patch(url, json={"properties": props}).status_code == 200

    read = get(client, "contacts", ada["id"], propertiesWithHistory="firstname,lastname")
    history = read["propertiesWithHistory"]
    assert set(history) == {"firstname", "lastname"}
    assert [h["value"] for h in history["firstname"]] == ["", "Ada", "Augusta", "Ada"]
    assert [h["value"] for h in history["lastname"]] == ["Lovelace"]
    for entry in history["firstname"] + history["lastname"]:
        assert ISO_MS.match(entry["timestamp"])
        assert entry["sourceType"] == "API"
        assert entry["sourceId"] == "token:tests"
    stamps = [h["timestamp"] for h in history["firstname"]]
    assert stamps == sorted(stamps, reverse=True)
    assert history["firstname"][-1]["timestamp"] == ada["createdAt"]
    # The plain properties still come back alongside.
    assert read["properties"]["email"] == "ada@example.com"

    # Repeated keys work too, and unknown names are skipped.
    repeated = client.get(
        f"{url}?propertiesWithHistory=lastname&propertiesWithHistory=nosuch"
    ).json()
    assert set(repeated["propertiesWithHistory"]) == {"lastname"}

    listed = client.get(
        "/crm/v3/objects/contacts", params={"propertiesWithHistory": "email"}
    ).json()
    assert [h["value"] for h in listed["results"][0]["propertiesWithHistory"]["email"]] == [
        "ada@example.com"
    ]
    assert "propertiesWithHistory" not in get(client, "contacts", ada["id"])


def test_history_order_follows_change_time_through_the_service(
    client: TestClient, database: Database
) -> None:
    t0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
    with database.unit_of_work() as session:
        view = records.create_record(
            session, CONTACTS, {"email": "h@example.com", "firstname": "One"}, now=t0
        )
        for i, name in enumerate(("Two", "Three", "Four"), start=1):
            records.update_record(
                session,
                CONTACTS,
                str(view.id),
                {"firstname": name},
                source=records.WriteSource("IMPORT", "import:7", None),
                now=t0 + timedelta(hours=i),
            )
    history = get(client, "contacts", str(view.id), propertiesWithHistory="firstname")
    entries = history["propertiesWithHistory"]["firstname"]
    assert [(e["value"], e["timestamp"], e["sourceType"]) for e in entries] == [
        ("Four", "2024-01-01T12:00:00.000Z", "IMPORT"),
        ("Three", "2024-01-01T11:00:00.000Z", "IMPORT"),
        ("Two", "2024-01-01T10:00:00.000Z", "IMPORT"),
        ("One", "2024-01-01T09:00:00.000Z", "API"),
    ]
    assert entries[0]["sourceId"] == "import:7"
    assert history["updatedAt"] == "2024-01-01T12:00:00.000Z"
    assert history["createdAt"] == "2024-01-01T09:00:00.000Z"


# --- deals ------------------------------------------------------------------------------


def _deal_state(client: TestClient, deal_id: str) -> dict[str, Any]:
    names = (
        "pipeline,dealstage,hs_deal_stage_probability,hs_is_closed,hs_is_closed_won,"
        "hs_is_closed_lost"
    )
    props: dict[str, Any] = get(client, "deals", deal_id, properties=names)["properties"]
    return props


def _make_pipeline(
    client: TestClient, label: str, stages: list[tuple[str, str, bool]]
) -> dict[str, Any]:
    resp = client.post(
        "/crm/v3/pipelines/deals",
        json={
            "label": label,
            "displayOrder": 1,
            "stages": [
                {
                    "label": s_label,
                    "displayOrder": i,
                    "metadata": {"probability": prob, "isClosed": str(closed).lower()},
                }
                for i, (s_label, prob, closed) in enumerate(stages)
            ],
        },
    )
    assert resp.status_code == 201, resp.text
    out: dict[str, Any] = resp.json()
    return out


def test_deal_defaults_to_default_pipeline_and_first_stage(client: TestClient) -> None:
    deal = create(client, "deals", {"dealname": "Defaults"})
    assert deal["properties"]["pipeline"] == "default"
    assert deal["properties"]["dealstage"] == "appointmentscheduled"
    assert _deal_state(client, deal["id"]) == {
        "pipeline": "default",
        "dealstage": "appointmentscheduled",
        "hs_deal_stage_probability": "0.2",
        "hs_is_closed": "false",
        "hs_is_closed_won": "false",
        "hs_is_closed_lost": "false",
    }
    explicit = create(client, "deals", {"dealname": "Explicit", "dealstage": "contractsent"})
    assert _deal_state(client, explicit["id"])["hs_deal_stage_probability"] == "0.9"


def test_deal_closed_flags_follow_the_stage(client: TestClient) -> None:
    deal = create(client, "deals", {"dealname": "Moves"})
    url = f"/crm/v3/objects/deals/{deal['id']}"
    expectations = [
        ("closedwon", "1", "true", "true", "false"),
        ("closedlost", "0", "true", "false", "true"),
        ("qualifiedtobuy", "0.4", "false", "false", "false"),
        ("decisionmakerboughtin", "0.8", "false", "false", "false"),
    ]
    for stage, prob, closed, won, lost in expectations:
        values = {"dealstage": stage}
        if stage == "closedlost":
            values["closed_lost_reason"] = "PRICE"  # the stage asks for a reason
        resp = client.patch(url, json={"properties": values})
        assert resp.status_code == 200, resp.text
        assert _deal_state(client, deal["id"]) == {
            "pipeline": "default",
            "dealstage": stage,
            "hs_deal_stage_probability": prob,
            "hs_is_closed": closed,
            "hs_is_closed_won": won,
            "hs_is_closed_lost": lost,
        }
    won_at_create = create(client, "deals", {"dealname": "Won", "dealstage": "closedwon"})
    assert _deal_state(client, won_at_create["id"])["hs_is_closed_won"] == "true"
    history = get(client, "deals", deal["id"], propertiesWithHistory="dealstage,hs_is_closed")
    assert [h["value"] for h in history["propertiesWithHistory"]["dealstage"]] == [
        "decisionmakerboughtin",
        "qualifiedtobuy",
        "closedlost",
        "closedwon",
        "appointmentscheduled",
    ]
    assert [h["value"] for h in history["propertiesWithHistory"]["hs_is_closed"]] == [
        "false",
        "true",
        "false",
    ]


def test_deal_stage_must_belong_to_the_pipeline(client: TestClient) -> None:
    other = _make_pipeline(
        client, "Renewals", [("Open", "0.5", False), ("Renewed", "1.0", True), ("Lost", "0", True)]
    )
    other_open, other_won = other["stages"][0]["id"], other["stages"][1]["id"]

    resp = client.post(
        "/crm/v3/objects/deals", json={"properties": {"dealname": "X", "dealstage": other_open}}
    )
    body = assert_error(resp, 400, "VALIDATION_ERROR")
    assert codes(body) == {"dealstage": "INVALID_OPTION"}
    assert "appointmentscheduled" in body["errors"][0]["message"]

    resp = client.post(
        "/crm/v3/objects/deals", json={"properties": {"dealname": "X", "pipeline": "nosuch"}}
    )
    assert codes(assert_error(resp, 400, "VALIDATION_ERROR")) == {"pipeline": "INVALID_OPTION"}

    in_other = create(client, "deals", {"dealname": "Renewal", "pipeline": other["id"]})
    assert in_other["properties"]["dealstage"] == other_open

    deal = create(client, "deals", {"dealname": "Mover"})
    url = f"/crm/v3/objects/deals/{deal['id']}"
    # Moving pipeline while the current stage is not in the new one is refused.
    moved = client.patch(url, json={"properties": {"pipeline": other["id"]}})
    assert codes(assert_error(moved, 400, "VALIDATION_ERROR")) == {"dealstage": "INVALID_OPTION"}
    assert _deal_state(client, deal["id"])["pipeline"] == "default"
    # A stage from the other pipeline without moving pipeline is refused too.
    wrong = client.patch(url, json={"properties": {"dealstage": other_won}})
    assert codes(assert_error(wrong, 400, "VALIDATION_ERROR")) == {"dealstage": "INVALID_OPTION"}
    # Clearing the stage or the pipeline is refused.
    for name in ("dealstage", "pipeline"):
        cleared = client.patch(url, json={"properties": {name: ""}})
        assert codes(assert_error(cleared, 400, "VALIDATION_ERROR")) == {name: "REQUIRED"}

    both = client.patch(url, json={"properties": {"pipeline": other["id"], "dealstage": other_won}})
    assert both.status_code == 200, both.text
    assert _deal_state(client, deal["id"]) == {
        "pipeline": other["id"],
        "dealstage": other_won,
        "hs_deal_stage_probability": "1",
        "hs_is_closed": "true",
        "hs_is_closed_won": "true",
        "hs_is_closed_lost": "false",
    }


def test_deal_currency_and_amount_rules(client: TestClient) -> None:
    resp = client.post(
        "/crm/v3/objects/deals",
        json={"properties": {"dealname": "X", "deal_currency_code": "EURO", "amount": "lots"}},
    )
    assert codes(assert_error(resp, 400, "VALIDATION_ERROR")) == {
        "deal_currency_code": "INVALID_CURRENCY",
        "amount": "INVALID_NUMBER",
    }
    ok = create(client, "deals", {"dealname": "X", "amount": 1234.56, "deal_currency_code": "usd"})
    assert get(client, "deals", ok["id"], properties="amount,deal_currency_code")["properties"] == {
        "amount": "1234.56",
        "deal_currency_code": "USD",
    }


# --- engagements ------------------------------------------------------------------------


def test_engagements_need_hs_timestamp(client: TestClient) -> None:
    for object_type in ENGAGEMENTS:
        missing = client.post(f"/crm/v3/objects/{object_type}", json={"properties": {}})
        body = assert_error(missing, 400, "VALIDATION_ERROR")
        assert codes(body) == {"hs_timestamp": "REQUIRED"}

        unreadable = client.post(
            f"/crm/v3/objects/{object_type}", json={"properties": {"hs_timestamp": "someday"}}
        )
        body = assert_error(unreadable, 400, "VALIDATION_ERROR")
        assert bad_names(body) == ["hs_timestamp"], "one problem per property"
        assert body["errors"][0]["code"] == "INVALID_DATETIME"

        made = create(client, object_type, {"hs_timestamp": 1714566896789})
        assert made["properties"]["hs_timestamp"] == "2024-05-01T12:34:56.789Z"
        assert made["properties"]["hs_createdate"] == made["createdAt"]
        cleared = client.patch(
            f"/crm/v3/objects/{object_type}/{made['id']}",
            json={"properties": {"hs_timestamp": None}},
        )
        assert codes(assert_error(cleared, 400, "VALIDATION_ERROR")) == {"hs_timestamp": "REQUIRED"}
        other = client.patch(
            f"/crm/v3/objects/{object_type}/{made['id']}",
            json={"properties": {"hubspot_owner_id": None}},
        )
        assert other.status_code == 200, "a stored hs_timestamp satisfies the rule"


def test_engagement_specific_properties(client: TestClient) -> None:
    call = create(
        client,
        "calls",
        {
            "hs_timestamp": WHEN,
            "hs_call_title": "Intro",
            "hs_call_direction": "OUTBOUND",
            "hs_call_duration": "61000",
            "hs_call_disposition": "f240bbac-87c9-4f6e-bf70-924b57d47db7",
        },
    )
    assert call["properties"]["hs_call_duration"] == "61000"
    task_bad = client.post(
        "/crm/v3/objects/tasks",
        json={
            "properties": {
                "hs_timestamp": WHEN,
                "hs_task_status": "DONE",
                "hs_task_priority": "low",
                "hs_task_type": "TODO",
            }
        },
    )
    assert codes(assert_error(task_bad, 400, "VALIDATION_ERROR")) == {
        "hs_task_status": "INVALID_OPTION",
        "hs_task_priority": "INVALID_OPTION",
    }
    meeting_bad = client.post(
        "/crm/v3/objects/meetings",
        json={
            "properties": {
                "hs_timestamp": WHEN,
                "hs_meeting_start_time": "2024-05-01T10:00:00Z",
                "hs_meeting_end_time": "2024-05-01T09:00:00Z",
            }
        },
    )
    assert codes(assert_error(meeting_bad, 400, "VALIDATION_ERROR")) == {
        "hs_meeting_end_time": "INVALID_RANGE"
    }
    meeting = create(
        client,
        "meetings",
        {
            "hs_timestamp": WHEN,
            "hs_meeting_start_time": "2024-05-01T10:00:00Z",
            "hs_meeting_end_time": "2024-05-01T11:00:00Z",
            "hs_meeting_outcome": "COMPLETED",
        },
    )
    # The range is checked against stored values on update too.
    earlier = client.patch(
        f"/crm/v3/objects/meetings/{meeting['id']}",
        json={"properties": {"hs_meeting_end_time": "2024-05-01T09:59:59Z"}},
    )
    assert codes(assert_error(earlier, 400, "VALIDATION_ERROR")) == {
        "hs_meeting_end_time": "INVALID_RANGE"
    }
    # Properties of another engagement type do not exist here.
    cross = client.post(
        "/crm/v3/objects/notes", json={"properties": {"hs_timestamp": WHEN, "hs_call_title": "x"}}
    )
    assert codes(assert_error(cross, 400, "VALIDATION_ERROR")) == {
        "hs_call_title": "PROPERTY_DOESNT_EXIST"
    }


# --- owners on records ------------------------------------------------------------------


def test_owner_id_must_name_an_existing_owner(client: TestClient, database: Database) -> None:
    with database.unit_of_work() as session:
        owner_id = auth_service.create_user(session, email="rep@example.com").id
    ok = create(client, "contacts", {"email": "a@example.com", "hubspot_owner_id": owner_id})
    assert ok["properties"]["hubspot_owner_id"] == str(owner_id)
    as_text = create(client, "deals", {"dealname": "D", "hubspot_owner_id": f" {owner_id} "})
    assert get(client, "deals", as_text["id"], properties="hubspot_owner_id")["properties"] == {
        "hubspot_owner_id": str(owner_id)
    }
    for bad in (owner_id + 1000, "abc", "-1", "1.0", "9" * 30, "²", True):
        resp = client.post(
            "/crm/v3/objects/contacts",
            json={"properties": {"email": "b@example.com", "hubspot_owner_id": bad}},
        )
        body = assert_error(resp, 400, "VALIDATION_ERROR")
        assert codes(body) == {"hubspot_owner_id": "INVALID_OWNER_ID"}, bad
    cleared = client.patch(
        f"/crm/v3/objects/contacts/{ok['id']}", json={"properties": {"hubspot_owner_id": ""}}
    )
    assert cleared.status_code == 200, cleared.text
    assert get(client, "contacts", ok["id"], properties="hubspot_owner_id")["properties"] == {
        "hubspot_owner_id": None
    }


# --- never a 500 ------------------------------------------------------------------------

# Values of every JSON kind, plus strings that are hostile to one engine or another.
GARBAGE_VALUES: list[Any] = [
    None,
    True,
    1.5,
    10**30,
    1e308,
    "",
    "x" * 70_000,
    "9" * 40,
    "1e-1000000",
    "NaN",
    "nul\x00byte",
    "lone \ud800 surrogate",
    "²",
    "2024-02-30",
    "0001-01-01T00:00:00+01:00",
    "999999999999999",
    "'; DROP TABLE contacts; --",
    "a;b;c",
    [],
    {"value": "x"},
]

GARBAGE_BODIES: list[Any] = [
    None,
    True,
    0,
    "text",
    [],
    [{"properties": {}}],
    {},
    {"properties": None},
    {"properties": True},
    {"properties": 12},
    {"properties": "x"},
    {"properties": ["email"]},
    {"properties": [{"name": "email", "value": "a@b.co"}]},
    {"properties": {"\ud800": "x"}},
    {"properties": {"": "x"}},
    {"properties": {"x\x00": "x"}},
    {"properties": {"nosuch": 1}, "associations": None},
    {"properties": {}, "associations": "x"},
    {"properties": {}, "associations": {}},
    {"properties": {}, "associations": [None]},
    {"properties": {}, "associations": [1, "a", []]},
    {"properties": {}, "associations": [{"to": None, "types": None}]},
    {"properties": {}, "associations": [{"to": {"id": "abc"}, "types": []}]},
    {"properties": {}, "associations": [{"to": {"id": "9" * 30}, "types": [{}]}]},
    {
        "properties": {},
        "associations": [
            {"to": {"id": "9" * 30}, "types": [{"associationTypeId": 1}]},
        ],
    },
    {
        "properties": {},
        "associations": [
            {"to": {"id": "²"}, "types": [{"associationTypeId": 279}]},
        ],
    },
    {
        "properties": {},
        "associations": [
            {"to": {"id": 1}, "types": [{"associationTypeId": "x", "associationCategory": 5}]},
        ],
    },
    {
        "properties": {},
        "associations": [
            {
                "to": {"id": "1"},
                "types": [{"associationTypeId": 10**30, "associationCategory": None}],
            },
        ],
    },
    {
        "properties": {},
        "associations": [
            {
                "to": {"id": "1"},
                "types": [{"associationTypeId": 279, "associationCategory": "USER_DEFINED"}],
            },
        ],
    },
]


def _send(client: TestClient, method: str, url: str, payload: Any) -> httpx.Response:
    # json.dumps keeps lone surrogates as \\ud800 escapes, exactly as a client would send them.
    resp: httpx.Response = client.request(
        method, url, content=json.dumps(payload), headers={"Content-Type": "application/json"}
    )
    return resp


def _assert_4xx(resp: httpx.Response, what: Any) -> None:
    assert 400 <= resp.status_code < 500, (what, resp.status_code, resp.text[:500])
    body = resp.json()
    assert body["status"] == "error", what
    assert set(body) >= ERROR_KEYS, what


def test_garbage_request_bodies_never_cause_a_500(client: TestClient) -> None:
    for object_type in ALL_TYPES:
        record = create(client, object_type, minimal(object_type))
        item = f"/crm/v3/objects/{object_type}/{record['id']}"
        for payload in GARBAGE_BODIES:
            _assert_4xx(_send(client, "POST", f"/crm/v3/objects/{object_type}", payload), payload)
            if not isinstance(payload, dict) or "associations" not in payload:
                _assert_4xx(_send(client, "PATCH", item, payload), payload)
        for content in (b"", b"{", b"\xff", b"\x00", b"[" * 10_000, b'{"properties": {"a": 1}'):
            for method, url in (("POST", f"/crm/v3/objects/{object_type}"), ("PATCH", item)):
                resp = client.request(
                    method, url, content=content, headers={"Content-Type": "application/json"}
                )
                _assert_4xx(resp, content[:20])


# Values that may pass validation and so reach the database: too long for a column,
# out of any engine's range, or digits that are not ASCII.
PLAUSIBLE_VALUES: list[Any] = ["x" * 1000, 10**17, "9" * 40, "²", " ", "100000000000000"]
# Properties checked by type-specific rules, sent one by one so no other value masks them.
RULED = {
    "email",
    "domain",
    "pipeline",
    "dealstage",
    "hubspot_owner_id",
    "deal_currency_code",
    "hs_timestamp",
    "hs_meeting_start_time",
    "hs_meeting_end_time",
}


@pytest.mark.parametrize("object_types", [ALL_TYPES[:3], ALL_TYPES[3:]])
def test_garbage_property_values_never_cause_a_500(
    client: TestClient, object_types: list[str]
) -> None:
    for object_type in object_types:
        _garbage_property_values(client, object_type)


def _garbage_property_values(client: TestClient, object_type: str) -> None:
    make_custom_properties(client, object_type)
    record = create(client, object_type, minimal(object_type))
    item = f"/crm/v3/objects/{object_type}/{record['id']}"
    listing = client.get(f"/crm/v3/properties/{object_type}").json()["results"]
    names = [p["name"] for p in listing]
    assert {"x_text", "x_flag", "hs_object_id"} <= set(names)
    for value in GARBAGE_VALUES:
        everything = {name: value for name in names}
        for method, url in (("POST", f"/crm/v3/objects/{object_type}"), ("PATCH", item)):
            resp = _send(client, method, url, {"properties": everything})
            assert resp.status_code < 500, (value, resp.text[:500])
            if isinstance(value, list | dict):
                # A wrong JSON type is a 400 naming every property.
                body = assert_error(resp, 400, "VALIDATION_ERROR")
                assert sorted(bad_names(body)) == sorted(names), value
    # Writable properties grouped by type: a value valid for one is valid for the group,
    # so the write really reaches the database.
    groups: dict[str, list[str]] = {}
    for p in listing:
        if not p["modificationMetadata"]["readOnlyValue"]:
            key = p["name"] if p["name"] in RULED else p["type"]
            groups.setdefault(key, []).append(p["name"])
    for value in PLAUSIBLE_VALUES:
        for group in groups.values():
            resp = _send(client, "PATCH", item, {"properties": dict.fromkeys(group, value)})
            assert resp.status_code < 500, (group, repr(value)[:50], resp.text[:500])
    # The record survived all of it.
    assert get(client, object_type, record["id"])["id"] == record["id"]


def test_garbage_query_parameters_never_cause_a_500(client: TestClient) -> None:
    ada = create(client, "contacts", {"email": "ada@example.com"})
    hostile = ["", "\x00", "²", "9" * 40, "-1", "a,b,,", "%", "true,false", "x" * 5000]
    for value in hostile:
        for name in ("limit", "after", "archived", "properties", "propertiesWithHistory"):
            resp = client.get("/crm/v3/objects/contacts", params={name: value})
            assert resp.status_code < 500, (name, value, resp.text[:300])
            resp = client.get(f"/crm/v3/objects/contacts/{ada['id']}", params={name: value})
            assert resp.status_code < 500, (name, value, resp.text[:300])
        resp = client.get(
            f"/crm/v3/objects/contacts/{quote(value, safe='')}", params={"idProperty": "email"}
        )
        assert resp.status_code < 500, (value, resp.text[:300])
        resp = client.get(f"/crm/v3/objects/contacts/{ada['id']}", params={"idProperty": value})
        assert resp.status_code < 500, (value, resp.text[:300])
    nul = client.get("/crm/v3/objects/contacts/ada%00%40example.com?idProperty=email")
    assert_error(nul, 404, "OBJECT_NOT_FOUND")
