"""The predictive score: training on a generated population with a real signal (a source and
a behaviour that raise the chance of conversion), determinism, leakage warnings, the 400s,
scores and tiers written and searchable, versions, jobs and the CLI."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select
from starlette.testclient import TestClient

from revline.crm.object_types import CONTACTS
from revline.crm.properties import service as properties
from revline.crm.records import batch
from revline.crm.records import repository as records_repo
from revline.crm.records import service as records
from revline.jobs.registry import handler_for
from revline.kit.db import Database
from revline.kit.time import iso_ms, utcnow
from revline.models import (
    Contact,
    EventDailyCount,
    LifecycleChange,
    PredictiveModel,
    ScoreChange,
)
from revline.scoring import predictive
from revline.scoring.predictive_tasks import RESCORE, RETRAIN
from tests.cli_support import run
from tests.segments_support import members, segment, work

BASE = "/revline/v1/scoring/predictive"
OUTCOME = {"lifecycleStage": "opportunity", "withinDays": 90}
SOURCES = ["REFERRALS", "PAID_SEARCH", "ORGANIC_SEARCH", "DIRECT_TRAFFIC"]
TITLES = ["CEO", "Engineer", "Marketing Manager", "Analyst", "Founder"]
# Everything is placed relative to the real clock, so a training through the API (which
# learns from now - 90 days) sees the same population as one given ``now`` explicitly.
NOW = utcnow().replace(microsecond=0)
R = NOW - timedelta(days=90)


def population(
    database: Database, n: int = 300, *, signal: bool = True, leaks: bool = False, seed: int = 1
) -> dict[int, bool]:
    """``n`` contacts created before R; a referral source and five or more page views before
    R raise their chance to reach opportunity in the 90 days after R. With ``leaks``, one
    property copies the outcome and another is filled in only after conversion (and for
    half of the others at creation)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        source = rng.choice(SOURCES)
        visits = rng.randint(0, 8)
        chance = 0.08 + 0.45 * (source == "REFERRALS") + 0.35 * (visits >= 5) if signal else 0.3
        rows.append(
            {
                "i": i,
                "source": source,
                "title": rng.choice(TITLES),
                "visits": visits,
                "converted": rng.random() < chance,
                "days": [R.date() - timedelta(days=rng.randint(1, 60)) for _ in range(visits)],
                "converted_at": R + timedelta(days=rng.randint(1, 80), hours=rng.randint(0, 23)),
                "notes": rng.random() < 0.5,
            }
        )
    with database.unit_of_work() as session:
        if leaks:
            for name, kind, field_type in (
                ("won_flag", "number", "number"),
                ("deal_notes", "string", "text"),
            ):
                properties.create_property(
                    session,
                    CONTACTS,
                    name=name,
                    label=name,
                    type=kind,
                    field_type=field_type,
                    group_name="contactinformation",
                )
        ids: list[int] = []
        for start in range(0, n, 100):
            inputs = []
            for row in rows[start : start + 100]:
                props: dict[str, Any] = {
                    "email": f"p{row['i']}@population.example",
                    "createdate": iso_ms(R - timedelta(days=30 + row["i"] % 50)),
                    "hs_analytics_source": row["source"],
                    "jobtitle": row["title"],
                }
                if leaks:
                    props["won_flag"] = "1" if row["converted"] else "0"
                    if not row["converted"] and row["notes"]:
                        props["deal_notes"] = "call back"
                inputs.append({"properties": props})
            result = batch.create_batch(session, CONTACTS, inputs, now=R - timedelta(days=20))
            assert not result.errors
            by_email = {v.properties["email"]: v.id for v in result.results}
            ids += [by_email[i["properties"]["email"]] for i in inputs]
        labels: dict[int, bool] = {}
        for contact_id, row in zip(ids, rows, strict=True):
            labels[contact_id] = row["converted"]
            for day, count in Counter(row["days"]).items():
                session.add(
                    EventDailyCount(
                        contact_id=contact_id,
                        event_type="page_view",
                        detail="/pricing",
                        day=day,
                        count=count,
                    )
                )
            if row["converted"]:
                session.add(
                    LifecycleChange(
                        object_type="contacts",
                        record_id=contact_id,
                        from_stage="lead",
                        to_stage="opportunity",
                        changed_at=row["converted_at"],
                        source="api",
                    )
                )
                if leaks:
                    records.update_record(
                        session,
                        CONTACTS,
                        str(contact_id),
                        {"deal_notes": "signed the order form"},
                        now=row["converted_at"] + timedelta(days=1),
                    )
        session.flush()
    return labels


