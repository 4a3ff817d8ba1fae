"""Score models through the API: each rule kind, caps, decay with a controlled clock,
thresholds moving lifecycle forward only, labels and the fit x engagement grid, the score as
a searchable property, explanations, history, incremental updates and validation."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from revline.crm.properties import repository as properties_repo
from revline.kit.db import Database
from revline.scoring import service
from tests.cli_support import run
from tests.segments_support import company, contact, set_primary, today, track, work

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
    # and sortable, and read by list and batch read like any property
    resp = client.post(
        "/crm/v3/objects/contacts/search",
        json={
            "sorts": [{"propertyName": "revline_score_fit", "direction": "DESCENDING"}],
            "properties": ["revline_score_fit"],
        },
    )
    assert [r["properties"]["revline_score_fit"] for r in resp.json()["results"]] == [
        "35",
        "0",
        "0",
    ]
    listed = client.get(
        "/crm/v3/objects/contacts", params={"properties": "revline_score_fit_label"}
    ).json()["results"]
    assert {r["id"]: r["properties"]["revline_score_fit_label"] for r in listed} == {
        str(vp): "A",
        str(free): "C",
        str(none): "C",
    }
    resp = client.post(
        "/crm/v3/objects/contacts/batch/read",
        json={"inputs": [{"id": str(vp)}], "properties": ["revline_score_fit"]},
    )
    assert resp.json()["results"][0]["properties"]["revline_score_fit"] == "35"
    # read-only: written by the model, never by clients
    resp = client.patch(
        f"/crm/v3/objects/contacts/{vp}", json={"properties": {"revline_score_fit": "99"}}
    )
    assert resp.status_code == 400


def test_explanation_and_history(client: TestClient, database: Database) -> None:
    org = company(client, name="Acme", numberofemployees="200")
    vp = contact(client, email="vp@acme.com", jobtitle="VP Sales", country="US")
    set_primary(client, vp, org)
    model(client, FIT)
    resp = client.get(f"/revline/v1/contacts/{vp}/score")
    assert resp.status_code == 200, resp.text
    [fit] = resp.json()["results"]
    assert fit["score"] == 35 and fit["label"] == "A" and fit["storedScore"] == 35
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
    # score changes are on the contact's timeline too
    resp = client.get(f"/revline/v1/contacts/{vp}/timeline", params={"types": "score_change"})
    assert resp.status_code == 200, resp.text
    items = resp.json()["results"]
    assert [(i["model"], i["oldScore"], i["newScore"], i["cause"]) for i in items] == [
        ("fit", 35, 30, "property"),
        ("fit", None, 35, "model"),
    ]


ENGAGEMENT = {
    "name": "engagement",
    "label": "Engagement",
    "groups": [
        {
            "name": "Behaviour",
            "rules": [
                {
                    "name": "demo",
                    "event": "form_submitted",
                    "where": [{"property": "form_id", "operator": "EQ", "value": "demo"}],
                    "points": 10,
                    "maxPoints": 20,
                },
                {
                    "name": "pricing",
                    "event": "page_view",
                    "where": [{"property": "path", "operator": "EQ", "value": "/pricing"}],
                    "points": 3,
                    "inLastDays": 7,
                },
                {"name": "opens", "event": "email_opened", "points": 4, "decayDays": 10},
            ],
        }
    ],
    "labels": [
        {"label": "1", "minScore": 20},
        {"label": "2", "minScore": 5},
        {"label": "3", "minScore": 0},
    ],
}


def recompute_on(database: Database, day: date) -> None:
    with database.unit_of_work() as session:
        service.recompute_all(session, cause="decay", today=day)


def test_behaviour_rules_windows_caps_and_decay(client: TestClient, database: Database) -> None:
    day = today()
    a = contact(client, email="a@x.com")
    b = contact(client, email="b@x.com")
    track(database, a, "form_submitted", [day, day - timedelta(days=40), day], form_id="demo")
    track(database, a, "form_submitted", [day], form_id="newsletter")
    track(
        database,
        a,
        "page_view",
        [day, day - timedelta(days=6), day - timedelta(days=7)],
        path="/pricing",
        url="https://x.com/pricing",
    )
    track(database, b, "email_opened", [day - timedelta(days=5)])
    model(client, ENGAGEMENT)
    # demo: 3 x 10 capped at 20; pricing: 2 in the last 7 days x 3 = 6
    assert score_of(client, a, "engagement") == 26
    # one open 5 days ago, decaying over 10 days: 4 x (10 - 5) / 10 = 2
    assert score_of(client, b, "engagement") == 2
    labels = props(client, b, "revline_score_engagement_label")
    assert labels["revline_score_engagement_label"] == "3"
    # the calendar moves: the open fades, the pricing views leave their window
    recompute_on(database, day + timedelta(days=3))
    assert score_of(client, b, "engagement") == 0.8
    assert score_of(client, a, "engagement") == 23  # one pricing view left in the window
    recompute_on(database, day + timedelta(days=5))
    assert score_of(client, b, "engagement") == 0
    recompute_on(database, day + timedelta(days=7))
    assert score_of(client, a, "engagement") == 20
    resp = client.get(f"/revline/v1/contacts/{b}/score/history", params={"model": "engagement"})
    assert [r["cause"] for r in resp.json()["results"]] == ["decay", "decay", "model"]


def test_new_events_rescore_through_the_job(client: TestClient, database: Database) -> None:
    a = contact(client, email="a@x.com")
    model(client, ENGAGEMENT)
    assert score_of(client, a, "engagement") == 0
    track(database, a, "form_submitted", [today()], form_id="demo")
    work(database)
    assert score_of(client, a, "engagement") == 10
    [row, _] = client.get(f"/revline/v1/contacts/{a}/score/history").json()["results"]
    assert (row["cause"], row["causeDetail"]) == ("event", "form_submitted")


def test_thresholds_move_lifecycle_forward_only(client: TestClient, database: Database) -> None:
    lead = contact(client, email="lead@x.com", lifecyclestage="lead")
    customer = contact(client, email="c@x.com", lifecyclestage="customer")
    cold = contact(client, email="cold@x.com", lifecyclestage="lead")
    for c in (lead, customer):
        track(database, c, "form_submitted", [today()], form_id="demo")
    body = {
        **ENGAGEMENT,
        "thresholds": [
            {"minScore": 10, "lifecycleStage": "marketingqualifiedlead"},
            {"minScore": 20, "lifecycleStage": "salesqualifiedlead"},
        ],
    }
    created = model(client, body)
    assert created["recompute"]["movedLifecycleStage"] == 1
    stage = "lifecyclestage"
    assert props(client, lead, stage)[stage] == "marketingqualifiedlead"
    assert props(client, customer, stage)[stage] == "customer"
    assert props(client, cold, stage)[stage] == "lead"
    history = client.get(f"/revline/v1/contacts/{lead}/lifecycle-history")
    assert history.status_code == 200, history.text
    assert history.json()["results"][0]["source"] == "scoring"
    # sales moves the lead back (clearing the stage first, as the API asks); an unchanged
    # score does not push it forward again
    for value in ("", "lead"):
        resp = client.patch(
            f"/crm/v3/objects/contacts/{lead}", json={"properties": {"lifecyclestage": value}}
        )
        assert resp.status_code == 200, resp.text
    work(database)
    recompute_on(database, today())
    assert props(client, lead, stage)[stage] == "lead"
    # a score crossing the next threshold moves it again
    track(database, lead, "form_submitted", [today()], form_id="demo")
    work(database)
    assert props(client, lead, stage)[stage] == "salesqualifiedlead"


def test_combined_model_and_the_fit_engagement_grid(client: TestClient, database: Database) -> None:
    org = company(client, name="Acme", numberofemployees="200")
    vp = contact(client, email="vp@acme.com", jobtitle="VP Sales", country="US")
    set_primary(client, vp, org)
    track(database, vp, "form_submitted", [today()], form_id="demo")
    model(client, FIT)
    model(client, ENGAGEMENT)
    grade = model(
        client,
        {
            "name": "grade",
            "kind": "combined",
            "grid": True,
            "components": [{"model": "fit"}, {"model": "engagement", "weight": 0.5}],
        },
    )
    assert grade["labelProperty"] == "revline_score_grade_label"
    got = props(client, vp, "revline_score_grade", "revline_score_grade_label")
    assert got == {"revline_score_grade": "40", "revline_score_grade_label": "A2"}
    options = client.get("/crm/v3/properties/contacts/revline_score_grade_label").json()
    assert [o["value"] for o in options["options"]][:3] == ["A1", "A2", "A3"]
    # an engagement change flows into the combined model in the same job
    track(database, vp, "form_submitted", [today()], form_id="demo")
    work(database)
    got = props(client, vp, "revline_score_grade", "revline_score_grade_label")
    assert got == {"revline_score_grade": "45", "revline_score_grade_label": "A1"}
    # a component cannot be deactivated or archived while the grid reads it
    resp = client.patch(f"{MODELS}/fit", json={"active": False})
    assert resp.status_code == 409
    assert client.delete(f"{MODELS}/engagement").status_code == 409


def test_segments_use_scores(client: TestClient, database: Database) -> None:
    a = contact(client, email="a@x.com")
    contact(client, email="b@x.com")
    model(client, ENGAGEMENT)
    resp = client.post(
        "/revline/v1/segments",
        json={
            "name": "Hot",
            "conditions": {"property": "revline_score_engagement", "operator": "GTE", "value": 10},
        },
    )
    assert resp.status_code == 201, resp.text
    hot = resp.json()["id"]
    track(database, a, "form_submitted", [today()], form_id="demo")
    work(database)
    work(database)
    members = client.get(f"/revline/v1/segments/{hot}/members").json()["results"]
    assert [m["id"] for m in members] == [str(a)]


def test_draft_models_score_nobody_until_activated(client: TestClient) -> None:
    a = contact(client, email="a@x.com", jobtitle="VP")
    draft = model(client, {**FIT, "active": False})
    assert "recompute" not in draft
    assert score_of(client, a, "fit") is None
    resp = client.post(f"{MODELS}/fit/recompute")
    assert resp.status_code == 400
    resp = client.patch(f"{MODELS}/fit", json={"active": True})
    assert resp.status_code == 200, resp.text
    assert resp.json()["recompute"]["scored"] == 1
    assert score_of(client, a, "fit") == 15
    # a new definition is a new version
    changed = {
        "groups": [
            {
                "name": "T",
                "rules": [{"property": "jobtitle", "operator": "HAS_PROPERTY", "points": 7}],
            }
        ]
    }
    resp = client.patch(f"{MODELS}/fit", json=changed)
    assert resp.json()["version"] == 2
    assert score_of(client, a, "fit") == 7
    # deactivating clears the scores; archiving frees the name
    assert client.patch(f"{MODELS}/fit", json={"active": False}).status_code == 200
    assert score_of(client, a, "fit") is None
    assert client.delete(f"{MODELS}/fit").status_code == 204
    assert client.get(f"{MODELS}/fit").status_code == 404
    assert client.post(MODELS, json={**FIT, "active": False}).status_code == 201


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"name": "Bad Name", "groups": []}, ["name"]),
        ({"name": "fit_label", "groups": []}, ["name"]),
        ({"name": "m", "groups": []}, ["groups"]),
        (
            {
                "name": "m",
                "groups": [
                    {
                        "name": "g",
                        "rules": [
                            {"property": "jobtitle", "operator": "EQ", "value": "x"},
                            {
                                "property": "nope_not_here",
                                "operator": "EQ",
                                "value": "x",
                                "points": 1,
                            },
                            {"event": "page_view", "points": 1, "inLastDays": 0},
                            {"event": "page_view", "points": 1, "inLastDays": 5, "decayDays": 5},
                            {"event": "no_such_event", "points": 1},
                            {
                                "property": "jobtitle",
                                "operator": "EQ",
                                "value": "x",
                                "points": "ten",
                            },
                        ],
                    }
                ],
            },
            [
                "groups[0].rules[0].points",
                "groups[0].rules[2].inLastDays",
                "groups[0].rules[3].decayDays",
                "groups[0].rules[5].points",
            ],
        ),
        (
            {
                "name": "m",
                "groups": [
                    {
                        "rules": [
                            {
                                "property": "nope_not_here",
                                "operator": "EQ",
                                "value": "x",
                                "points": 1,
                            },
                            {"event": "no_such_event", "points": 1},
                        ]
                    }
                ],
                "thresholds": [{"minScore": 5, "lifecycleStage": "nope"}],
            },
            ["groups[0].rules[0]", "groups[0].rules[1].event", "thresholds[0].lifecycleStage"],
        ),
        (
            {"name": "m", "kind": "combined", "grid": True, "components": [{"model": "ghost"}]},
            ["grid"],
        ),
        (
            {"name": "m", "kind": "combined", "components": [{"model": "ghost"}]},
            ["components[0].model"],
        ),
        ({"name": "m", "kind": "nope"}, ["kind"]),
        (
            {
                "name": "m",
                "groups": [{"rules": [{"event": "page_view", "points": 1}]}],
                "labels": [{"label": "A", "minScore": 5}, {"label": "B", "minScore": 5}],
            },
            ["labels"],
        ),
    ],
)
def test_bad_models_name_each_problem(
    client: TestClient, body: dict[str, Any], expected: list[str]
) -> None:
    assert fields(client.post(MODELS, json=body)) == expected


def test_bad_bodies_and_unknown_things(client: TestClient) -> None:
    assert client.post(MODELS, json=[1, 2]).status_code == 400
    assert (
        client.post(
            MODELS, content=b"{nope", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )
    assert client.get(f"{MODELS}/404").status_code == 404
    assert client.get("/revline/v1/contacts/999/score").status_code == 404
    assert client.get("/revline/v1/contacts/abc/score/history").status_code == 404
    model(client, ENGAGEMENT)
    assert client.post(MODELS, json=ENGAGEMENT).status_code == 409
    assert client.patch(f"{MODELS}/engagement", json={"name": "other"}).status_code == 400
    assert client.get(f"{MODELS}", params={"limit": 0}).status_code == 400


def test_cli_creates_lists_recomputes_explains_and_archives(
    client: TestClient, database: Database, tmp_path: Path
) -> None:
    a = contact(client, email="a@x.com")
    track(database, a, "form_submitted", [today()], form_id="demo")
    path = tmp_path / "engagement.json"
    path.write_text(json.dumps(ENGAGEMENT))
    url = database.url
    result = run("scoring", "create", str(path), "--database-url", url)
    assert result.exit_code == 0, result.output
    assert "scored 1 contacts: 1 changed" in result.output
    result = run("scoring", "list", "--database-url", url)
    assert "engagement" in result.output and "revline_score_engagement" in result.output
    result = run("scoring", "explain", str(a), "--database-url", url)
    assert result.exit_code == 0, result.output
    assert "engagement: 10" in result.output and "form_submitted" in result.output
    result = run("scoring", "explain", str(a), "--json", "--database-url", url)
    assert json.loads(result.output)[0]["score"] == 10
    result = run("scoring", "recompute", "engagement", "--database-url", url)
    assert "engagement: scored 1, changed 0" in result.output
    assert run("scoring", "recompute", "--database-url", url).exit_code == 1
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = run("scoring", "create", str(bad), "--database-url", url)
    assert result.exit_code != 0 and "bad.json" in result.output
    result = run("scoring", "archive", "engagement", "--database-url", url)
    assert result.exit_code == 0, result.output
    assert score_of(client, a, "engagement") is None


def test_a_model_reading_an_archived_property_is_skipped_not_failed(
    client: TestClient, database: Database
) -> None:
    resp = client.post(
        "/crm/v3/properties/contacts",
        json={
            "name": "tier_hint",
            "label": "Tier hint",
            "type": "string",
            "fieldType": "text",
            "groupName": "contactinformation",
        },
    )
    assert resp.status_code == 201, resp.text
    a = contact(client, email="a@x.com", tier_hint="gold")
    model(
        client,
        {
            "name": "hint",
            "groups": [
                {
                    "rules": [
                        {"property": "tier_hint", "operator": "EQ", "value": "gold", "points": 5}
                    ]
                }
            ],
        },
    )
    model(client, ENGAGEMENT)
    # The API refuses to archive a property a model reads; a database where it happened
    # anyway (the refusal came later) must still not fail the jobs.
    assert client.delete("/crm/v3/properties/contacts/tier_hint").status_code == 409
    with database.unit_of_work() as session:
        session.execute(
            text("UPDATE property_definitions SET archived = :yes WHERE name = 'tier_hint'"),
            {"yes": True},
        )
        properties_repo.bump_catalog_revision(session, "property_catalog")
    track(database, a, "form_submitted", [today()], form_id="demo")
    client.patch(f"/crm/v3/objects/contacts/{a}", json={"properties": {"firstname": "A"}})
    work(database)
    with database.unit_of_work() as session:
        failed = session.execute(
            text("SELECT count(*) FROM jobs WHERE status = 'failed'")
        ).scalar_one()
    assert failed == 0
    # the other model still scores; the broken one keeps its last scores
    assert score_of(client, a, "engagement") == 10
    assert score_of(client, a, "hint") == 5
    with database.unit_of_work() as session:
        [broken, fine] = service.recompute_all(session, cause="recompute")
    assert broken.problem is not None and "tier_hint" in broken.problem
    assert fine.problem is None
    # the explanation shows the broken model's problem instead of refusing the request
    resp = client.get(f"/revline/v1/contacts/{a}/score")
    assert resp.status_code == 200, resp.text
    by_model = {r["model"]: r for r in resp.json()["results"]}
    assert "tier_hint" in by_model["hint"]["problem"]
    assert by_model["engagement"]["problem"] is None and by_model["engagement"]["score"] == 10
