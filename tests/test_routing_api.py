"""Owner routing: first matching rule wins, round robin fairness, least open leads,
unavailable owners skipped, lifecycle-stage triggers with company conditions, history, the
workload view and rule validation."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from starlette.testclient import TestClient

from revline.auth import service as auth_service
from revline.kit.db import Database
from tests.test_lifecycle_api import create, error_of, link, props, update


@pytest.fixture
def teams(database: Database) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"EMEA": [], "US": []}
    with database.unit_of_work() as s:
        for team, n in (("EMEA", 3), ("US", 2)):
            for i in range(n):
                user = auth_service.create_user(
                    s, email=f"{team.lower()}{i}@rev.example", team=team
                )
                out[team].append(str(user.id))
    return out


def rule(client: TestClient, **body: Any) -> str:
    resp = client.post("/revline/v1/routing-rules", json=body)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def batch(client: TestClient, inputs: list[dict[str, Any]]) -> list[str]:
    ids = []
    for start in range(0, len(inputs), 100):
        resp = client.post(
            "/crm/v3/objects/contacts/batch/create", json={"inputs": inputs[start : start + 100]}
        )
        assert resp.status_code == 201, resp.text
        ids += [r["id"] for r in resp.json()["results"]]
    return ids


def owners_of(client: TestClient, ids: list[str]) -> list[str | None]:
    by_id: dict[str, str | None] = {}
    for start in range(0, len(ids), 100):
        resp = client.post(
            "/crm/v3/objects/contacts/batch/read",
            json={
                "inputs": [{"id": i} for i in ids[start : start + 100]],
                "properties": ["hubspot_owner_id"],
            },
        )
        assert resp.status_code == 200, resp.text
        by_id.update(
            {r["id"]: r["properties"].get("hubspot_owner_id") for r in resp.json()["results"]}
        )
    return [by_id[i] for i in ids]


def test_round_robin_is_fair_and_skips_unavailable_owners(
    client: TestClient, teams: dict[str, list[str]]
) -> None:
    emea = rule(
        client,
        name="Europe",
        conditions=[{"propertyName": "country", "operator": "IN", "values": ["Germany", "France"]}],
        team="EMEA",
        method="round_robin",
    )
    rule(client, name="Everyone else", team="US", method="round_robin")
    leads = [
        {"properties": {"email": f"l{i}@x.example", "country": "Germany" if i % 2 else "France"}}
        for i in range(1000)
    ]
    owners = owners_of(client, batch(client, leads))
    spread = Counter(owners)
    assert set(spread) == set(teams["EMEA"])
    assert max(spread.values()) - min(spread.values()) <= 1  # 334 / 333 / 333
    us = owners_of(
        client, batch(client, [{"properties": {"email": "u@x.example", "country": "Peru"}}])
    )
    assert us[0] in teams["US"]

    away = teams["EMEA"][1]
    resp = client.put(f"/revline/v1/owners/{away}/availability", json={"available": False})
    assert resp.status_code == 200 and resp.json() == {"id": away, "available": False}
    later = owners_of(
        client,
        batch(
            client,
            [{"properties": {"email": f"m{i}@x.example", "country": "France"}} for i in range(40)],
        ),
    )
    assert away not in later and Counter(later) == {teams["EMEA"][0]: 20, teams["EMEA"][2]: 20}

    # An owner given by the writer is kept; the history names the rule for routed records.
    kept = create(client, "contacts", email="k@x.example", country="France", hubspot_owner_id=us[0])
    assert props(client, "contacts", kept, "hubspot_owner_id")["hubspot_owner_id"] == us[0]
    routed = create(client, "contacts", email="r@x.example", country="France")
    history = client.get(
        f"/crm/v3/objects/contacts/{routed}", params={"propertiesWithHistory": "hubspot_owner_id"}
    ).json()["propertiesWithHistory"]["hubspot_owner_id"]
    assert history[0]["sourceType"] == "AUTOMATION" and history[0]["sourceId"] == f"routing:{emea}"


def test_least_open_leads_and_stage_trigger_with_company_conditions(
    client: TestClient, teams: dict[str, list[str]]
) -> None:
    a, b = teams["US"]
    # a already works three open leads, b one.
    for i in range(3):
        create(
            client, "contacts", email=f"a{i}@w.example", hubspot_owner_id=a, hs_lead_status="OPEN"
        )
    create(client, "contacts", email="b0@w.example", hubspot_owner_id=b, hs_lead_status="CONNECTED")
    create(
        client, "contacts", email="b1@w.example", hubspot_owner_id=b, hs_lead_status="BAD_TIMING"
    )
    rule(
        client,
        name="Big accounts when sales-qualified",
        trigger="lifecycle_stage",
        triggerStage="salesqualifiedlead",
        conditions=[
            {"propertyName": "company.numberofemployees", "operator": "GTE", "value": "500"}
        ],
        team="US",
        method="least_open_leads",
    )
    big = create(client, "companies", name="Big", numberofemployees="5000")
    small = create(client, "companies", name="Small", numberofemployees="20")
    people = [
        create(client, "contacts", [link(big, 1)], email=f"p{i}@big.example", hs_lead_status="NEW")
        for i in range(3)
    ]
    other = create(client, "contacts", [link(small, 1)], email="s@small.example")
    assert props(client, "contacts", people[0], "hubspot_owner_id")["hubspot_owner_id"] is None
    for pid in [*people, other]:
        assert (
            update(client, "contacts", pid, lifecyclestage="salesqualifiedlead").status_code == 200
        )
    got = [props(client, "contacts", p, "hubspot_owner_id")["hubspot_owner_id"] for p in people]
    # b had 1 open lead, a 3: b takes the first two (then 2 and 3), a ties at 3 and wins on id.
    assert got == [b, b, a]
    assert props(client, "contacts", other, "hubspot_owner_id")["hubspot_owner_id"] is None

    workload = {
        w["ownerId"]: w for w in client.get("/revline/v1/owners/workload").json()["results"]
    }
    assert workload[a]["openLeads"] == {"total": 4, "byLeadStatus": {"OPEN": 3, "NEW": 1}}
    assert workload[b]["openLeads"]["total"] == 3  # BAD_TIMING is not open
    create(
        client, "deals", dealname="D", amount="1000", dealstage="qualifiedtobuy", hubspot_owner_id=a
    )
    create(client, "deals", dealname="W", amount="99", dealstage="closedwon", hubspot_owner_id=a)
    workload = {
        w["ownerId"]: w for w in client.get("/revline/v1/owners/workload").json()["results"]
    }
    assert workload[a]["openDeals"] == {
        "total": 1,
        "amount": "1000",
        "byStage": {"default/qualifiedtobuy": {"count": 1, "amount": "1000"}},
    }


def test_rules_are_ordered_and_validated(client: TestClient, teams: dict[str, list[str]]) -> None:
    first = rule(client, name="All", team="US")
    second = rule(
        client,
        name="Germany",
        conditions=[{"propertyName": "country", "operator": "EQ", "value": "Germany"}],
        team="EMEA",
    )
    cid = create(client, "contacts", email="g@x.example", country="Germany")
    assert props(client, "contacts", cid, "hubspot_owner_id")["hubspot_owner_id"] in teams["US"]
    resp = client.put(
        "/revline/v1/routing-rules/order", json={"objectType": "contacts", "order": [second, first]}
    )
    assert [r["id"] for r in resp.json()["results"]] == [second, first]
    cid = create(client, "contacts", email="g2@x.example", country="Germany")
    assert props(client, "contacts", cid, "hubspot_owner_id")["hubspot_owner_id"] in teams["EMEA"]

    assert (
        client.patch(f"/revline/v1/routing-rules/{second}", json={"active": False}).json()["active"]
        is False
    )
    cid = create(client, "contacts", email="g3@x.example", country="Germany")
    assert props(client, "contacts", cid, "hubspot_owner_id")["hubspot_owner_id"] in teams["US"]

    bad = [
        {"name": "x", "team": "Nope"},
        {"name": "x", "team": "US", "method": "random"},
        {"name": "x", "team": "US", "trigger": "lifecycle_stage", "triggerStage": "nope"},
        {
            "name": "x",
            "team": "US",
            "conditions": [{"propertyName": "nope", "operator": "EQ", "value": "1"}],
        },
        {
            "name": "x",
            "team": "US",
            "conditions": [{"propertyName": "country", "operator": "GT", "value": "a"}],
        },
        {
            "name": "x",
            "team": "US",
            "conditions": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "zzz"}],
        },
        {"name": "x", "team": "US", "conditions": "country=Germany"},
        {"name": "", "team": "US"},
        {"name": "x", "team": "US", "objectType": "deals"},
    ]
    for body in bad:
        error_of(client.post("/revline/v1/routing-rules", json=body))
    error_of(client.put("/revline/v1/routing-rules/order", json={"order": [first]}))
    error_of(client.get("/revline/v1/routing-rules/999"), 404)
    error_of(client.put("/revline/v1/owners/999/availability", json={"available": False}), 404)
    error_of(
        client.put(f"/revline/v1/owners/{teams['US'][0]}/availability", json={"available": "no"})
    )
    assert client.delete(f"/revline/v1/routing-rules/{first}").status_code == 204
    assert [r["id"] for r in client.get("/revline/v1/routing-rules").json()["results"]] == [second]