def train(database: Database, **options: Any) -> predictive.Trained:
    with database.unit_of_work() as session:
        options.setdefault("outcome", OUTCOME)
        trained = predictive.train(session, now=NOW, **options)
        session.expunge(trained.model)
        return trained


def scores(database: Database) -> dict[int, tuple[str | None, str | None]]:
    """Each live contact's (score, tier) as the contact properties read them."""
    with database.unit_of_work() as session:
        ids = [
            int(i) for i in session.scalars(select(Contact.id).where(Contact.archived.is_(False)))
        ]
        names = ["revline_predictive_score", "revline_predictive_tier"]
        views = records.render_rows(
            session,
            CONTACTS,
            list(records_repo.rows_by_id(session, CONTACTS, ids, archived=False).values()),
            properties_=names,
        )
    return {
        v.id: (v.properties["revline_predictive_score"], v.properties["revline_predictive_tier"])
        for v in views
    }


def search(client: TestClient, *filters: dict[str, Any]) -> int:
    resp = client.post(
        "/crm/v3/objects/contacts/search",
        json={"filterGroups": [{"filters": list(filters)}], "limit": 1},
    )
    assert resp.status_code == 200, resp.text
    return int(resp.json()["total"])


def fields_of(resp: Any) -> list[str]:
    assert resp.status_code == 400, resp.text
    return [f for e in resp.json()["errors"] for f in e.get("context", {}).get("field", [])]


# --- training through the API -----------------------------------------------------------


def test_training_learns_the_signal_and_scores_every_contact(
    client: TestClient, database: Database
) -> None:
    labels = population(database)
    tier_1_segment = segment(
        client, {"property": "revline_predictive_tier", "operator": "EQ", "value": "tier_1"}
    )
    resp = client.post(f"{BASE}/train", json={"outcome": OUTCOME})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["version"] == 1 and body["active"] is True
    assert body["algorithm"] == "logistic_regression" and body["seed"] == 42
    assert body["outcome"] == OUTCOME
    metrics = body["metrics"]
    assert metrics["rows"] == len(labels)
    assert metrics["positives"] == sum(labels.values())
    assert len(metrics["auc"]["folds"]) == 5
    assert metrics["auc"]["mean"] > 0.75, metrics["auc"]
    assert [d["decile"] for d in metrics["calibration"]] == list(range(1, 11))
    assert sum(d["rows"] for d in metrics["calibration"]) == len(labels)
    # Observed rates rise from the lowest tenth to the highest.
    assert metrics["calibration"][-1]["observedRate"] > metrics["calibration"][0]["observedRate"]
    top = {f["field"] for f in metrics["topFeatures"][:5]}
    assert {"hs_analytics_source", "events.page_view"} <= top
    assert body["warnings"] == [] and metrics["warnings"] == []
    assert "lifecyclestage" in {e["field"] for e in body["features"]["excluded"]}
    assert "artifact" not in body
    assert body["scoring"]["scored"] == len(labels)
    assert body["scoring"]["changed"] == len(labels)
    assert [c["tier"] for c in body["tierCutoffs"]] == ["tier_1", "tier_2", "tier_3", "tier_4"]

    # Both properties are read-only calculated contact properties, and searchable.
    listed = client.get("/crm/v3/properties/contacts").json()["results"]
    by_name = {p["name"]: p for p in listed}
    for name, kind in (
        ("revline_predictive_score", "number"),
        ("revline_predictive_tier", "enumeration"),
    ):
        assert by_name[name]["type"] == kind
        assert by_name[name]["modificationMetadata"]["readOnlyValue"] is True
        assert by_name[name]["calculated"] is True
    tier_1 = search(
        client, {"propertyName": "revline_predictive_tier", "operator": "EQ", "value": "tier_1"}
    )
    assert 0.15 * len(labels) <= tier_1 <= 0.35 * len(labels)
    scored = search(
        client, {"propertyName": "revline_predictive_score", "operator": "HAS_PROPERTY"}
    )
    assert scored == len(labels)
    cutoff = body["tierCutoffs"][0]["minScore"]
    above = search(
        client, {"propertyName": "revline_predictive_score", "operator": "GTE", "value": cutoff}
    )
    assert above == tier_1
    # Segments reading the tier follow the changed contacts.
    while work(database):
        pass
    in_tier_1 = {i for i, (_, tier) in scores(database).items() if tier == "tier_1"}
    assert members(database, tier_1_segment) == in_tier_1 and len(in_tier_1) == tier_1
    # Converted contacts score higher on average.
    held = scores(database)
    mean = {
        flag: sum(float(held[i][0] or 0) for i in labels if labels[i] is flag)
        / sum(1 for i in labels if labels[i] is flag)
        for flag in (True, False)
    }
    assert mean[True] > mean[False] + 10
    with database.unit_of_work() as session:
        changes = session.scalars(select(ScoreChange)).all()
    assert len(changes) == len(labels)
    assert {(c.model_id, c.cause, c.cause_detail) for c in changes} == {(0, "predictive", "v1")}
    assert all(c.old_score is None and c.new_label in predictive.TIERS for c in changes)

    listed_models = client.get(f"{BASE}/models").json()["results"]
    assert [m["version"] for m in listed_models] == [1]
    one = client.get(f"{BASE}/models/1").json()
    assert one["metrics"] == metrics and one["scoredAt"] is not None


