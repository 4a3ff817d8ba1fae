"""Lifecycle stages, their forward-only rule and date stamps, lifecycle events, the sync rules
between deals, contacts and companies, lead statuses and the lifecycle views."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.testclient import TestClient

from revline.kit.db import Database
from tests.test_query_count import counting

DEFAULT_STAGES = [
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
]


def link(to_id: str, type_id: int) -> dict[str, Any]:
    return {
        "to": {"id": to_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


def create(
    client: TestClient, object_type: str, associations: list[Any] | None = None, **props: Any
) -> str:
    body: dict[str, Any] = {"properties": props}
    if associations:
        body["associations"] = associations
    resp = client.post(f"/crm/v3/objects/{object_type}", json=body)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def update(client: TestClient, object_type: str, record_id: str, **props: Any) -> httpx.Response:
    return client.patch(f"/crm/v3/objects/{object_type}/{record_id}", json={"properties": props})


def props(client: TestClient, object_type: str, record_id: str, *names: str) -> dict[str, Any]:
    resp = client.get(
        f"/crm/v3/objects/{object_type}/{record_id}", params={"properties": ",".join(names)}
    )
    assert resp.status_code == 200, resp.text
    return {n: resp.json()["properties"].get(n) for n in names}


def stage(client: TestClient, object_type: str, record_id: str) -> str | None:
    return props(client, object_type, record_id, "lifecyclestage")["lifecyclestage"]


def error_of(resp: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["status"] == "error" and body["message"]
    return body  # type: ignore[no-any-return]


def codes(body: dict[str, Any]) -> set[str]:
    return {e.get("code") for e in body.get("errors", [])}


def events(client: TestClient, object_type: str, record_id: str) -> list[tuple[Any, Any, str]]:
    resp = client.get(f"/revline/v1/{object_type}/{record_id}/lifecycle-history")
    assert resp.status_code == 200, resp.text
    return [(e["from"], e["to"], e["source"]) for e in resp.json()["results"]]


def test_default_stages_and_their_date_properties(client: TestClient) -> None:
    resp = client.get("/revline/v1/lifecycle-stages")
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert [s["value"] for s in results] == DEFAULT_STAGES
    assert [s["displayOrder"] for s in results] == list(range(8))
    assert results[2]["dateProperty"] == "hs_lifecyclestage_marketingqualifiedlead_date"
    for object_type in ("contacts", "companies"):
        prop = client.get(
            f"/crm/v3/properties/{object_type}/hs_lifecyclestage_customer_date"
        ).json()
        assert prop["type"] == "datetime"
        assert prop["modificationMetadata"]["readOnlyValue"] is True


def test_stages_only_move_forward_unless_cleared_and_stamp_their_dates(
    client: TestClient,
) -> None:
    cid = create(client, "contacts", email="ada@example.com", lifecyclestage="lead")
    first = props(client, "contacts", cid, "hs_lifecyclestage_lead_date")
    assert first["hs_lifecyclestage_lead_date"]

    assert update(client, "contacts", cid, lifecyclestage="salesqualifiedlead").status_code == 200
    back = update(client, "contacts", cid, lifecyclestage="subscriber")
    body = error_of(back)
    assert "LIFECYCLE_BACKWARD" in codes(body)
    assert "clear the stage first" in body["message"].lower()
    assert any(e["context"].get("propertyName") == ["lifecyclestage"] for e in body["errors"])
    assert stage(client, "contacts", cid) == "salesqualifiedlead"

    # Clearing is allowed; then any stage may be set again. Earlier stamps stay.
    assert update(client, "contacts", cid, lifecyclestage="").status_code == 200
    assert stage(client, "contacts", cid) is None
    assert update(client, "contacts", cid, lifecyclestage="subscriber").status_code == 200
    got = props(
        client,
        "contacts",
        cid,
        "lifecyclestage",
        "hs_lifecyclestage_lead_date",
        "hs_lifecyclestage_salesqualifiedlead_date",
        "hs_lifecyclestage_subscriber_date",
    )
    assert got["lifecyclestage"] == "subscriber"
    assert got["hs_lifecyclestage_lead_date"] == first["hs_lifecyclestage_lead_date"]
    assert got["hs_lifecyclestage_salesqualifiedlead_date"]
    assert got["hs_lifecyclestage_subscriber_date"]

    # The stamps are Revline's to write.
    denied = update(client, "contacts", cid, hs_lifecyclestage_lead_date="2020-01-01")
    assert denied.status_code == 400

    assert events(client, "contacts", cid) == [
        (None, "subscriber", "api"),
        ("salesqualifiedlead", None, "api"),
        ("lead", "salesqualifiedlead", "api"),
        (None, "lead", "api"),
    ]


def test_batch_update_refuses_backward_moves_per_item(client: TestClient) -> None:
    a = create(client, "companies", name="A", lifecyclestage="customer")
    b = create(client, "companies", name="B", lifecyclestage="lead")
    resp = client.post(
        "/crm/v3/objects/companies/batch/update",
        json={
            "inputs": [
                {"id": a, "properties": {"lifecyclestage": "lead"}},
                {"id": b, "properties": {"lifecyclestage": "opportunity"}},
            ]
        },
    )
    assert resp.status_code == 207, resp.text
    assert [r["id"] for r in resp.json()["results"]] == [b]
    assert resp.json()["errors"][0]["context"]["ids"] == [a]
    assert stage(client, "companies", a) == "customer"


def test_add_rename_reorder_and_archive_stages(client: TestClient) -> None:
    resp = client.post(
        "/revline/v1/lifecycle-stages",
        json={"value": "trial", "label": "Trial", "before": "opportunity"},
    )
    assert resp.status_code == 201, resp.text
    values = [s["value"] for s in resp.json()["results"]]
    assert values.index("trial") == values.index("opportunity") - 1
    for object_type in ("contacts", "companies"):
        prop = client.get(f"/crm/v3/properties/{object_type}/lifecyclestage").json()
        assert "trial" in [o["value"] for o in prop["options"]]
        date_prop = client.get(f"/crm/v3/properties/{object_type}/hs_lifecyclestage_trial_date")
        assert date_prop.status_code == 200
        assert date_prop.json()["label"] == "Became a Trial Date"

    cid = create(client, "contacts", email="t@example.com", lifecyclestage="salesqualifiedlead")
    assert update(client, "contacts", cid, lifecyclestage="trial").status_code == 200
    assert props(client, "contacts", cid, "hs_lifecyclestage_trial_date")[
        "hs_lifecyclestage_trial_date"
    ]

    renamed = client.patch("/revline/v1/lifecycle-stages/trial", json={"label": "Free trial"})
    assert renamed.status_code == 200
    date_label = client.get("/crm/v3/properties/contacts/hs_lifecyclestage_trial_date").json()
    assert date_label["label"] == "Became a Free trial Date"

    # Reordering changes what "forward" means.
    order = [*DEFAULT_STAGES]
    order.insert(1, "trial")
    resp = client.put("/revline/v1/lifecycle-stages/order", json={"order": order})
    assert resp.status_code == 200, resp.text
    assert [s["value"] for s in resp.json()["results"]] == order
    lead = create(client, "contacts", email="l@example.com", lifecyclestage="lead")
    assert "LIFECYCLE_BACKWARD" in codes(
        error_of(update(client, "contacts", lead, lifecyclestage="trial"))
    )

    # Archived stages keep their records but take no new ones.
    assert client.delete("/revline/v1/lifecycle-stages/trial").status_code == 204
    assert stage(client, "contacts", cid) == "trial"
    fresh = create(client, "contacts", email="f@example.com")
    assert "STAGE_ARCHIVED" in codes(
        error_of(update(client, "contacts", fresh, lifecyclestage="trial"))
    )
    listed = {s["value"]: s for s in client.get("/revline/v1/lifecycle-stages").json()["results"]}
    assert listed["trial"]["archived"] is True
    restored = client.patch("/revline/v1/lifecycle-stages/trial", json={"archived": False})
    assert restored.status_code == 200
    assert update(client, "contacts", fresh, lifecyclestage="trial").status_code == 200


def test_stage_configuration_errors(client: TestClient) -> None:
    bad_value = client.post(
        "/revline/v1/lifecycle-stages", json={"value": "Has Space", "label": "X"}
    )
    assert "INVALID_VALUE" in codes(error_of(bad_value))
    dup = client.post("/revline/v1/lifecycle-stages", json={"value": "lead", "label": "Again"})
    error_of(dup, 409)
    same_label = client.post("/revline/v1/lifecycle-stages", json={"value": "x", "label": "lead"})
    error_of(same_label, 409)
    no_label = client.post("/revline/v1/lifecycle-stages", json={"value": "x"})
    assert "REQUIRED" in codes(error_of(no_label))
    unknown_before = client.post(
        "/revline/v1/lifecycle-stages", json={"value": "x", "label": "X", "before": "nope"}
    )
    error_of(unknown_before)
    not_all = client.put("/revline/v1/lifecycle-stages/order", json={"order": ["lead"]})
    assert "INVALID_ORDER" in codes(error_of(not_all))
    error_of(client.patch("/revline/v1/lifecycle-stages/nope", json={"label": "N"}), 404)
    error_of(client.patch("/revline/v1/lifecycle-stages/lead", json={"archived": "yes"}))
    # The option list is managed here, not through the properties API.
    edit = client.patch(
        "/crm/v3/properties/contacts/lifecyclestage",
        json={"options": [{"label": "Only", "value": "only"}]},
    )
    assert "READ_ONLY_DEFINITION" in codes(error_of(edit))


def test_new_deal_moves_contacts_and_companies_to_opportunity_then_customer(
    client: TestClient,
) -> None:
    company = create(client, "companies", name="Acme", lifecyclestage="lead")
    ada = create(
        client, "contacts", [link(company, 1)], email="ada@acme.example", lifecyclestage="lead"
    )
    bob = create(client, "contacts", email="bob@acme.example", lifecyclestage="evangelist")
    deal = create(
        client,
        "deals",
        [link(ada, 3), link(bob, 3), link(company, 5)],
        dealname="Acme renewal",
        pipeline="default",
        dealstage="appointmentscheduled",
    )
    assert stage(client, "contacts", ada) == "opportunity"
    assert stage(client, "companies", company) == "opportunity"
    assert events(client, "contacts", ada)[0] == ("lead", "opportunity", "deal_sync")
    assert props(client, "contacts", ada, "hs_lifecyclestage_opportunity_date")[
        "hs_lifecyclestage_opportunity_date"
    ]

    assert update(client, "deals", deal, dealstage="closedwon").status_code == 200
    assert stage(client, "contacts", ada) == "customer"
    assert stage(client, "companies", company) == "customer"
    # Never backwards: bob was already past customer.
    assert stage(client, "contacts", bob) == "evangelist"
    assert [e for e in events(client, "contacts", bob) if e[2] != "api"] == []


def test_company_follows_its_contacts_and_pushes_down(client: TestClient) -> None:
    company = create(client, "companies", name="Globex")
    ada = create(
        client,
        "contacts",
        [link(company, 1)],
        email="ada@globex.example",
        lifecyclestage="subscriber",
    )
    bob = create(client, "contacts", [link(company, 279)], email="bob@globex.example")
    cy = create(
        client,
        "contacts",
        [link(company, 1)],
        email="cy@globex.example",
        lifecyclestage="evangelist",
    )
    # cy is the most advanced contact, so the company is pulled up to evangelist and pushes
    # that down to the contacts behind it.
    assert stage(client, "companies", company) == "evangelist"
    assert stage(client, "contacts", ada) == "evangelist"
    assert stage(client, "contacts", bob) == "evangelist"
    assert events(client, "companies", company)[0][2] == "contact_sync"
    assert ("subscriber", "evangelist", "company_sync") in events(client, "contacts", ada)
    assert stage(client, "contacts", cy) == "evangelist"


def test_sync_rules_can_be_switched_off(client: TestClient) -> None:
    resp = client.get("/revline/v1/settings/lifecycle")
    assert resp.json() == {
        "dealCreatedToOpportunity": True,
        "dealWonToCustomer": True,
        "companyFollowsContacts": True,
        "contactsFollowCompany": True,
    }
    off = client.patch(
        "/revline/v1/settings/lifecycle",
        json={"dealCreatedToOpportunity": False, "companyFollowsContacts": False},
    )
    assert off.status_code == 200, off.text
    assert off.json()["dealCreatedToOpportunity"] is False
    company = create(client, "companies", name="Initech", lifecyclestage="lead")
    ada = create(
        client,
        "contacts",
        [link(company, 1)],
        email="ada@initech.example",
        lifecyclestage="customer",
    )
    assert stage(client, "companies", company) == "lead"
    create(client, "deals", [link(company, 5)], dealname="D", dealstage="appointmentscheduled")
    assert stage(client, "companies", company) == "lead"
    assert stage(client, "contacts", ada) == "customer"

    bad = client.patch(
        "/revline/v1/settings/lifecycle", json={"nope": True, "dealWonToCustomer": 1}
    )
    body = error_of(bad)
    assert {"UNKNOWN_SETTING", "INVALID_TYPE"} <= codes(body)
    assert client.get("/revline/v1/settings/lifecycle").json()["dealWonToCustomer"] is True
    error_of(client.patch("/revline/v1/settings/lifecycle", json=[1, 2]))


def test_batch_of_deals_syncs_set_based(client: TestClient, database: Database) -> None:
    def load(n: int, tag: str) -> int:
        contacts = client.post(
            "/crm/v3/objects/contacts/batch/create",
            json={
                "inputs": [
                    {"properties": {"email": f"{tag}{i}@bulk.example", "lifecyclestage": "lead"}}
                    for i in range(n)
                ]
            },
        )
        assert contacts.status_code == 201
        ids = [r["id"] for r in contacts.json()["results"]]
        with counting(database) as seen:
            deals = client.post(
                "/crm/v3/objects/deals/batch/create",
                json={
                    "inputs": [
                        {
                            "properties": {"dealname": f"{tag} {i}", "dealstage": "closedwon"},
                            "associations": [link(cid, 3)],
                        }
                        for i, cid in enumerate(ids)
                    ]
                },
            )
        assert deals.status_code == 201, deals.text
        found = client.post(
            "/crm/v3/objects/contacts/search",
            json={
                "filterGroups": [
                    {
                        "filters": [
                            {
                                "propertyName": "email",
                                "operator": "CONTAINS_TOKEN",
                                "value": f"{tag}*",
                            },
                            {
                                "propertyName": "lifecyclestage",
                                "operator": "EQ",
                                "value": "customer",
                            },
                        ]
                    }
                ]
            },
        )
        assert found.json()["total"] == n
        return len(seen)

    load(2, "warm")  # first calls also stamp the token's last use
    small, large = load(5, "small"), load(100, "large")
    assert large == small, (small, large)


def test_lead_status_reasons_groups_and_custom_statuses(client: TestClient) -> None:
    listed = {s["value"]: s for s in client.get("/revline/v1/lead-statuses").json()["results"]}
    assert listed["NEW"]["group"] == "open"
    assert listed["CONNECTED"]["group"] == "working"
    assert listed["UNQUALIFIED"] == {
        "value": "UNQUALIFIED",
        "label": "Unqualified",
        "displayOrder": 4,
        "archived": False,
        "group": "not_converted",
        "requiresReason": True,
    }

    cid = create(client, "contacts", email="lead@example.com", hs_lead_status="NEW")
    assert props(client, "contacts", cid, "revline_lead_status_group") == {
        "revline_lead_status_group": "open"
    }
    missing = error_of(update(client, "contacts", cid, hs_lead_status="UNQUALIFIED"))
    assert any(
        e["context"].get("propertyName") == ["revline_disqualification_reason"]
        for e in missing["errors"]
    )
    ok = update(
        client,
        "contacts",
        cid,
        hs_lead_status="UNQUALIFIED",
        revline_disqualification_reason="no_budget",
    )
    assert ok.status_code == 200, ok.text
    assert (
        props(client, "contacts", cid, "revline_lead_status_group")["revline_lead_status_group"]
        == "not_converted"
    )
    bad_reason = update(client, "contacts", cid, revline_disqualification_reason="too_tall")
    error_of(bad_reason)
    # The reason cannot be removed while the status asks for one.
    error_of(update(client, "contacts", cid, revline_disqualification_reason=""))

    added = client.post(
        "/revline/v1/lead-statuses",
        json={"value": "NURTURING", "label": "Nurturing", "group": "working"},
    )
    assert added.status_code == 201, added.text
    assert added.json()["group"] == "working"
    nurture = create(client, "contacts", email="n@example.com", hs_lead_status="NURTURING")
    assert (
        props(client, "contacts", nurture, "revline_lead_status_group")["revline_lead_status_group"]
        == "working"
    )

    regroup = client.patch("/revline/v1/lead-statuses/NURTURING", json={"group": "open"})
    assert regroup.status_code == 200
    assert (
        props(client, "contacts", nurture, "revline_lead_status_group")["revline_lead_status_group"]
        == "open"
    )
    search = client.post(
        "/crm/v3/objects/contacts/search",
        json={
            "filterGroups": [
                {
                    "filters": [
                        {
                            "propertyName": "revline_lead_status_group",
                            "operator": "EQ",
                            "value": "open",
                        }
                    ]
                }
            ]
        },
    )
    assert {r["id"] for r in search.json()["results"]} == {nurture}

    assert "INVALID_OPTION" in codes(
        error_of(client.patch("/revline/v1/lead-statuses/NURTURING", json={"group": "someday"}))
    )
    error_of(client.post("/revline/v1/lead-statuses", json={"value": "NEW", "label": "N"}), 409)
    error_of(client.post("/revline/v1/lead-statuses", json={"value": "1X", "label": "N"}))
    archived = client.patch("/revline/v1/lead-statuses/NURTURING", json={"archived": True})
    assert archived.status_code == 200
    other = create(client, "contacts", email="o@example.com")
    assert "STATUS_ARCHIVED" in codes(
        error_of(update(client, "contacts", other, hs_lead_status="NURTURING"))
    )


def test_summary_counts_per_stage_and_status(client: TestClient) -> None:
    create(client, "contacts", email="a@x.example", lifecyclestage="lead", hs_lead_status="NEW")
    create(
        client, "contacts", email="b@x.example", lifecyclestage="lead", hs_lead_status="CONNECTED"
    )
    create(client, "contacts", email="c@x.example")
    archived = create(client, "contacts", email="d@x.example", lifecyclestage="lead")
    assert client.delete(f"/crm/v3/objects/contacts/{archived}").status_code == 204
    resp = client.get("/revline/v1/lifecycle/summary", params={"objectType": "contacts"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    stages = {c["value"]: c["count"] for c in body["lifecycleStages"]}
    assert stages["lead"] == 2 and stages[None] == 1 and stages["customer"] == 0
    statuses = {c["value"]: (c["count"], c["group"]) for c in body["leadStatuses"]}
    assert statuses["NEW"] == (1, "open") and statuses["CONNECTED"] == (1, "working")
    groups = {c["value"]: c["count"] for c in body["leadStatusGroups"]}
    assert groups == {"open": 1, "working": 1, "converted": 0, "not_converted": 0}
    companies = client.get("/revline/v1/lifecycle/summary", params={"objectType": "companies"})
    assert "leadStatuses" not in companies.json()
    error_of(client.get("/revline/v1/lifecycle/summary", params={"objectType": "deals"}))
    error_of(client.get("/revline/v1/contacts/999999/lifecycle-history"), 404)
    error_of(client.get("/revline/v1/contacts/abc/lifecycle-history"), 404)


def test_links_made_later_sync_contacts_and_companies(client: TestClient) -> None:
    company = create(client, "companies", name="Late Ltd", lifecyclestage="lead")
    ahead = create(client, "contacts", email="ahead@late.example", lifecyclestage="customer")
    behind = create(client, "contacts", email="behind@late.example", lifecyclestage="subscriber")
    resp = client.put(f"/crm/v4/objects/contacts/{ahead}/associations/default/companies/{company}")
    assert resp.status_code in (200, 201), resp.text
    # The company follows its most advanced contact ...
    assert stage(client, "companies", company) == "customer"
    assert events(client, "companies", company)[0] == ("lead", "customer", "contact_sync")
    # ... and a contact linked to it later is pulled up to the company's stage.
    resp = client.post(
        "/crm/v4/associations/companies/contacts/batch/associate/default",
        json={"inputs": [{"from": {"id": company}, "to": {"id": behind}}]},
    )
    assert resp.status_code in (200, 201), resp.text
    assert stage(client, "contacts", behind) == "customer"
    assert ("subscriber", "customer", "company_sync") in events(client, "contacts", behind)

    client.patch("/revline/v1/settings/lifecycle", json={"companyFollowsContacts": False})
    other = create(client, "companies", name="Other Ltd")
    resp = client.put(f"/crm/v4/objects/contacts/{ahead}/associations/default/companies/{other}")
    assert resp.status_code in (200, 201)
    assert stage(client, "companies", other) is None
