"""Keeping membership right: the ``segments.reevaluate`` job after property, company, link,
event, archive and merge changes; cascades through inSegment; lapsing windows moved by the
daily job; daily counts and raw events answering alike; and, property-based, incremental
maintenance always agreeing with a full rebuild."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from starlette.testclient import TestClient

from revline.crm.object_types import COMPANIES, CONTACTS
from revline.crm.records.repository import table_for
from revline.crm.signals import REEVALUATE
from revline.jobs import queue
from revline.kit.db import Database
from revline.models import (
    Association,
    Event,
    EventDailyCount,
    Job,
    PropertyHistory,
    Segment,
    SegmentMember,
)
from revline.segments import service
from revline.segments.conditions import parse_conditions
from revline.segments.tasks import REFRESH
from revline.worker import runner
from tests.segments_support import (
    SEGMENTS,
    company,
    contact,
    members,
    segment,
    set_primary,
    today,
    track,
    work,
    write_events,
)


def eq(name: str, value: Any) -> dict[str, Any]:
    return {"property": name, "operator": "EQ", "value": value}


def patch(client: TestClient, kind: str, ident: int, **props: Any) -> None:
    resp = client.patch(f"/crm/v3/objects/{kind}/{ident}", json={"properties": props})
    assert resp.status_code == 200, resp.text


def jobs_of(database: Database, kind: str) -> list[dict[str, Any]]:
    with database.unit_of_work() as session:
        return [j.payload for j in session.scalars(select(Job).where(Job.kind == kind))]


def full(
    database: Database, segment_id: int, *, day: date | None = None, raw: bool = False
) -> set[int]:
    """Who a full evaluation puts in the segment now (nothing is written)."""
    with database.unit_of_work() as session:
        seg = session.get(Segment, segment_id)
        assert seg is not None and seg.conditions is not None
        query = service.compile_members(
            session, parse_conditions(seg.conditions), today=day or today(), force_raw=raw
        )
        return set(session.scalars(query))


# --- the job after each kind of change ---------------------------------------------------


def test_no_job_without_dynamic_segments(client: TestClient, database: Database) -> None:
    a = contact(client, email="a@x.com")
    patch(client, "contacts", a, country="US")
    assert jobs_of(database, REEVALUATE) == []


def test_property_change_reevaluates_only_segments_reading_it(
    client: TestClient, database: Database
) -> None:
    a = contact(client, email="a@x.com", country="FR")
    by_country = segment(client, eq("country", "US"), name="US")
    by_city = segment(client, eq("city", "Boston"), name="Boston")
    base_rebuilt = client.get(f"{SEGMENTS}/{by_city}").json()["lastRebuiltAt"]
    patch(client, "contacts", a, country="US")
    assert jobs_of(database, REEVALUATE)[-1]["properties"] == ["country"]
    work(database)
    assert members(database, by_country) == {a}
    assert members(database, by_city) == set()
    assert client.get(f"{SEGMENTS}/{by_city}").json()["lastRebuiltAt"] == base_rebuilt
    # A new contact can meet any condition.
    b = contact(client, email="b@x.com", country="US")
    work(database)
    assert members(database, by_country) == {a, b}


def test_company_property_and_link_changes(client: TestClient, database: Database) -> None:
    soft = company(client, name="Soft", industry="BANKING")
    other = company(client, name="Other", industry="COMPUTER_SOFTWARE")
    a = contact(client, email="a@x.com")
    set_primary(client, a, soft)
    s = segment(
        client, {"companyProperty": "industry", "operator": "EQ", "value": "COMPUTER_SOFTWARE"}
    )
    assert members(database, s) == set()
    patch(client, "companies", soft, industry="COMPUTER_SOFTWARE")
    work(database)
    assert members(database, s) == {a}
    patch(client, "companies", soft, industry="BANKING")
    work(database)
    assert members(database, s) == set()
    # The primary company moves to one in software: the contact enters.
    set_primary(client, a, other)
    work(database)
    assert members(database, s) == {a}
    # The link goes: the contact leaves.
    resp = client.delete(f"/crm/v4/objects/contacts/{a}/associations/companies/{other}")
    assert resp.status_code == 204
    work(database)
    assert members(database, s) == set()
    # Archiving the company takes its contacts out too.
    set_primary(client, a, other)
    work(database)
    assert members(database, s) == {a}
    assert client.delete(f"/crm/v3/objects/companies/{other}").status_code == 204
    work(database)
    assert members(database, s) == set()


def test_events_enter_contacts(client: TestClient, database: Database) -> None:
    a = contact(client, email="a@x.com")
    b = contact(client, email="b@x.com")
    demo = segment(
        client,
        {
            "and": [
                {"event": "form_submitted", "where": [eq("form_id", "demo")]},
                {
                    "event": "page_view",
                    "where": [eq("path", "/pricing")],
                    "atLeast": 2,
                    "inLastDays": 30,
                },
            ]
        },
    )
    track(database, a, "form_submitted", [today()], form_id="demo")
    track(database, a, "page_view", [today()], path="/pricing")
    track(database, b, "page_view", [today(), today()], path="/pricing")
    work(database)
    assert members(database, demo) == set()
    track(database, a, "page_view", [today() - timedelta(days=29)], path="/pricing")
    work(database)
    assert members(database, demo) == {a}


def test_archive_restore_and_merge(client: TestClient, database: Database) -> None:
    a = contact(client, email="a@x.com", country="US")
    b = contact(client, email="b@x.com", country="US")
    s = segment(client, eq("country", "US"), name="US")
    vip = segment(client, None, name="VIP", kind="static")
    client.post(f"{SEGMENTS}/{vip}/members/add", json={"ids": [a, b]})
    assert client.delete(f"/crm/v3/objects/contacts/{a}").status_code == 204
    work(database)
    assert members(database, s) == {b} and members(database, vip) == {b}
    assert client.post(f"/revline/v1/objects/contacts/{a}/restore").status_code == 200
    work(database)
    # Back in the dynamic segment; a static list is not refilled by itself.
    assert members(database, s) == {a, b} and members(database, vip) == {b}
    resp = client.post(
        "/crm/v3/objects/contacts/merge", json={"primaryObjectId": a, "objectIdToMerge": b}
    )
    assert resp.status_code == 200, resp.text
    work(database)
    assert members(database, s) == {a} and members(database, vip) == set()


def test_cascade_through_in_segment_in_one_job(client: TestClient, database: Database) -> None:
    a = contact(client, email="a@x.com", country="FR", city="Boston")
    us = segment(client, eq("country", "US"), name="US")
    boston = segment(client, {"and": [{"inSegment": us}, eq("city", "Boston")]}, name="B")
    outside = segment(client, {"notInSegment": boston}, name="outside")
    assert members(database, outside) == {a}
    patch(client, "contacts", a, country="US")
    assert work(database) == 1
    assert members(database, boston) == {a}
    assert members(database, outside) == set()


def test_one_job_takes_the_queued_ones_with_it(client: TestClient, database: Database) -> None:
    """A re-evaluation job also does the work of the re-evaluations queued behind it (they
    are marked done in its transaction), with the same outcome as running them one by one."""
    a = contact(client, email="a@x.com", country="FR")
    b = contact(client, email="b@x.com", country="FR")
    us = segment(client, eq("country", "US"), name="US")
    patch(client, "contacts", a, country="US")
    patch(client, "contacts", b, country="US")
    with database.unit_of_work() as session:
        statuses = session.scalars(select(Job.status).where(Job.kind == REEVALUATE))
        assert list(statuses) == ["queued", "queued"]
        claimed = queue.claim_due(session, worker_id="w", limit=1)
    assert len(claimed) == 1
    assert runner.run_job(database, claimed[0], worker_id="w")
    assert members(database, us) == {a, b}
    with database.unit_of_work() as session:
        statuses = session.scalars(select(Job.status).where(Job.kind == REEVALUATE))
        assert list(statuses) == ["done", "done"]
    assert work(database) == 0


def test_merged_payloads_keep_every_cause_per_object_type() -> None:
    merged = service.merge_payloads(
        [
            {"object_type": "contacts", "ids": [3, 1], "events": ["page_view"]},
            {"object_type": "companies", "ids": [9], "properties": ["industry"]},
            {
                "object_type": "contacts",
                "ids": [1, 2],
                "properties": ["country"],
                "associations": True,
            },
        ]
    )
    assert merged == [
        {
            "object_type": "companies",
            "ids": [9],
            "properties": ["industry"],
            "events": [],
            "associations": False,
        },
        {
            "object_type": "contacts",
            "ids": [1, 2, 3],
            "properties": ["country"],
            "events": ["page_view"],
            "associations": True,
        },
    ]


# --- time -------------------------------------------------------------------------------


def refresh(database: Database, day: date) -> None:
    with database.unit_of_work() as session:
        queue.enqueue(session, REFRESH, {"today": day.isoformat()})
    work(database)


def test_lapsing_windows_move_with_the_daily_job(client: TestClient, database: Database) -> None:
    a = contact(client, email="a@x.com")
    b = contact(client, email="b@x.com")
    t0 = today()
    with database.unit_of_work() as session:
        write_events(session, a, "page_view", [t0], path="/pricing")
    recent = segment(client, {"event": "page_view", "inLastDays": 30}, name="recent")
    lapsed = segment(client, {"event": "page_view", "notInLastDays": 14}, name="lapsed")
    fixed = segment(
        client,
        {"event": "page_view", "between": {"from": "2020-01-01", "to": "2020-12-31"}},
        name="2020",
    )
    assert client.get(f"{SEGMENTS}/{fixed}").json()["timeBased"] is False
    assert members(database, recent) == {a}
    assert members(database, lapsed) == {b}
    refresh(database, t0 + timedelta(days=13))
    assert members(database, lapsed) == {b}
    refresh(database, t0 + timedelta(days=14))
    assert members(database, lapsed) == {a, b}
    refresh(database, t0 + timedelta(days=29))
    assert members(database, recent) == {a}
    refresh(database, t0 + timedelta(days=30))
    assert members(database, recent) == set()
    history = client.get(f"/revline/v1/contacts/{a}/segments").json()["history"]
    assert [(h["segmentName"], h["change"]) for h in history[:2]] == [
        ("recent", "exited"),
        ("lapsed", "entered"),
    ]


# --- daily counts and raw events agree ----------------------------------------------------


@pytest.mark.parametrize(
    "leaf",
    [
        {"event": "page_view"},
        {"event": "page_view", "atLeast": 3},
        {"event": "page_view", "atMost": 1, "inLastDays": 10},
        {"event": "page_view", "where": [eq("path", "/pricing")], "inLastDays": 5},
        {
            "event": "page_view",
            "where": [{"property": "path", "operator": "IN", "values": ["/a", "/pricing"]}],
            "between": {"from": "2026-01-01", "to": "2099-01-01"},
        },
        {"event": "page_view", "where": [eq("path", "/a"), eq("path", "/pricing")]},
        {"event": "form_submitted", "notInLastDays": 3},
    ],
)
def test_daily_counts_and_raw_events_agree(
    client: TestClient, database: Database, leaf: dict[str, Any]
) -> None:
    t0 = today()
    people = [contact(client, email=f"c{i}@x.com") for i in range(5)]
    with database.unit_of_work() as session:
        write_events(
            session, people[0], "page_view", [t0, t0, t0 - timedelta(days=4)], path="/pricing"
        )
        write_events(session, people[1], "page_view", [t0 - timedelta(days=5)], path="/pricing")
        write_events(session, people[2], "page_view", [t0 - timedelta(days=9)], path="/a")
        write_events(session, people[2], "page_view", [t0], path="/pricing")
        write_events(session, people[3], "form_submitted", [t0 - timedelta(days=2)], form_id="x")
        write_events(session, people[4], "page_view", [t0 - timedelta(days=40)] * 3, path="/b")
    s = segment(client, leaf)
    assert members(database, s) == full(database, s, raw=True)


def test_raw_only_conditions_read_event_properties(client: TestClient, database: Database) -> None:
    a = contact(client, email="a@x.com")
    b = contact(client, email="b@x.com")
    with database.unit_of_work() as session:
        write_events(session, a, "subscription_activated", [today()], plan="pro", mrr=120)
        write_events(session, b, "subscription_activated", [today()], plan="free", mrr="n/a")
    cases: list[tuple[dict[str, Any], set[int]]] = [
        ({"property": "mrr", "operator": "GT", "value": 100}, {a}),
        ({"property": "mrr", "operator": "LTE", "value": 100}, set()),
        ({"property": "plan", "operator": "NEQ", "value": "pro"}, {b}),
        ({"property": "plan", "operator": "NOT_IN", "values": ["pro"]}, {b}),
        ({"property": "reason", "operator": "NOT_HAS_PROPERTY"}, {a, b}),
        ({"property": "mrr", "operator": "HAS_PROPERTY"}, {a, b}),
        ({"property": "plan", "operator": "CONTAINS_TOKEN", "value": "PR*"}, {a}),
    ]
    for i, (where, expected) in enumerate(cases):
        s = segment(client, {"event": "subscription_activated", "where": [where]}, name=f"s{i}")
        assert members(database, s) == expected, where


# --- property-based: incremental == full rebuild ------------------------------------------

COUNTRIES = st.sampled_from([None, "US", "FR"])
INDUSTRIES = ("BANKING", "COMPUTER_SOFTWARE")

leaves = st.one_of(
    st.sampled_from(
        [
            eq("country", "US"),
            {"property": "country", "operator": "NEQ", "value": "US"},
            {"property": "country", "operator": "IN", "values": ["US", "FR"]},
            {"property": "country", "operator": "NOT_HAS_PROPERTY"},
            {"companyProperty": "industry", "operator": "EQ", "value": "BANKING"},
            {"companyProperty": "industry", "operator": "NEQ", "value": "BANKING"},
            {"inSegment": "BASE"},
            {"notInSegment": "BASE"},
        ]
    ),
    st.builds(
        lambda where, count, window: {
            "event": "page_view",
            **({"where": [eq("path", "/pricing")]} if where else {}),
            **count,
            **window,
        },
        st.booleans(),
        st.sampled_from([{}, {"atLeast": 2}, {"atMost": 0}, {"atMost": 1}]),
        st.sampled_from([{}, {"inLastDays": 3}, {"inLastDays": 30}]),
    ),
)
trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(lambda xs: {"and": xs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda xs: {"or": xs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, children),
    ),
    max_leaves=5,
)
changes = st.lists(
    st.one_of(
        st.tuples(st.just("country"), st.integers(0, 3), COUNTRIES),
        st.tuples(st.just("primary"), st.integers(0, 3), st.integers(0, 1)),
        st.tuples(st.just("unlink"), st.integers(0, 3), st.integers(0, 1)),
        st.tuples(st.just("industry"), st.integers(0, 1), st.sampled_from(INDUSTRIES)),
        st.tuples(st.just("event"), st.integers(0, 3), st.integers(0, 10)),
        st.tuples(st.just("archive"), st.integers(0, 3), st.just(0)),
    ),
    min_size=1,
    max_size=5,
)


def _wipe(database: Database) -> None:
    with database.unit_of_work() as session:
        for model in (Job, SegmentMember, Segment, Event, EventDailyCount, Association):
            session.execute(delete(model))
        session.execute(delete(PropertyHistory))
        session.execute(delete(table_for(CONTACTS)))
        session.execute(delete(table_for(COMPANIES)))


def _bind(tree: Any, base: int) -> Any:
    if isinstance(tree, dict):
        return {k: (base if v == "BASE" else _bind(v, base)) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_bind(x, base) for x in tree]
    return tree


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    countries=st.lists(COUNTRIES, min_size=4, max_size=4),
    primaries=st.lists(st.sampled_from([None, 0, 1]), min_size=4, max_size=4),
    visits=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10), st.booleans()), max_size=6),
    tree=trees,
    steps=changes,
)
def test_incremental_membership_equals_a_full_rebuild(
    client: TestClient,
    database: Database,
    countries: list[str | None],
    primaries: list[int | None],
    visits: list[tuple[int, int, bool]],
    tree: Any,
    steps: list[tuple[str, int, Any]],
) -> None:
    _wipe(database)
    t0 = today()
    companies = [company(client, name=f"co{i}", industry=INDUSTRIES[i]) for i in range(2)]
    people = [
        contact(client, email=f"p{i}@x.com", **({"country": c} if c else {}))
        for i, c in enumerate(countries)
    ]
    for person, primary in zip(people, primaries, strict=True):
        if primary is not None:
            set_primary(client, person, companies[primary])
    with database.unit_of_work() as session:
        for who, ago, pricing in visits:
            path = "/pricing" if pricing else "/docs"
            write_events(session, people[who], "page_view", [t0 - timedelta(days=ago)], path=path)
    base = segment(
        client, {"or": [eq("country", "FR"), {"event": "page_view", "inLastDays": 3}]}, name="base"
    )
    target = segment(client, _bind(tree, base), name="target")
    assert members(database, target) == full(database, target)
    assert full(database, target) == full(database, target, raw=True)
    archived: set[int] = set()
    for kind, i, value in steps:
        who = people[i]
        if who in archived and kind != "industry":
            continue
        if kind == "country":
            patch(client, "contacts", who, country=value or "")
        elif kind == "primary":
            set_primary(client, who, companies[value])
        elif kind == "unlink":
            client.delete(
                f"/crm/v4/objects/contacts/{who}/associations/companies/{companies[value]}"
            )
        elif kind == "industry":
            patch(client, "companies", companies[i], industry=value)
        elif kind == "event":
            track(database, who, "page_view", [t0 - timedelta(days=value)], path="/pricing")
        else:
            assert client.delete(f"/crm/v3/objects/contacts/{who}").status_code == 204
            archived.add(who)
        work(database)
        for s in (base, target):
            assert members(database, s) == full(database, s), (kind, i, value)