def test_training_is_deterministic_with_a_seed(database: Database) -> None:
    population(database, n=200)
    first = train(database)
    held = scores(database)
    second = train(database)
    assert first.model.metrics == second.model.metrics
    assert first.model.features == second.model.features
    assert second.model.version == 2
    # Same model, same scores and tiers: nothing changed, no history written.
    assert second.scoring is not None and second.scoring.changed == 0
    assert scores(database) == held
    boosted = [
        train(database, algorithm="gradient_boosting", seed=7, activate=False) for _ in range(2)
    ]
    assert boosted[0].model.metrics == boosted[1].model.metrics
    assert boosted[0].scoring is None
    top = boosted[0].model.metrics["topFeatures"]
    assert all("importance" in f for f in top)
    assert boosted[0].model.metrics["auc"]["mean"] > 0.7


def test_noise_gives_an_auc_near_one_half(database: Database) -> None:
    population(database, n=300, signal=False, seed=3)
    trained = train(database, activate=False)
    assert 0.35 <= trained.model.metrics["auc"]["mean"] <= 0.65
    assert trained.model.metrics["warnings"] == []


def test_leakage_warnings_and_exclude(client: TestClient, database: Database) -> None:
    labels = population(database, leaks=True)
    trained = train(database, activate=False)
    warnings = {(w["field"], w["code"]) for w in trained.model.metrics["warnings"]}
    assert ("won_flag", "SUSPICIOUSLY_PREDICTIVE") in warnings
    assert ("deal_notes", "SET_AFTER_CONVERSION") in warnings
    assert not {f for f, _ in warnings} - {"won_flag", "deal_notes"}
    # Warned about, not dropped: the user decides.
    used = set(predictive.model_document(trained.model)["features"]["used"])
    assert {"won_flag", "deal_notes"} <= used

    resp = client.post(
        f"{BASE}/train",
        json={"outcome": OUTCOME, "exclude": ["won_flag", "deal_notes"], "activate": False},
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["warnings"] == [] and "scoring" not in body
    assert not {"won_flag", "deal_notes"} & set(body["features"]["used"])
    excluded = {e["field"]: e["reason"] for e in body["features"]["excluded"]}
    assert excluded["won_flag"] == excluded["deal_notes"] == "excluded"
    assert body["settings"]["exclude"] == ["won_flag", "deal_notes"]

    # A property outcome: its own property is left out, and having no dates, nothing is
    # checked against property history.
    resp = client.post(
        f"{BASE}/train",
        json={
            "outcome": {"property": "won_flag", "operator": "EQ", "value": 1},
            "activate": False,
        },
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["metrics"]["positives"] == sum(labels.values())
    assert {"field": "won_flag", "reason": "restates the outcome"} in body["features"]["excluded"]
    assert {(w["field"], w["code"]) for w in body["warnings"]} == {
        ("deal_notes", "SUSPICIOUSLY_PREDICTIVE")
    }

    # include restricts the fields to those named (the outcome's own is still left out).
    resp = client.post(
        f"{BASE}/train",
        json={
            "outcome": OUTCOME,
            "include": ["hs_analytics_source", "lifecyclestage"],
            "activate": False,
        },
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["features"]["used"] == ["hs_analytics_source"]
    assert {"field": "lifecyclestage", "reason": "restates the outcome"} in resp.json()["features"][
        "excluded"
    ]


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "outcome"),
        ({"outcome": {"lifecycleStage": "martian"}}, "outcome.lifecycleStage"),
        ({"outcome": {"lifecycleStage": "customer", "withinDays": 0}}, "outcome.withinDays"),
        ({"outcome": {"property": "nope", "operator": "EQ", "value": "1"}}, "outcome.property"),
        ({"outcome": OUTCOME, "include": ["no_such_property"]}, "include[0]"),
        ({"outcome": OUTCOME, "exclude": ["email", "company.nope"]}, "exclude[1]"),
        ({"outcome": OUTCOME, "exclude": ["events.nope"]}, "exclude[0]"),
        ({"outcome": OUTCOME, "include": "email"}, "include"),
        ({"outcome": OUTCOME, "include": []}, "include"),
        ({"outcome": OUTCOME, "include": [3]}, "include[0]"),
        ({"outcome": OUTCOME, "algorithm": "random_forest"}, "algorithm"),
        ({"outcome": OUTCOME, "algorithm": 1}, "algorithm"),
        ({"outcome": OUTCOME, "C": 0}, "C"),
        ({"outcome": OUTCOME, "C": "strong"}, "C"),
        ({"outcome": OUTCOME, "seed": -1}, "seed"),
        ({"outcome": OUTCOME, "seed": 1.5}, "seed"),
        ({"outcome": OUTCOME, "activate": "yes"}, "activate"),
        ({"outcome": OUTCOME, "colour": "red"}, "colour"),
        ([1, 2], "body"),
    ],
)
def test_bad_requests_are_400s_naming_the_field(client: TestClient, body: Any, field: str) -> None:
    assert field in fields_of(client.post(f"{BASE}/train", json=body))


