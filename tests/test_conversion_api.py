"""Lead conversion: company matching (domain, fuzzy name, near misses), deal creation,
filling only empty values, lifecycle and lead status, idempotency and atomic refusals."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.test_lifecycle_api import create, error_of, events, link, props


def convert(client: TestClient, contact_id: str, **body: Any) -> Any:
    return client.post(f"/revline/v1/contacts/{contact_id}/convert", json=body)


def count(client: TestClient, object_type: str) -> int:
    resp = client.post(f"/crm/v3/objects/{object_type}/search", json={"limit": 1})
    return int(resp.json()["total"])


def deal_links(client: TestClient, deal_id: str, to: str) -> list[str]:
    resp = client.get(f"/crm/v4/objects/deals/{deal_id}/associations/{to}")
    assert resp.status_code == 200, resp.text
    return [str(r["toObjectId"]) for r in resp.json()["results"]]


def test_converts_with_the_company_of_the_email_domain_and_a_new_deal(
    client: TestClient,
) -> None:
    company = create(client, "companies", name="Acme", domain="acme.example")
    cid = create(
        client,
        "contacts",
        email="ada@acme.example",
        firstname="Ada",
        lastname="Lovelace",
        city="London",
        lifecyclestage="marketingqualifiedlead",
        hs_lead_status="CONNECTED",
    )
    resp = convert(
        client,
        cid,
        deal={"properties": {"amount": "12000", "dealstage": "qualifiedtobuy"}},
    )
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["company"] == {"id": company, "created": False, "matchedBy": "domain", "score": None}
    assert out["deal"]["created"] is True
    assert out["lifecycleStage"] == "opportunity"
    assert out["leadStatus"] == "OPEN_DEAL"
    assert out["alreadyConverted"] is False
    deal = out["deal"]["id"]
    assert deal_links(client, deal, "contacts") == [cid]
    assert deal_links(client, deal, "companies") == [company]
    got = props(client, "deals", deal, "dealname", "amount", "dealstage")
    assert got == {
        "dealname": "Ada Lovelace - New deal",
        "amount": "12000",
        "dealstage": "qualifiedtobuy",
    }
    # Empty values are filled, set ones kept: the company gets the contact's city, the
    # contact gets the company's name.
    assert props(client, "companies", company, "city", "name") == {"city": "London", "name": "Acme"}
    assert props(client, "contacts", cid, "company", "revline_lead_status_group") == {
        "company": "Acme",
        "revline_lead_status_group": "converted",
    }
    assert ("marketingqualifiedlead", "opportunity", "deal_sync") in events(client, "contacts", cid)

    deals_before = count(client, "deals")
    again = convert(client, cid, deal={"properties": {"amount": "1"}})
    assert again.status_code == 200
    assert again.json()["alreadyConverted"] is True
    assert again.json()["deal"]["id"] == deal and again.json()["company"]["id"] == company
    assert count(client, "deals") == deals_before


def test_fuzzy_company_name_matches_and_near_misses_do_not(client: TestClient) -> None:
    acme = create(client, "companies", name="Acme, Inc.")
    create(client, "companies", name="Acme Robotics Holdings")
    cid = create(client, "contacts", email="bo@gmail.com", company="ACME Corp")
    out = convert(client, cid).json()
    assert out["company"]["id"] == acme
    assert out["company"]["matchedBy"] == "name" and out["company"]["score"] >= 90
    assert out["deal"] is None
    assert out["lifecycleStage"] == "salesqualifiedlead"

    # "Acme Analytics" is not "Acme": a new company is created with the contact's name and
    # company domain.
    near = create(client, "contacts", email="cy@acme-analytics.example", company="Acme Analytics")
    out = convert(client, near).json()
    assert out["company"]["matchedBy"] == "created" and out["company"]["created"] is True
    assert out["company"]["id"] not in (acme,)
    assert props(client, "companies", out["company"]["id"], "name", "domain") == {
        "name": "Acme Analytics",
        "domain": "acme-analytics.example",
    }


def test_primary_company_and_explicit_company_win(client: TestClient) -> None:
    linked = create(client, "companies", name="Linked Ltd")
    chosen = create(client, "companies", name="Chosen GmbH")
    cid = create(client, "contacts", [link(linked, 1)], email="p@linked.example")
    assert convert(client, cid).json()["company"] == {
        "id": linked,
        "created": False,
        "matchedBy": "association",
        "score": None,
    }
    other = create(client, "contacts", [link(linked, 1)], email="q@linked.example")
    out = convert(client, other, company={"id": chosen}).json()
    assert out["company"]["matchedBy"] == "id" and out["company"]["id"] == chosen
    # The contact already had a primary company: the chosen one is linked alongside.
    links = client.get(f"/crm/v4/objects/contacts/{other}/associations/companies").json()
    assert {str(r["toObjectId"]) for r in links["results"]} == {linked, chosen}


def test_no_company_information_and_opting_out(client: TestClient) -> None:
    cid = create(client, "contacts", email="solo@gmail.com", firstname="Solo")
    out = convert(client, cid, deal={"properties": {}}).json()
    assert out["company"] is None
    assert out["deal"]["created"] is True
    assert props(client, "deals", out["deal"]["id"], "dealname")["dealname"] == "Solo - New deal"

    other = create(client, "contacts", email="x@newco.example", company="NewCo")
    out = convert(client, other, createCompany=False, matchCompany=False).json()
    assert out["company"] is None


def test_refusals_leave_nothing_behind(client: TestClient) -> None:
    cid = create(client, "contacts", email="r@refuse.example", company="Refuse Inc")
    companies, deals = count(client, "companies"), count(client, "deals")

    bad_stage = convert(client, cid, deal={"properties": {"dealstage": "nope"}})
    assert any(
        e["context"].get("propertyName") == ["dealstage"] for e in error_of(bad_stage)["errors"]
    )
    assert (count(client, "companies"), count(client, "deals")) == (companies, deals)
    assert props(client, "contacts", cid, "hs_lead_status")["hs_lead_status"] is None

    missing = convert(client, cid, company={"id": "999999"})
    assert error_of(missing)["errors"][0]["context"] == {"company.id": ["999999"]}
    error_of(convert(client, cid, company="Acme"))
    error_of(convert(client, cid, leadStatus="NEW"))
    error_of(convert(client, cid, lifecycleStage="customer"))
    error_of(convert(client, cid, matchCompany="yes"))
    error_of(convert(client, cid, deal={"properties": {"description": "x"}}))
    error_of(client.post(f"/revline/v1/contacts/{cid}/convert", json=[1]))
    error_of(convert(client, "999999"), 404)
    assert (count(client, "companies"), count(client, "deals")) == (companies, deals)

    # Nothing was recorded: the contact still converts afterwards.
    assert convert(client, cid).json()["alreadyConverted"] is False


def test_conversion_never_moves_a_stage_backwards(client: TestClient) -> None:
    cid = create(client, "contacts", email="c@gmail.com", lifecyclestage="customer")
    out = convert(client, cid, lifecycleStage="salesqualifiedlead").json()
    assert out["lifecycleStage"] == "customer"
    assert out["leadStatus"] == "OPEN_DEAL"
