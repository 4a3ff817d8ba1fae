"""The demo workspace: sizes, a consistent sales story, real stage history, reproducibility."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from revline import demo
from revline.auth import service as auth_service
from revline.crm.object_types import ALL_TYPES, COMPANIES, CONTACTS, DEALS, ObjectType
from revline.crm.pipelines.service import DEFAULT_STAGES
from revline.crm.properties import service as properties
from revline.crm.properties.builtins import CALL_DISPOSITIONS, LEAD_STATUSES
from revline.crm.records import service as records
from revline.crm.records.service import RecordView
from revline.demo.behaviour import SEGMENTS
from revline.errors import Conflict
from revline.kit.db import Database

TODAY = date(2025, 6, 2)
HORIZON = datetime(2025, 6, 2, tzinfo=UTC)
STAGES = [s[0] for s in DEFAULT_STAGES]
OPEN = [s[0] for s in DEFAULT_STAGES if not s[3]]
SMALL = 0.1  # 20 companies, 200 contacts, 30 deals


def _generate(db: Database, *, seed: int = 7, scale: float = SMALL) -> demo.DemoSummary:
    with db.unit_of_work() as session:
        return demo.generate(session, seed=seed, today=TODAY, scale=scale)


def _all(
    session: Session,
    ot: ObjectType,
    *,
    names: list[str] | None = None,
    history: list[str] | None = None,
    links: list[ObjectType] | None = None,
) -> list[RecordView]:
    out: list[RecordView] = []
    after: str | None = None
    while True:
        page = records.list_records(
            session,
            ot,
            limit=100,
            after=after,
            properties_=names,
            with_history=history,
            associations_=links,
        )
        out.extend(page.items)
        if page.next_after is None:
            return out
        after = page.next_after


def _when(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- the plan at the default size (no database, so it is quick) -------------------------


def test_default_plan_has_the_required_sizes_and_spread() -> None:
    plan = demo.plan(seed=7, today=TODAY)

    assert len(plan.owners) >= 3
    assert {o.team for o in plan.owners} == {"Inbound", "Enterprise"}
    assert [o.role for o in plan.owners].count("sales_manager") == 1
    assert len(plan.companies) >= 200
    assert len(plan.contacts) >= 2000
    assert len(plan.deals) >= 300
    assert len(plan.activities) >= 2000

    outcomes = Counter(d.outcome for d in plan.deals)
    assert set(outcomes) == set(STAGES)
    assert min(outcomes.values()) >= 10
    stages = Counter(c.stage for c in plan.contacts)
    assert set(stages) == {*demo.FUNNEL, "other"}
    # A funnel: many at the top, fewer in the middle, some customers.
    assert stages["subscriber"] + stages["lead"] > 0.35 * len(plan.contacts)
    assert stages["lead"] > stages["marketingqualifiedlead"] > stages["salesqualifiedlead"]
    assert 0.05 * len(plan.contacts) < stages["customer"] + stages["evangelist"]
    assert stages["customer"] + stages["evangelist"] < 0.3 * len(plan.contacts)
    assert {c.lead_status for c in plan.contacts} >= {v for v, _ in LEAD_STATUSES}

    emails = [c.email for c in plan.contacts]
    assert len(set(emails)) == len(emails)
    domains = [c.domain for c in plan.companies]
    assert len(set(domains)) == len(domains)
    at_company = [c for c in plan.contacts if c.company and c.email.endswith(c.company.domain)]
    assert len(at_company) > 0.8 * len(plan.contacts)

    currencies = Counter(d.props["deal_currency_code"] for d in plan.deals)
    assert set(currencies) == {"USD", "EUR", "GBP"}
    assert currencies["USD"] > len(plan.deals) / 2
    assert all(1_000 <= d.amount <= 250_000 for d in plan.deals)
    assert all(d.amount % 50 == 0 for d in plan.deals)
    assert sum(d.amount for d in plan.deals if d.company.tier == "enterprise") / sum(
        1 for d in plan.deals if d.company.tier == "enterprise"
    ) > 3 * sum(d.amount for d in plan.deals if d.company.tier == "small") / sum(
        1 for d in plan.deals if d.company.tier == "small"
    )

    created = sorted(c.created for c in plan.contacts)
    assert (created[-1] - created[0]).days > 450  # spread over about eighteen months
    assert created[-1] < HORIZON
    employees: dict[str, list[int]] = {}
    for c in plan.companies:
        employees.setdefault(c.tier, []).append(int(c.props["numberofemployees"]))
        assert int(c.props["annualrevenue"]) > int(c.props["numberofemployees"]) * 40_000
    assert max(employees["small"]) < min(employees["enterprise"])


def test_plan_is_reproducible_and_depends_on_the_seed() -> None:
    def digest(plan: demo.DemoPlan) -> list[Any]:
        return [
            [(c.props, [(s.at, s.values) for s in c.steps]) for c in plan.companies],
            [(c.props, [(s.at, s.values) for s in c.steps]) for c in plan.contacts],
            [(d.props, [(s.at, s.values) for s in d.steps]) for d in plan.deals],
            [(a.object_type.name, a.created, a.props) for a in plan.activities],
        ]

    first = digest(demo.plan(seed=11, today=TODAY, scale=0.3))
    assert digest(demo.plan(seed=11, today=TODAY, scale=0.3)) == first
    assert digest(demo.plan(seed=12, today=TODAY, scale=0.3)) != first


def test_tiny_scales_still_cover_every_stage() -> None:
    plan = demo.plan(seed=1, today=TODAY, scale=0.001)
    assert {d.outcome for d in plan.deals} == set(STAGES)
    assert len(plan.companies) >= 6


# --- written to a real database -------------------------------------------------------


def test_generate_writes_a_consistent_workspace(database: Database) -> None:
    with database.unit_of_work() as session:
        assert not demo.has_demo_data(session)
    summary = _generate(database)

    assert summary.deals_by_stage.keys() == set(STAGES)
    assert all(n > 0 for n in summary.deals_by_stage.values())
    text = summary.describe()
    assert f"{summary.contacts:,} contacts" in text
    assert "deals" in text and "activities" in text

    with database.unit_of_work() as session:
        assert demo.has_demo_data(session)
        owners = auth_service.list_users(
            session, archived=False, after_id=None, limit=100, email=None
        )
        assert len(owners) == summary.owners >= 3
        teams = auth_service.teams_of(session, [u.id for u in owners])
        assert {t.name for memberships in teams.values() for t, _ in memberships} == {
            "Inbound",
            "Enterprise",
        }

        companies = _all(session, COMPANIES, names=["lifecyclestage", "domain"], links=[DEALS])
        contacts = _all(
            session,
            CONTACTS,
            names=["lifecyclestage", "hs_lead_status", "email", "hubspot_owner_id"],
            history=["lifecyclestage"],
            links=[COMPANIES, DEALS],
        )
        deals = _all(
            session,
            DEALS,
            names=["dealstage", "amount", "closedate", "createdate", "hubspot_owner_id"],
            history=["dealstage"],
            links=[COMPANIES, CONTACTS],
        )
        counts = {ot.name: len(_all(session, ot)) for ot in ALL_TYPES if ot.is_engagement}
    assert len(companies) == summary.companies
    assert len(contacts) == summary.contacts
    assert len(deals) == summary.deals
    assert counts == summary.activities
    assert Counter(d.properties["dealstage"] for d in deals) == summary.deals_by_stage

    stage_of_deal: dict[int, str] = {}
    for deal in deals:
        stage = deal.properties["dealstage"]
        assert stage is not None
        stage_of_deal[deal.id] = stage
        assert deal.properties["hubspot_owner_id"]
        assert deal.associations and deal.associations["companies"]
        assert deal.associations["contacts"]
        assert deal.history is not None
        timeline = list(reversed(deal.history["dealstage"]))  # the API gives newest first
        assert timeline[0].value == "appointmentscheduled"
        assert timeline[0].timestamp == _when(deal.properties["createdate"])
        assert timeline[-1].value == stage
        assert all(h.source_type == "IMPORT" and h.source_id == "demo" for h in timeline)
        moments = [h.timestamp for h in timeline]
        assert moments == sorted(moments) and len(set(moments)) == len(moments)
        order = [STAGES.index(h.value or "") for h in timeline]
        assert order == sorted(order) and len(set(order)) == len(order)
        close = _when(deal.properties["closedate"])
        if stage in OPEN:
            assert close > HORIZON
        else:
            assert close == moments[-1] < HORIZON
        assert Decimal(deal.properties["amount"] or "0") >= 1_000

    # The story holds together: wins make customers, open deals make opportunities.
    company_stage = {c.id: c.properties["lifecyclestage"] for c in companies}
    company_deals: dict[int, set[str]] = {}
    for company in companies:
        linked = (company.associations or {}).get("deals", [])
        company_deals[company.id] = {stage_of_deal[link.to_id] for link in linked}
        if "closedwon" in company_deals[company.id]:
            assert company_stage[company.id] == "customer"
        elif company_deals[company.id]:
            assert company_stage[company.id] == "opportunity"
    rank = {s: i for i, s in enumerate(demo.FUNNEL)}
    for contact in contacts:
        stage = contact.properties["lifecyclestage"]
        assert stage is not None
        assert contact.history is not None
        reached = [h.value for h in reversed(contact.history["lifecyclestage"])]
        assert reached[-1] == stage
        if stage != "other":
            assert [rank[s or ""] for s in reached] == sorted(rank[s or ""] for s in reached)
        links = contact.associations or {}
        primary = [link for link in links.get("companies", []) if link.label == "Primary"]
        if not primary:
            continue
        stages = company_deals[primary[0].to_id]
        if "closedwon" in stages:
            assert stage in ("customer", "evangelist")
        elif stages & set(OPEN):
            assert stage == "opportunity"
        if links.get("deals"):
            assert rank.get(stage, 0) >= rank["opportunity"]
            assert contact.properties["hubspot_owner_id"]

    _check_activities(database)

    with database.unit_of_work() as session, pytest.raises(Conflict):
        demo.generate(session, seed=7, today=TODAY, scale=SMALL)


def _check_activities(database: Database) -> None:
    with database.unit_of_work() as session:
        by_type = {
            ot.name: _all(
                session, ot, names=[p.name for p in properties.list_properties(session, ot)]
            )
            for ot in ALL_TYPES
            if ot.is_engagement
        }
    dispositions = {value for value, _ in CALL_DISPOSITIONS}
    for call in by_type["calls"]:
        p = call.properties
        assert p["hs_call_disposition"] in dispositions
        assert p["hs_call_direction"] in ("INBOUND", "OUTBOUND")
        assert int(p["hs_call_duration"] or "0") >= 0
        assert _when(p["hs_timestamp"]) < HORIZON
    for meeting in by_type["meetings"]:
        p = meeting.properties
        start, end = _when(p["hs_meeting_start_time"]), _when(p["hs_meeting_end_time"])
        assert start < end and p["hs_timestamp"] == p["hs_meeting_start_time"]
        assert (p["hs_meeting_outcome"] == "SCHEDULED") == (start >= HORIZON)
    for task in by_type["tasks"]:
        p = task.properties
        due = _when(p["hs_timestamp"])
        assert (p["hs_task_status"] == "COMPLETED") == (due < HORIZON)
        assert p["hs_task_priority"] and p["hs_task_type"]
        assert _when(p["hs_createdate"]) <= HORIZON
    assert by_type["notes"] and by_type["emails"]
    assert all(e.properties["hs_email_subject"] for e in by_type["emails"])


def _copy_of(template: Path, tmp_path: Path, name: str) -> Database:
    path = tmp_path / name
    shutil.copyfile(template, path)
    return Database(f"sqlite:///{path}")


def _dump(db: Database) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with db.unit_of_work() as session:
        out["owners"] = [
            (u.id, u.email, u.first_name, u.last_name, u.role)
            for u in auth_service.list_users(
                session, archived=False, after_id=None, limit=100, email=None
            )
        ]
        for ot in ALL_TYPES:
            names = [p.name for p in properties.list_properties(session, ot)]
            out[ot.name] = [
                (
                    v.id,
                    v.properties,
                    v.created_at,
                    v.updated_at,
                    {
                        name: [(h.value, h.timestamp, h.source_type) for h in entries]
                        for name, entries in (v.history or {}).items()
                    },
                    {
                        to: sorted((link.to_id, link.type_id) for link in links)
                        for to, links in (v.associations or {}).items()
                    },
                )
                for v in _all(
                    session, ot, names=names, history=names, links=[CONTACTS, COMPANIES, DEALS]
                )
            ]
    return out


def test_same_seed_and_day_give_the_same_data(sqlite_template: Path, tmp_path: Path) -> None:
    # (That another seed gives other data is checked on the plan, without a database.)
    dumps = []
    for name in ("a.db", "b.db"):
        db = _copy_of(sqlite_template, tmp_path, name)
        try:
            _generate(db, seed=5, scale=0.04)
            dumps.append(_dump(db))
        finally:
            db.dispose()
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["deals"]) >= 7 and dumps[0]["calls"]


def test_demo_data_is_readable_through_the_api(database: Database, client: TestClient) -> None:
    summary = _generate(database, scale=0.05)

    r = client.get(
        "/crm/v3/objects/deals",
        params={
            "limit": 100,
            "properties": "dealname,amount,dealstage,closedate,deal_currency_code",
            "propertiesWithHistory": "dealstage",
            "associations": "companies,contacts",
        },
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert len(results) == summary.deals
    assert {d["properties"]["dealstage"] for d in results} == set(STAGES)
    won = next(d for d in results if d["properties"]["dealstage"] == "closedwon")
    assert " - " in won["properties"]["dealname"]
    history = won["propertiesWithHistory"]["dealstage"]
    values = [h["value"] for h in history]  # newest first
    assert values[0] == "closedwon" and values[-1] == "appointmentscheduled"
    assert all(h["sourceType"] == "IMPORT" for h in history)
    assert won["associations"]["companies"]["results"]
    assert won["associations"]["contacts"]["results"]

    company_id = won["associations"]["companies"]["results"][0]["id"]
    company = client.get(
        f"/crm/v3/objects/companies/{company_id}",
        params={"properties": "name,domain,lifecyclestage", "associations": "contacts"},
    ).json()
    assert company["properties"]["lifecyclestage"] == "customer"
    contact_id = company["associations"]["contacts"]["results"][0]["id"]
    contact = client.get(
        f"/crm/v3/objects/contacts/{contact_id}", params={"properties": "lifecyclestage"}
    ).json()
    assert contact["properties"]["lifecyclestage"] in ("customer", "evangelist")

    owners = client.get("/crm/v3/owners").json()["results"]
    assert len(owners) == summary.owners
    assert all(o["email"].endswith("@revline.example") and o["teams"] for o in owners)

    calls = client.get(
        "/crm/v3/objects/calls", params={"limit": 5, "associations": "deals,contacts"}
    ).json()["results"]
    assert calls and all("contacts" in c["associations"] for c in calls)


def test_demo_tracks_behaviour_and_keeps_segments(database: Database, client: TestClient) -> None:
    """The demo's events are stored with daily counts, anonymous visitors are stitched to
    the contact their form identified, and its segments hold members."""
    summary = _generate(database)
    assert summary.events > 0
    assert list(summary.segments) == [name for name, _ in SEGMENTS]
    assert "tracked events" in summary.describe()

    listed = client.get("/revline/v1/segments", params={"limit": 10}).json()["results"]
    sizes = {s["name"]: s["size"] for s in listed}
    assert set(sizes) == set(summary.segments)
    assert sizes["US demo requesters"] > 0

    with database.unit_of_work() as session:
        stitched = session.execute(
            text(
                "SELECT count(*) FROM events WHERE anonymous_id IS NOT NULL "
                "AND contact_id IS NOT NULL AND event_type = 'page_view'"
            )
        ).scalar_one()
        anonymous_left = session.execute(
            text("SELECT count(*) FROM events WHERE contact_id IS NULL")
        ).scalar_one()
    assert stitched > 0
    assert anonymous_left == 0


def test_demo_scores_contacts_with_its_models(database: Database, client: TestClient) -> None:
    """The demo's fit, engagement and grade models score every contact, with spread."""
    summary = _generate(database)
    assert summary.score_models == ("fit", "engagement", "grade")
    assert "score models: fit, engagement, grade" in summary.describe()
    for name in ("fit", "engagement"):
        resp = client.post(
            "/crm/v3/objects/contacts/search",
            json={
                "filterGroups": [
                    {
                        "filters": [
                            {
                                "propertyName": f"revline_score_{name}",
                                "operator": "GT",
                                "value": "0",
                            }
                        ]
                    }
                ],
                "limit": 1,
            },
        )
        assert 0 < resp.json()["total"] < summary.contacts, name
    resp = client.post(
        "/crm/v3/objects/contacts/search",
        json={
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": "revline_score_grade_label", "operator": "HAS_PROPERTY"}
                    ]
                }
            ],
            "limit": 1,
        },
    )
    assert resp.json()["total"] == summary.contacts
