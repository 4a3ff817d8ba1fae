"""Score models through the API: each rule kind, caps, decay with a controlled clock,
thresholds moving lifecycle forward only, labels and the fit x engagement grid, the score as
a searchable property, explanations, history, incremental updates and validation."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from revline.kit.db import Database
from tests.segments_support import company, contact, set_primary, work

MODELS = "/revline/v1/scoring/models"


def fields(resp: Any) -> list[str]:
    assert resp.status_code == 400, resp.text
    return [f for e in resp.json()["errors"] for f in e["context"].get("field", [])]


def model(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    resp = client.post(MODELS, json=body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def props(client: TestClient, contact_id: int, *names: str) -> dict[str, Any]:
    resp = client.get(
        f"/crm/v3/objects/contacts/{contact_id}", params={"properties": ",".join(names)}
    )
    assert resp.status_code == 200, resp.text
    return {n: resp.json()["properties"].get(n) for n in names}


def score_of(client: TestClient, contact_id: int, name: str) -> float | None:
    value = props(client, contact_id, f"revline_score_{name}")[f"revline_score_{name}"]
    return None if value is None else float(value)


FIT = {
    "name": "fit",
    "label": "Fit",
    "maxScore": 100,
    "groups": [
        {
            "name": "Title",
            "maxPoints": 20,
            "rules": [
                {
                    "name": "vp",
                    "property": "jobtitle",
                    "operator": "CONTAINS_TOKEN",
                    "value": "vp",
                    "points": 15,
                },
                {
                    "name": "sales",
                    "property": "jobtitle",
                    "operator": "CONTAINS_TOKEN",
                    "value": "sales",
                    "points": 10,
                },
            ],
        },
        {
            "name": "Company",
            "rules": [
                {
                    "name": "size",
                    "companyProperty": "numberofemployees",
                    "operator": "BETWEEN",
                    "value": 50,
                    "highValue": 5000,
                    "points": 10,
                },
                {
                    "name": "free-email",
                    "property": "email",
                    "operator": "CONTAINS_TOKEN",
                    "value": "*gmail.com",
                    "points": -10,
                },
                {
                    "name": "country",
                    "property": "country",
                    "operator": "IN",
                    "values": ["US", "CA"],
                    "points": 5,
                },
                {"name": "phone", "property": "phone", "operator": "HAS_PROPERTY", "points": 3},
            ],
        },
    ],
    "labels": [
        {"label": "A", "minScore": 25},
        {"label": "B", "minScore": 10},
        {"label": "C", "minScore": 0},
    ],
}


def test_property_rules_caps_and_labels(client: TestClient) -> None:
    org = company(client, name="Acme", numberofemployees="200")
    vp = contact(client, email="vp@acme.com", jobtitle="VP Sales", country="US")
    set_primary(client, vp, org)
    free = contact(client, email="joe@gmail.com", jobtitle="Engineer", phone="+1 555 0100")
    none = contact(client, email="x@y.org")
    created = model(client, FIT)
    assert created["recompute"]["scored"] == 3
    assert created["scoreProperty"] == "revline_score_fit"
    # VP Sales: 15 + 10 capped to 20 by the group; company size 10; US 5 -> 35
    assert score_of(client, vp, "fit") == 35
    # gmail -10, phone +3 -> -7, floored at 0
    assert score_of(client, free, "fit") == 0
    assert score_of(client, none, "fit") == 0
    assert props(client, vp, "revline_score_fit_label")["revline_score_fit_label"] == "A"
    assert props(client, free, "revline_score_fit_label")["revline_score_fit_label"] == "C"
    # searchable like any number property
    resp = client.post(
        "/crm/v3/objects/contacts/search",
        json={
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": "revline_score_fit", "operator": "GTE", "value": "30"}
                    ]
                }
            ]
        },
    )
    assert resp.status_code == 200, resp.text
    assert [r["id"] for r in resp.json()["results"]] == [str(vp)]


def test_explanation_and_history(client: TestClient, database: Database) -> None:
    org = company(client, name="Acme", numberofemployees="200")
    vp = contact(client, email="vp@acme.com", jobtitle="VP Sales", country="US")
    set_primary(client, vp, org)
    model(client, FIT)
    resp = client.get(f"/revline/v1/contacts/{vp}/score")
    assert resp.status_code == 200, resp.text
    [fit] = resp.json()["results"]
    assert fit["score"] == 35 and fit["label"] == "A" and fit["storedScore"] == "35"
    by_name = {r["name"]: r for r in fit["rules"]}
    assert by_name["vp"]["points"] == 15 and "met" in by_name["vp"]["why"]
    assert by_name["free-email"]["points"] == 0 and "not met" in by_name["free-email"]["why"]
    assert {g["name"]: g["points"] for g in fit["groups"]} == {"Title": 20, "Company": 15}
    # a property change rescoring through the job, with its cause
    resp = client.patch(f"/crm/v3/objects/contacts/{vp}", json={"properties": {"country": "FR"}})
    assert resp.status_code == 200
    work(database)
    assert score_of(client, vp, "fit") == 30
    resp = client.get(f"/revline/v1/contacts/{vp}/score/history")
    rows = resp.json()["results"]
    assert [(r["oldScore"], r["newScore"], r["cause"]) for r in rows] == [
        (35, 30, "property"),
        (None, 35, "model"),
    ]
    assert "country" in rows[0]["causeDetail"]