def test_too_little_data_is_refused(client: TestClient, database: Database) -> None:
    resp = client.post(f"{BASE}/train", json={"outcome": OUTCOME})
    assert fields_of(resp) == ["outcome"]
    assert resp.json()["errors"][0]["code"] == "NOT_ENOUGH_ROWS"
    population(database, n=60, signal=False, seed=9)
    with database.unit_of_work() as session:
        session.execute(delete(LifecycleChange))
    resp = client.post(f"{BASE}/train", json={"outcome": OUTCOME})
    assert fields_of(resp) == ["outcome"]
    assert resp.json()["errors"][0]["code"] == "NOT_ENOUGH_OUTCOMES"
    assert "0 contacts reached lifecycle stage opportunity" in resp.json()["message"]
    with database.unit_of_work() as session:
        assert session.scalars(select(PredictiveModel)).all() == []
    # Nothing is active yet: scoring again has nothing to score with.
    resp = client.post(f"{BASE}/score")
    assert resp.status_code == 409, resp.text
    for path in ("/models/1", "/models/abc", "/models/99999999999999999999"):
        assert client.get(BASE + path).status_code == 404
    assert client.post(f"{BASE}/models/1/activate").status_code == 404
    assert fields_of(client.get(f"{BASE}/models", params={"limit": 0})) == ["limit"]
    assert fields_of(client.get(f"{BASE}/models", params={"after": "x"})) == ["after"]


# --- versions ---------------------------------------------------------------------------


