"""Duplicate detection: scoring and reasons, near misses that must not match, refusing
likely duplicates on create, and the database scan (service and CLI)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from revline.crm.duplicates import service as duplicates
from revline.crm.object_types import COMPANIES, CONTACTS, DEALS
from revline.kit.db import Database
from tests.test_lifecycle_api import create, error_of, link


def candidates(client: TestClient, object_type: str, **body: Any) -> list[dict[str, Any]]:
    resp = client.post(f"/revline/v1/{object_type}/duplicates", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()["results"]  # type: ignore[no-any-return]


def rules_by_id(found: list[dict[str, Any]]) -> dict[str, set[str]]:
    return {c["id"]: {r["rule"] for r in c["reasons"]} for c in found}


def test_contact_matches_and_their_reasons(client: TestClient) -> None:
    ada = create(
        client,
        "contacts",
        email="Ada.Lovelace+crm@gmail.com",
        firstname="Ada",
        lastname="Lovelace",
        phone="+44 20 7946 0958",
    )
    colleague = create(
        client, "contacts", email="a.lovelace@engines.example", firstname="Ada", lastname="Lovelace"
    )

    same = candidates(client, "contacts", properties={"email": "ADA.LOVELACE+crm@GMAIL.com"})
    assert same[0]["id"] == ada and same[0]["score"] == 100
    assert same[0]["reasons"][0]["rule"] == "email" and same[0]["likely"] is True

    mailbox = candidates(client, "contacts", properties={"email": "adalovelace@googlemail.com"})
    assert rules_by_id(mailbox) == {ada: {"email_normalized"}}
    assert mailbox[0]["score"] == 95

    phone = candidates(client, "contacts", properties={"phone": "020 7946 0958"})
    assert rules_by_id(phone) == {ada: {"phone"}} and phone[0]["likely"] is False

    typo = candidates(
        client,
        "contacts",
        properties={"email": "ada@engines.example", "firstname": "Ada", "lastname": "Lovelase"},
    )
    assert rules_by_id(typo) == {colleague: {"name_and_company"}}
    assert typo[0]["score"] == 85

    both = candidates(
        client,
        "contacts",
        properties={"email": "adalovelace@gmail.com", "phone": "(020) 7946-0958"},
    )
    assert both[0]["id"] == ada and both[0]["score"] == 100  # 95 + 5 for the second reason


def test_contact_near_misses_do_not_match(client: TestClient) -> None:
    create(client, "contacts", email="ab@outlook.com", firstname="Ann", lastname="Byron")
    create(client, "contacts", email="ada@engines.example", firstname="Ada", lastname="Lovelace")
    create(client, "contacts", email="x@y.example", phone="12-34")
    misses = [
        {"email": "a.b@outlook.com"},  # Outlook keeps dots: another mailbox
        {"email": "ab+news@outlook.co"},  # another domain
        {"email": "ada@other.example", "firstname": "Ada", "lastname": "Lovelace"},
        {"email": "bob@engines.example", "firstname": "Ada", "lastname": "Byron"},
        {"phone": "1234"},  # too few digits to identify anyone
        {"firstname": "Ada", "lastname": "Lovelace"},  # a name alone is not enough
    ]
    for probe in misses:
        assert candidates(client, "contacts", properties=probe) == [], probe


def test_company_and_deal_matches(client: TestClient) -> None:
    acme = create(client, "companies", name="Acme, Inc.", domain="acme.example")
    robotics = create(client, "companies", name="Acme Robotics")
    create(client, "companies", name="Acme Analytics")
    assert rules_by_id(
        candidates(client, "companies", properties={"domain": "www.ACME.example"})
    ) == {acme: {"domain"}}
    assert rules_by_id(candidates(client, "companies", properties={"name": "ACME Inc"})) == {
        acme: {"name"}
    }
    fuzzy = candidates(client, "companies", properties={"name": "Acme Robotic"})
    assert [c["id"] for c in fuzzy] == [robotics]
    assert fuzzy[0]["reasons"][0]["rule"] == "name_fuzzy"
    assert candidates(client, "companies", properties={"name": "Acme Logistics"}) == []

    renewal = create(
        client, "deals", [link(acme, 5)], dealname="Acme renewal 2026", dealstage="qualifiedtobuy"
    )
    create(client, "deals", [link(robotics, 5)], dealname="Acme renewal 2026")
    found = candidates(
        client,
        "deals",
        properties={"dealname": "ACME Renewal - 2026", "pipeline": "default"},
        companyId=acme,
    )
    assert [c["id"] for c in found] == [renewal]


def test_refusing_likely_duplicates_on_create(client: TestClient) -> None:
    first = create(client, "contacts", email="grace@navy.example", firstname="Grace")
    body = {"properties": {"email": "Grace@Navy.example"}}
    refused = client.post("/crm/v3/objects/contacts?rejectDuplicates=true", json=body)
    error = error_of(refused, 409)
    assert error["context"]["duplicateIds"] == [first]
    assert error["errors"][0]["code"] == "LIKELY_DUPLICATE"
    # A phone-only resemblance (score 70) is not a likely duplicate: the create goes through.
    create(client, "contacts", email="g1@navy.example", phone="555 123 4567")
    ok = client.post(
        "/crm/v3/objects/contacts?rejectDuplicates=true",
        json={"properties": {"email": "g2@other.example", "phone": "(555) 123-4567"}},
    )
    assert ok.status_code == 201, ok.text
    company = client.post(
        "/crm/v3/objects/companies?rejectDuplicates=true",
        json={"properties": {"name": "Navy"}},
    )
    assert company.status_code == 201
    again = client.post(
        "/crm/v3/objects/companies?rejectDuplicates=true",
        json={"properties": {"name": "The Navy"}},
    )
    assert error_of(again, 409)["context"]["duplicateIds"] == [company.json()["id"]]


def test_invalid_requests(client: TestClient) -> None:
    error_of(client.post("/revline/v1/calls/duplicates", json={"properties": {}}))
    error_of(client.post("/revline/v1/contacts/duplicates", json={"properties": [1]}))
    error_of(client.post("/revline/v1/contacts/duplicates", json={"properties": {}, "limit": 0}))
    error_of(
        client.post("/revline/v1/contacts/duplicates", json={"properties": {"email": {"a": 1}}})
    )
    error_of(client.post("/revline/v1/deals/duplicates", json={"properties": {}, "companyId": "x"}))


def test_scan_finds_clusters_and_merges_them(client: TestClient, database: Database) -> None:
    a = create(client, "contacts", email="lin.wei@gmail.com", firstname="Lin", lastname="Wei")
    b = create(client, "contacts", email="linwei+crm@gmail.com", firstname="Lin", lastname="Wei")
    c = create(client, "contacts", email="lw@other.example", phone="+1 (415) 555-0100")
    d = create(client, "contacts", email="lin@third.example", phone="415.555.0100")
    e = create(client, "contacts", email="kim@corp.example", firstname="Kim", lastname="Park")
    f = create(client, "contacts", email="k.park@corp.example", firstname="Kim", lastname="Parke")
    create(client, "contacts", email="sam@corp.example", firstname="Sam", lastname="Lee")
    with database.unit_of_work() as s:
        result = duplicates.scan(s, CONTACTS)
    clusters = {tuple(str(i) for i in cl.ids): cl.rules for cl in result.clusters}
    assert clusters == {
        (a, b): ["email_normalized"],
        (e, f): ["name_and_company"],
    }
    with database.unit_of_work() as s:
        phone_too = duplicates.scan(s, CONTACTS, min_score=70)
    assert (c, d) in {tuple(str(i) for i in cl.ids) for cl in phone_too.clusters}
    assert result.records == 7

    with database.unit_of_work() as s:
        merged = duplicates.merge_clusters(s, CONTACTS, result.clusters, source=_source())
    assert merged == 2
    assert client.get(f"/crm/v3/objects/contacts/{b}").json()["id"] == a
    with database.unit_of_work() as s:
        assert duplicates.scan(s, CONTACTS).clusters == []

    x = create(client, "companies", name="Globex Corporation")
    y = create(client, "companies", name="GLOBEX corp.")
    create(client, "companies", name="Globex Logistics")
    with database.unit_of_work() as s:
        companies = duplicates.scan(s, COMPANIES)
        deals = duplicates.scan(s, DEALS)
    assert [[str(i) for i in cl.ids] for cl in companies.clusters] == [[x, y]]
    assert deals.clusters == []


def _source() -> Any:
    from revline.crm.records.context import WriteSource

    return WriteSource("CRM_UI", "tests", None)
