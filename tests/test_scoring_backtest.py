"""Test-driving score models: a hand-computed population (AUC, deciles, lift, tiers,
thresholds and misses exactly), events on and after the reference date left out, two models
side by side, data-driven points that beat a deliberately bad model, validation and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from revline.kit.db import Database
from revline.kit.time import iso_ms
from revline.models import LifecycleChange, PropertyHistory
from revline.scoring import backtest
from revline.scoring.backtest import deciles_of, mid_percentile_rank, roc_auc
from tests.cli_support import run
from tests.segments_support import today, write_events

BACKTEST = "/revline/v1/scoring/backtest"
SUGGEST = "/revline/v1/scoring/suggest-points"
MODELS = "/revline/v1/scoring/models"
OUTCOME = {"lifecycleStage": "opportunity", "withinDays": 30}


def reference() -> date:
    return today() - timedelta(days=40)


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def fields(resp: Any) -> list[str]:
    assert resp.status_code == 400, resp.text
    return [f for e in resp.json()["errors"] for f in e["context"].get("field", [])]


def create_contacts(client: TestClient, rows: list[dict[str, Any]]) -> list[int]:
    """Contacts created 20 days before the reference date (unless told), in batches."""
    ids: list[int] = []
    for start in range(0, len(rows), 100):
        inputs = [
            {"properties": {"createdate": iso_ms(at(reference() - timedelta(days=20))), **row}}
            for row in rows[start : start + 100]
        ]
        resp = client.post("/crm/v3/objects/contacts/batch/create", json={"inputs": inputs})
        assert resp.status_code == 201, resp.text
        made = sorted(resp.json()["results"], key=lambda r: int(r["id"]))
        ids += [int(r["id"]) for r in made]
    return ids


def convert(database: Database, ids: list[int], when: date) -> None:
    """Lifecycle changes to opportunity, as the lifecycle rules record them."""
    with database.unit_of_work() as session:
        for contact_id in ids:
            session.add(
                LifecycleChange(
                    object_type="contacts",
                    record_id=contact_id,
                    from_stage=None,
                    to_stage="opportunity",
                    changed_at=at(when),
                    source="import",
                )
            )


def history_before_reference(database: Database) -> None:
    """Date every recorded property value before the reference date (as if the contacts
    had been entered then), so only later edits count as changes after it."""
    with database.unit_of_work() as session:
        session.execute(
            update(PropertyHistory).values(changed_at=at(reference() - timedelta(days=20)))
        )


HAND = {
    "name": "hand",
    "groups": [
        {
            "name": "Fit",
            "rules": [
                {
                    "name": "vp",
                    "property": "jobtitle",
                    "operator": "CONTAINS_TOKEN",
                    "value": "vp",
                    "points": 20,
                }
            ],
        },
        {
            "name": "Engagement",
            "rules": [{"name": "views", "event": "page_view", "points": 5, "maxPoints": 50}],
        },
    ],
    "thresholds": [{"minScore": 20, "lifecycleStage": "marketingqualifiedlead"}],
    "labels": [{"label": "A", "minScore": 30}, {"label": "B", "minScore": 20}],
}

VIEWS_ONLY = {
    "name": "views_only",
    "groups": [
        {"name": "Engagement", "rules": [{"name": "views", "event": "page_view", "points": 5}]}
    ],
}

# (vp, page views before the reference date, converted): scores 40 30 30 20 15 15 10 5 0 0
POPULATION = [
    (True, 4, True),
    (True, 2, True),
    (False, 6, False),
    (True, 0, True),
    (False, 3, False),
    (False, 3, True),
    (False, 2, False),
    (False, 1, True),
    (False, 0, False),
    (False, 0, False),
]


def hand_population(client: TestClient, database: Database) -> list[int]:
    r = reference()
    ids = create_contacts(
        client,
        [
            {
                "email": f"c{i}@example.com",
                "firstname": f"C{i}",
                "lastname": "Test",
                **({"jobtitle": "VP Marketing"} if vp else {}),
            }
            for i, (vp, _, _) in enumerate(POPULATION)
        ],
    )
    # Created after the reference date: not in the population.
    late = {"email": "late@example.com", "jobtitle": "VP", "createdate": iso_ms(at(r, 1))}
    create_contacts(client, [late])
    history_before_reference(database)
    with database.unit_of_work() as session:
        for contact_id, (_, views, _) in zip(ids, POPULATION, strict=True):
            days = [r - timedelta(days=1 + k) for k in range(views)]
            if days:
                write_events(session, contact_id, "page_view", days, path="/pricing")
        # On and after the reference date: never counted.
        write_events(session, ids[8], "page_view", [r, r, r + timedelta(days=1)], path="/x")
        write_events(session, ids[3], "page_view", [r], path="/x")
    convert(
        database,
        [c for c, (_, _, won) in zip(ids, POPULATION, strict=True) if won],
        r + timedelta(days=5),
    )
    # Converted before the reference date: out of the population.
    early = create_contacts(client, [{"email": "early@example.com"}])
    convert(database, early, r - timedelta(days=2))
    return ids


def group(row: dict[str, Any]) -> tuple[int, int, float | None]:
    return row["contacts"], row["converted"], row["conversionRate"]


def test_hand_computed_backtest(
    client: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = hand_population(client, database)
    request = {
        "model": HAND,
        "outcome": OUTCOME,
        "referenceDate": reference().isoformat(),
        "missesLimit": 5,
    }
    resp = client.post(BACKTEST, json=request)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["population"] == {"size": 10, "converted": 5, "baseRate": 0.5}
    assert body["warnings"] == []
    m = body["model"]
    assert m["name"] == "hand" and m["stored"] is False and m["kind"] == "rules"
    # 25 converted/non-converted pairs: 5 + 4.5 + 4 + 3.5 + 2 won (ties count half)
    assert m["auc"] == 0.76 and m["aucNote"] is None
    d = m["distribution"]
    assert (d["min"], d["max"], d["mean"], d["median"]) == (0, 40, 16.5, 15)
    assert (d["p25"], d["p75"], d["p90"]) == (6.25, 27.5, 31)
    assert [b["contacts"] for b in d["histogram"]] == [2, 1, 1, 2, 0, 1, 0, 2, 0, 1]
    assert [b["converted"] for b in d["histogram"]] == [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]
    assert (d["histogram"][0]["from"], d["histogram"][0]["to"], d["histogram"][9]["to"]) == (
        0,
        4,
        40,
    )
    # Ties stay together in the decile where their first place falls.
    deciles = {row["decile"]: row for row in m["deciles"]}
    assert [deciles[k]["contacts"] for k in range(1, 11)] == [1, 2, 0, 1, 2, 0, 1, 1, 2, 0]
    assert [deciles[k]["converted"] for k in range(1, 11)] == [1, 1, 0, 1, 1, 0, 0, 1, 0, 0]
    assert deciles[1]["conversionRate"] == 1.0 and deciles[3]["conversionRate"] is None
    assert (deciles[2]["minScore"], deciles[2]["maxScore"]) == (30, 30)
    assert m["topDecileLift"] == 2.0 and m["convertedInTopDecile"] == 1
    [threshold] = m["thresholds"]
    assert threshold["lifecycleStage"] == "marketingqualifiedlead"
    assert group(threshold) == (4, 3, 0.75)
    tiers = {t["label"]: t for t in m["labels"]}
    assert group(tiers["A"]) == (3, 2, 0.6667)
    assert group(tiers["B"]) == (1, 1, 1.0)
    assert group(tiers[None]) == (6, 2, 0.3333)
    misses = m["misses"]
    assert misses["total"] == 2 and "below the lowest threshold (20" in misses["rule"]
    assert [x["id"] for x in misses["contacts"]] == [str(ids[7]), str(ids[5])]
    first = misses["contacts"][0]
    assert (first["email"], first["name"], first["score"], first["label"]) == (
        "c7@example.com",
        "C7 Test",
        5,
        None,
    )
    assert first["rules"] == [
        {"name": "vp", "group": "Fit", "measured": 0, "points": 0},
        {"name": "views", "group": "Engagement", "measured": 1, "points": 5},
    ]
    # Above ID_LIST_LIMIT every live contact is measured and the population picked in
    # memory: the same answer.
    monkeypatch.setattr(backtest, "ID_LIST_LIMIT", 0)
    again = client.post(BACKTEST, json=request)
    assert again.status_code == 200, again.text
    assert again.json() == body


def test_events_on_and_after_the_reference_date_are_not_counted(
    client: TestClient, database: Database
) -> None:
    ids = hand_population(client, database)
    later = (reference() + timedelta(days=2)).isoformat()
    body = {"model": VIEWS_ONLY, "outcome": {"property": "email", "operator": "EQ",
            "value": "c8@example.com"}, "referenceDate": reference().isoformat()}  # fmt: skip
    resp = client.post(BACKTEST, json=body)
    assert resp.status_code == 200, resp.text
    # c8 has three views on and after the reference date: it scores 0 and is the one
    # converted contact, so the views-only model ranks it last (a miss).
    m = resp.json()["model"]
    assert [x["id"] for x in m["misses"]["contacts"]] == [str(ids[8])]
    assert m["misses"]["contacts"][0]["score"] == 0
    # A property outcome keeps every contact created by then (the early one too).
    assert resp.json()["population"]["size"] == 11
    # Two days later the events of the reference date and the day after count (c3's one
    # view too); the contact created on the reference date has joined the population.
    resp = client.post(BACKTEST, json={**body, "referenceDate": later})
    assert resp.status_code == 200, resp.text
    m = resp.json()["model"]
    assert resp.json()["population"]["size"] == 12
    assert m["misses"]["total"] == 0 and m["distribution"]["max"] == 30
    # 12 contacts: places 0 and 1 (30 and 20 points) fall in decile 1 (floor(10 * 1 / 12) = 0)
    assert (m["deciles"][0]["contacts"], m["deciles"][0]["minScore"]) == (2, 20)


def test_two_models_side_by_side(client: TestClient, database: Database) -> None:
    hand_population(client, database)
    resp = client.post(MODELS, json={**VIEWS_ONLY, "active": False})
    assert resp.status_code == 201, resp.text
    resp = client.post(
        BACKTEST,
        json={
            "model": HAND,
            "compareWith": {"model": "views_only"},
            "outcome": OUTCOME,
            "referenceDate": reference().isoformat(),
        },
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    other = body["compareWith"]
    assert other["name"] == "views_only" and other["stored"] is True
    # views only: 20 10 30 0 15 15 10 5 0 0; pairs won 4 + 2.5 + 1 + 3.5 + 2 = 13 of 25
    assert other["auc"] == 0.52
    assert other["labels"] == [] and other["thresholds"] == []
    # No threshold: misses are converted contacts in the bottom half (mid-percentile rank
    # at most 0.5): scores 0, 5 and 10 (10 sits exactly at 0.5, 15 at 0.7).
    assert [x["score"] for x in other["misses"]["contacts"]] == [0, 5, 10]
    assert body["comparison"] == {
        "aucDifference": 0.24,
        "convertedInTopDecile": {"model": 1, "compareWith": 0, "both": 0},
    }


def test_warnings_open_window_and_changed_properties(
    client: TestClient, database: Database
) -> None:
    ids = hand_population(client, database)
    resp = client.patch(
        f"/crm/v3/objects/contacts/{ids[4]}", json={"properties": {"jobtitle": "VP Sales"}}
    )
    assert resp.status_code == 200, resp.text
    resp = client.post(
        BACKTEST,
        json={
            "model": HAND,
            "outcome": {"lifecycleStage": "opportunity", "withinDays": 90},
            "referenceDate": reference().isoformat(),
        },
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    codes = {w["code"]: w for w in body["warnings"]}
    assert set(codes) == {"OUTCOME_WINDOW_OPEN", "PROPERTY_CHANGED_AFTER_REFERENCE"}
    end = (reference() + timedelta(days=90)).isoformat()
    assert codes["OUTCOME_WINDOW_OPEN"]["context"] == {"windowEnds": end}
    changed = codes["PROPERTY_CHANGED_AFTER_REFERENCE"]
    assert changed["context"] == {"model": "model", "contacts": 1, "properties": {"jobtitle": 1}}
    # The current value is what counts: c4 is now a VP and scores 35.
    assert body["model"]["distribution"]["max"] == 40
    assert body["model"]["thresholds"][0]["contacts"] == 5
    # A rule reading the lifecycle stage restates a lifecycle outcome.
    leak = {
        "groups": [
            {
                "rules": [
                    {
                        "property": "lifecyclestage",
                        "operator": "EQ",
                        "value": "opportunity",
                        "points": 10,
                    }
                ]
            }
        ]
    }
    resp = client.post(
        BACKTEST, json={"model": leak, "outcome": OUTCOME, "referenceDate": reference().isoformat()}
    )
    assert resp.status_code == 200, resp.text
    assert "RULE_RESTATES_OUTCOME" in {w["code"] for w in resp.json()["warnings"]}


def test_one_class_population_has_no_auc(client: TestClient, database: Database) -> None:
    hand_population(client, database)
    resp = client.post(
        BACKTEST,
        json={
            "model": HAND,
            "outcome": {"lifecycleStage": "customer", "withinDays": 30},
            "referenceDate": reference().isoformat(),
        },
    )
    assert resp.status_code == 200, resp.text
    m = resp.json()["model"]
    assert m["auc"] is None and "no contact in the population converted" in m["aucNote"]
    assert m["topDecileLift"] is None and m["misses"]["total"] == 0


def test_metric_functions_directly() -> None:
    scores = np.array([40, 30, 30, 20, 15, 15, 10, 5, 0, 0], dtype=np.float64)
    converted = np.array([1, 1, 0, 1, 0, 1, 0, 1, 0, 0], dtype=np.bool_)
    assert roc_auc(scores, converted) == (0.76, None)
    assert roc_auc(scores, np.zeros(10, dtype=np.bool_))[0] is None
    assert list(deciles_of(scores)) == [1, 2, 2, 4, 5, 5, 7, 8, 9, 9]
    assert list(deciles_of(np.zeros(4))) == [1, 1, 1, 1]
    assert list(mid_percentile_rank(np.array([1.0, 1.0, 2.0, 3.0]))) == [0.25, 0.25, 0.625, 0.875]


# --- data-driven points -----------------------------------------------------------------


BAD = {
    "name": "bad",
    "groups": [
        {
            "name": "Fit",
            "rules": [
                {
                    "name": "country",
                    "property": "country",
                    "operator": "EQ",
                    "value": "US",
                    "points": 30,
                },
                {
                    "name": "vp",
                    "property": "jobtitle",
                    "operator": "CONTAINS_TOKEN",
                    "value": "vp",
                    "points": -10,
                },
            ],
        },
        {
            "name": "Engagement",
            "rules": [{"name": "views", "event": "page_view", "points": 1, "maxPoints": 20}],
        },
    ],
    "labels": [{"label": "A", "minScore": 20}],
}


def signal_population(client: TestClient, database: Database, n: int = 160) -> list[int]:
    """VPs and frequent visitors convert more often; country means nothing."""
    rng = np.random.default_rng(7)
    vp = rng.random(n) < 0.4
    views = rng.integers(0, 6, n)
    us = rng.random(n) < 0.5
    chance = 1 / (1 + np.exp(-(-2.5 + 1.8 * vp + 0.6 * views)))
    won = rng.random(n) < chance
    ids = create_contacts(
        client,
        [
            {
                "email": f"s{i}@example.com",
                "jobtitle": "VP Sales" if vp[i] else "Analyst",
                "country": "US" if us[i] else "FR",
            }
            for i in range(n)
        ],
    )
    r = reference()
    with database.unit_of_work() as session:
        for i, contact_id in enumerate(ids):
            if views[i]:
                days = [r - timedelta(days=1 + k) for k in range(int(views[i]))]
                write_events(session, contact_id, "page_view", days)
    convert(database, [c for i, c in enumerate(ids) if won[i]], r + timedelta(days=3))
    return ids


def test_suggested_points_beat_a_bad_model(client: TestClient, database: Database) -> None:
    signal_population(client, database)
    body = {"model": BAD, "outcome": OUTCOME, "referenceDate": reference().isoformat()}
    resp = client.post(SUGGEST, json=body)
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    split = answer["split"]
    assert (split["testShare"], split["seed"]) == (0.3, 42)
    assert split["heldOut"]["contacts"] == 48 and split["training"]["contacts"] == 112
    # Stratified: both parts hold converted contacts in (nearly) the population's share.
    assert (
        split["training"]["converted"] + split["heldOut"]["converted"]
        == (answer["population"]["converted"])
    )
    rules = {r["name"]: r for r in answer["rules"]}
    assert rules["vp"]["currentPoints"] == -10 and rules["vp"]["suggestedPoints"] > 0
    assert rules["views"]["suggestedPoints"] > 0
    # The largest absolute suggestion equals the largest absolute current points (30).
    assert max(abs(r["suggestedPoints"]) for r in answer["rules"]) == 30
    assert abs(rules["country"]["suggestedPoints"]) < rules["vp"]["suggestedPoints"]
    auc = answer["heldOutAuc"]
    assert auc["suggested"] > auc["current"] + 0.1
    assert auc["improvement"] == round(auc["suggested"] - auc["current"], 4)
    model = answer["suggestedModel"]
    assert model["name"] == "bad_suggested" and model["active"] is False
    kept = [rule["name"] for g in model["groups"] for rule in g["rules"]]
    assert kept == [r["name"] for r in answer["rules"] if r["suggestedPoints"] != 0]
    # Deterministic with the seed; ready to create as a draft.
    again = client.post(SUGGEST, json=body).json()
    assert again["rules"] == answer["rules"] and again["heldOutAuc"] == auc
    other = client.post(SUGGEST, json={**body, "seed": 3, "testShare": 0.25}).json()
    assert other["split"]["heldOut"]["contacts"] == 40
    created = client.post(MODELS, json=model)
    assert created.status_code == 201, created.text
    assert created.json()["active"] is False
    # The stored draft can be backtested by name.
    resp = client.post(
        BACKTEST,
        json={"model": {"model": "bad_suggested"}, "compareWith": BAD, "outcome": OUTCOME,
              "referenceDate": reference().isoformat()},
    )  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert resp.json()["comparison"]["aucDifference"] > 0


def test_negligible_rules_get_zero_and_leave_the_model(
    client: TestClient, database: Database
) -> None:
    signal_population(client, database, n=60)
    draft = {
        "groups": [
            {
                "rules": [
                    {"name": "views", "event": "page_view", "points": 5},
                    # nobody has this title: constant, so 0 points and out of the model
                    {
                        "name": "ceo",
                        "property": "jobtitle",
                        "operator": "EQ",
                        "value": "Chief Everything",
                        "points": 8,
                    },
                ]
            }
        ]
    }
    body = {"model": draft, "outcome": OUTCOME, "referenceDate": reference().isoformat()}
    resp = client.post(SUGGEST, json=body)
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    rules = {r["name"]: r for r in answer["rules"]}
    assert rules["ceo"]["suggestedPoints"] == 0 and rules["ceo"]["flag"] == "CONSTANT"
    assert rules["views"]["suggestedPoints"] == 8 and rules["views"]["flag"] is None
    model = answer["suggestedModel"]
    assert model["name"] == "draft_suggested"
    assert [r["name"] for g in model["groups"] for r in g["rules"]] == ["views"]


# --- validation -------------------------------------------------------------------------


def test_backtest_validation(client: TestClient, database: Database) -> None:
    hand_population(client, database)
    good = {"model": HAND, "outcome": OUTCOME, "referenceDate": reference().isoformat()}
    tomorrow = (today() + timedelta(days=1)).isoformat()
    cases: list[tuple[Any, str]] = [
        ([1], "body"),
        ({**good, "extra": 1}, "extra"),
        ({k: v for k, v in good.items() if k != "model"}, "model"),
        ({k: v for k, v in good.items() if k != "referenceDate"}, "referenceDate"),
        ({**good, "referenceDate": "2026-13-01"}, "referenceDate"),
        ({**good, "referenceDate": "yesterday"}, "referenceDate"),
        ({**good, "referenceDate": 20260101}, "referenceDate"),
        ({**good, "referenceDate": tomorrow}, "referenceDate"),
        ({**good, "referenceDate": "1969-12-31"}, "referenceDate"),
        ({**good, "referenceDate": "1990-01-01"}, "referenceDate"),  # empty population
        ({**good, "missesLimit": 0}, "missesLimit"),
        ({**good, "missesLimit": 501}, "missesLimit"),
        ({**good, "missesLimit": True}, "missesLimit"),
        ({**good, "model": {"model": "nope"}}, "model.model"),
        ({**good, "model": "hand"}, "model"),
        ({**good, "model": {"groups": []}}, "model.groups"),
        ({**good, "model": {"model": "hand", "groups": []}}, "model"),
        ({**good, "compareWith": {**VIEWS_ONLY, "bogus": 1}}, "compareWith.bogus"),
        ({**good, "compareWith": {"model": 999}}, "compareWith.model"),
        ({**good, "compareWith": {"groups": [{"rules": [{"event": "nope", "points": 1}]}]}},
         "compareWith.groups[0].rules[0].event"),
        ({**good, "outcome": {"lifecycleStage": "nowhere"}}, "outcome.lifecycleStage"),
        ({**good, "outcome": {"withinDays": 3}}, "outcome"),
        ({**good, "outcome": None}, "outcome"),
    ]  # fmt: skip
    for body, name in cases:
        resp = client.post(BACKTEST, json=body)
        assert name in fields(resp), (body, resp.text)
    resp = client.post(BACKTEST, json={**good, "referenceDate": "1990-01-01"})
    assert resp.json()["errors"][0]["code"] == "EMPTY_POPULATION"
    assert "no contact is in the population" in resp.json()["message"]
    resp = client.post(BACKTEST, content=b"{not json", headers={"content-type": "application/json"})
    assert 400 <= resp.status_code < 500
    for limit in (1, 500):
        resp = client.post(BACKTEST, json={**good, "missesLimit": limit})
        assert resp.status_code == 200, resp.text
        assert len(resp.json()["model"]["misses"]["contacts"]) == min(limit, 2)


def test_suggest_points_validation_and_combined_models(
    client: TestClient, database: Database
) -> None:
    ids = hand_population(client, database)
    for name, label, low in (("fit", "A", 3), ("eng", "X", 1)):
        rule = {"event": "page_view", "points": 1}
        body = {
            "name": name,
            "groups": [{"rules": [rule]}],
            "labels": [{"label": label, "minScore": low}],
        }
        resp = client.post(MODELS, json=body)
        assert resp.status_code == 201, resp.text
    combined = {"kind": "combined", "components": [{"model": "fit"}, {"model": "eng"}]}
    good = {"model": HAND, "outcome": OUTCOME, "referenceDate": reference().isoformat()}
    cases: list[tuple[Any, str]] = [
        ({**good, "testShare": 0.05}, "testShare"),
        ({**good, "testShare": 0.6}, "testShare"),
        ({**good, "testShare": "0.3"}, "testShare"),
        ({**good, "seed": -1}, "seed"),
        ({**good, "seed": 1.5}, "seed"),
        ({**good, "missesLimit": 3}, "missesLimit"),
        ({**good, "model": combined}, "model"),
        # 5 converted, 5 not: too few for both parts of a 0.1 split
        ({**good, "testShare": 0.1}, "outcome"),
        ({**good, "outcome": {"lifecycleStage": "customer", "withinDays": 30}}, "outcome"),
    ]
    for body, name in cases:
        resp = client.post(SUGGEST, json=body)
        assert name in fields(resp), (body, resp.text)
    resp = client.post(SUGGEST, json={**good, "model": combined})
    assert "suggest points for its rule models (fit, eng)" in resp.json()["message"]
    # A combined model backtests with its components scored at the reference date (their
    # stored scores count the views on and after it); a grid's tiers join their labels.
    grid = {**combined, "grid": True}
    resp = client.post(BACKTEST, json={**good, "model": grid})
    assert resp.status_code == 200, resp.text
    m = resp.json()["model"]
    assert m["kind"] == "combined" and m["distribution"]["max"] == 12
    misses = {x["id"]: x for x in m["misses"]["contacts"]}
    assert misses[str(ids[3])]["score"] == 0  # one view on the reference date: not counted
    assert misses[str(ids[3])]["rules"][0] == {
        "name": "fit", "group": "Components", "measured": 0, "points": 0,
    }  # fmt: skip
    assert [(t["label"], t["contacts"], t["converted"]) for t in m["labels"]] == [
        ("AX", 4, 2),
        (None, 6, 3),
    ]


# --- CLI --------------------------------------------------------------------------------


def test_cli_backtest_and_suggest_points(
    client: TestClient, database: Database, tmp_path: Path
) -> None:
    signal_population(client, database, n=60)
    resp = client.post(MODELS, json={**BAD, "active": False})
    assert resp.status_code == 201, resp.text
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps(VIEWS_ONLY))
    common = [
        "--outcome-json", json.dumps(OUTCOME), "--reference-date", reference().isoformat(),
        "--database-url", database.url,
    ]  # fmt: skip
    result = run("scoring", "backtest", "--model", "bad", "--compare-file", str(draft), *common)
    assert result.exit_code == 0, result.output
    assert "population 60" in result.output and "AUC" in result.output
    assert "decile" in result.output and "AUC difference" in result.output
    as_json = run("scoring", "backtest", "--file", str(draft), "--json", *common)
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["model"]["name"] == "views_only"
    saved = tmp_path / "suggested.json"
    result = run("scoring", "suggest-points", "--model", "bad", "--save", str(saved), *common)
    assert result.exit_code == 0, result.output
    assert "held-out AUC: current" in result.output and "suggested" in result.output
    model = json.loads(saved.read_text())
    assert model["name"] == "bad_suggested" and model["active"] is False
    neither = run("scoring", "backtest", *common)
    assert neither.exit_code == 1 and "give --model or --file" in neither.output
    bad_date = run("scoring", "backtest", "--model", "bad", *common[:2], "--reference-date",
                   "2026-02-30", "--database-url", database.url)  # fmt: skip
    assert bad_date.exit_code == 1 and "referenceDate" in bad_date.output


GARBAGE: list[Any] = [None, 1, -1, 10**30, "x", "", "\x00", [], {}, [1], {"a": 1}, True, 1.5]


def test_garbage_never_answers_500(client: TestClient) -> None:
    good = {"model": VIEWS_ONLY, "outcome": OUTCOME, "referenceDate": reference().isoformat()}
    for g in GARBAGE:
        bodies: list[Any] = [g, {**good, "referenceDate": g}, {**good, "outcome": g}]
        bodies += [{**good, "model": g}, {**good, "model": {"model": g}}]
        for path in (BACKTEST, SUGGEST):
            extra = "missesLimit" if path == BACKTEST else "testShare"
            for body in [*bodies, {**good, extra: g}, {**good, "compareWith": g, "seed": g}]:
                resp = client.post(path, json=body)
                assert 400 <= resp.status_code < 500, (path, body, resp.text)


def test_a_recorded_outcome_is_tested_as_of_now(client: TestClient, database: Database) -> None:
    """A property outcome (say, an imported flag) may leave the reference date out: every
    live contact, created today too, is scored with all it did so far; a time-based outcome
    still needs a date."""
    made = create_contacts(client, [{"email": f"n{i}@x.com", "jobtitle": "VP"} for i in range(3)])
    fresh = client.post(
        "/crm/v3/objects/contacts", json={"properties": {"email": "new@x.com", "city": "Won"}}
    )
    assert fresh.status_code == 201
    with database.unit_of_work() as session:
        write_events(session, made[0], "form_submitted", [today()], form_id="demo")
    model = {
        "groups": [
            {
                "rules": [
                    {"event": "form_submitted", "points": 10},
                    {"property": "jobtitle", "operator": "EQ", "value": "VP", "points": 1},
                ]
            }
        ]
    }
    outcome = {"property": "city", "operator": "EQ", "value": "Won"}
    resp = client.post(BACKTEST, json={"model": model, "outcome": outcome})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["asOfNow"] is True and body["referenceDate"] is None
    assert body["population"]["size"] == 4 and body["population"]["converted"] == 1
    assert body["model"]["distribution"]["max"] == 11  # today's event counted
    resp = client.post(
        BACKTEST,
        json={"model": model, "outcome": {"lifecycleStage": "opportunity", "withinDays": 30}},
    )
    assert fields(resp) == ["referenceDate"]