def test_activating_another_version_rescores(client: TestClient, database: Database) -> None:
    labels = population(database, n=200)
    assert client.post(f"{BASE}/train", json={"outcome": OUTCOME}).status_code == 201
    before = scores(database)
    resp = client.post(
        f"{BASE}/train",
        json={"outcome": OUTCOME, "exclude": ["hs_analytics_source"], "activate": False},
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["version"] == 2 and resp.json()["active"] is False
    assert scores(database) == before  # a version that is not activated scores nothing

    resp = client.post(f"{BASE}/models/2/activate")
    assert resp.status_code == 200, resp.text
    changed = resp.json()["scoring"]["changed"]
    assert 0 < changed <= len(labels) and resp.json()["active"] is True
    after = scores(database)
    assert sum(after[i] != before[i] for i in labels) == changed
    with database.unit_of_work() as session:
        v2 = session.scalars(select(ScoreChange).where(ScoreChange.cause_detail == "v2")).all()
        assert len(v2) == changed
        some = v2[0]
        assert (str(some.old_score), some.old_label) != (str(some.new_score), some.new_label)
        assert before[some.contact_id][1] == some.old_label
    listed = client.get(f"{BASE}/models", params={"limit": 1}).json()
    assert [(m["version"], m["active"]) for m in listed["results"]] == [(2, True)]
    after_cursor = listed["paging"]["next"]["after"]
    rest = client.get(f"{BASE}/models", params={"after": after_cursor}).json()
    assert [(m["version"], m["active"]) for m in rest["results"]] == [(1, False)]

    # Scoring again with nothing new changes nothing.
    resp = client.post(f"{BASE}/score")
    assert resp.status_code == 200 and resp.json()["scoring"]["changed"] == 0
    # An archived contact is no longer scored.
    gone = next(iter(labels))
    assert client.delete(f"/crm/v3/objects/contacts/{gone}").status_code == 204
    assert client.post(f"{BASE}/score").json()["scoring"]["scored"] == len(labels) - 1


def test_jobs_retrain_and_rescore_only_with_an_active_model(database: Database) -> None:
    retrain, rescore = handler_for(RETRAIN), handler_for(RESCORE)
    assert retrain is not None and rescore is not None
    with database.unit_of_work() as session:
        retrain(session, {})
        rescore(session, {})
        assert session.scalars(select(PredictiveModel)).all() == []
    population(database, n=200)
    first = train(database, exclude=["jobtitle"], seed=5, c=0.5)
    with database.unit_of_work() as session:
        retrain(session, {})
        models = session.scalars(select(PredictiveModel).order_by(PredictiveModel.version)).all()
        assert [(m.version, m.active) for m in models] == [(1, False), (2, True)]
        newest = models[-1]
        assert newest.seed == 5 and newest.features["settings"] == first.model.features["settings"]
        assert newest.outcome == first.model.outcome and newest.scored_at is not None
        rescore(session, {})
        assert session.get(PredictiveModel, newest.id).scored_at is not None  # type: ignore[union-attr]


def test_cli_train_models_activate_score(database: Database) -> None:
    population(database, n=200)
    url = database.url
    result = run(
        "scoring", "predictive", "train", "--outcome", json.dumps(OUTCOME), "--database-url", url
    )
    assert result.exit_code == 0, result.output
    assert "version 1" in result.output and "ROC AUC" in result.output
    assert "hs_analytics_source" in result.output and "scored 200" in result.output
    result = run(
        "scoring",
        "predictive",
        "train",
        "--outcome",
        json.dumps(OUTCOME),
        "--exclude",
        "hs_analytics_source",
        "--algorithm",
        "gradient_boosting",
        "--no-activate",
        "--json",
        "--database-url",
        url,
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["version"] == 2 and document["active"] is False
    assert "hs_analytics_source" not in document["features"]["used"]
    result = run("scoring", "predictive", "models", "--database-url", url)
    assert result.exit_code == 0, result.output
    assert "gradient_boosting" in result.output and "logistic_regression" in result.output
    result = run("scoring", "predictive", "activate", "2", "--database-url", url)
    assert result.exit_code == 0 and "version 2 is active" in result.output, result.output
    result = run("scoring", "predictive", "score", "--database-url", url)
    assert result.exit_code == 0 and "0 changed" in result.output, result.output
    result = run("scoring", "predictive", "train", "--outcome", "{not json", "--database-url", url)
    assert result.exit_code == 1 and "outcome" in result.output
    result = run(
        "scoring",
        "predictive",
        "train",
        "--outcome",
        json.dumps(OUTCOME),
        "--include",
        "nope",
        "--database-url",
        url,
    )
    assert result.exit_code == 1 and "include[0]" in result.output, result.output
    result = run("scoring", "predictive", "activate", "9", "--database-url", url)
    assert result.exit_code == 1 and "does not exist" in result.output
