"""Incremental scoring equals a full recompute: random populations, random models and random
changes (property edits, primary company moves, company edits, events, archiving), each
followed by the jobs they write; after every step, a full recompute finds nothing to change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from starlette.testclient import TestClient

from revline.crm.object_types import COMPANIES, CONTACTS
from revline.crm.records.repository import table_for
from revline.kit.db import Database
from revline.models import (
    Association,
    Event,
    EventDailyCount,
    Job,
    PropertyHistory,
    ScoreChange,
    ScoreModel,
    SegmentMember,
)
from revline.scoring import service
from tests.segments_support import company, contact, set_primary, today, track, work

COUNTRIES = st.sampled_from([None, "US", "FR", "DE"])
INDUSTRIES = ["COMPUTER_SOFTWARE", "BANKING"]
POINTS = st.integers(-15, 25).filter(lambda p: p != 0)


def _rules(draw: Any) -> list[dict[str, Any]]:
    candidates = [
        {"property": "country", "operator": "IN", "values": ["US", "DE"]},
        {"property": "country", "operator": "NOT_HAS_PROPERTY"},
        {"companyProperty": "industry", "operator": "EQ", "value": "COMPUTER_SOFTWARE"},
        {
            "event": "page_view",
            "where": [{"property": "path", "operator": "EQ", "value": "/pricing"}],
        },
        {"event": "page_view", "inLastDays": 5},
        {"event": "page_view", "decayDays": 8},
        {"event": "form_submitted"},
    ]
    chosen = draw(
        st.lists(st.sampled_from(range(len(candidates))), min_size=1, max_size=5, unique=True)
    )
    rules = []
    for i in chosen:
        rule = {**candidates[i], "points": draw(POINTS)}
        if draw(st.booleans()):
            rule["maxPoints"] = draw(st.integers(0, 30))
        rules.append(rule)
    return rules


@st.composite
def models(draw: Any) -> dict[str, Any]:
    rules = _rules(draw)
    split = draw(st.integers(1, len(rules)))
    groups = [{"name": "g1", "rules": rules[:split]}]
    if rules[split:]:
        groups.append({"name": "g2", "rules": rules[split:], "maxPoints": draw(st.integers(0, 40))})
    body: dict[str, Any] = {
        "name": "m",
        "groups": groups,
        "labels": [{"label": "A", "minScore": 20}, {"label": "B", "minScore": 0}],
    }
    if draw(st.booleans()):
        body["maxScore"] = draw(st.integers(1, 60))
    return body


changes = st.lists(
    st.one_of(
        st.tuples(st.just("country"), st.integers(0, 3), COUNTRIES),
        st.tuples(st.just("primary"), st.integers(0, 3), st.integers(0, 1)),
        st.tuples(st.just("industry"), st.integers(0, 1), st.sampled_from(INDUSTRIES)),
        st.tuples(st.just("view"), st.integers(0, 3), st.integers(0, 9)),
        st.tuples(st.just("form"), st.integers(0, 3), st.integers(0, 3)),
        st.tuples(st.just("archive"), st.integers(0, 3), st.none()),
    ),
    max_size=6,
)


def _wipe(database: Database) -> None:
    with database.unit_of_work() as session:
        for model in (
            Job,
            ScoreChange,
            ScoreModel,
            SegmentMember,
            Event,
            EventDailyCount,
            Association,
            PropertyHistory,
        ):
            session.execute(delete(model))
        session.execute(delete(table_for(CONTACTS)))
        session.execute(delete(table_for(COMPANIES)))


def _nothing_left_to_change(database: Database, step: Any) -> None:
    with database.unit_of_work() as session:
        model = service.access_model(session, "m")
        result = service.recompute(session, model, cause="check", signal=False)
        assert result.changed == 0, step


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    countries=st.lists(COUNTRIES, min_size=4, max_size=4),
    primaries=st.lists(st.sampled_from([None, 0, 1]), min_size=4, max_size=4),
    views=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 9), st.booleans()), max_size=5),
    body=models(),
    steps=changes,
)
def test_incremental_scores_equal_a_full_recompute(
    client: TestClient,
    database: Database,
    countries: list[str | None],
    primaries: list[int | None],
    views: list[tuple[int, int, bool]],
    body: dict[str, Any],
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
    for who, ago, pricing in views:
        path = "/pricing" if pricing else "/docs"
        track(database, people[who], "page_view", [t0 - timedelta(days=ago)], path=path)
    work(database)
    resp = client.post("/revline/v1/scoring/models", json=body)
    assert resp.status_code == 201, resp.text
    _nothing_left_to_change(database, "created")
    archived: set[int] = set()
    for step in steps:
        kind, i, value = step
        who = people[i]
        if who in archived and kind != "industry":
            continue
        if kind == "country":
            resp = client.patch(
                f"/crm/v3/objects/contacts/{who}", json={"properties": {"country": value or ""}}
            )
            assert resp.status_code == 200, resp.text
        elif kind == "primary":
            set_primary(client, who, companies[value])
        elif kind == "industry":
            resp = client.patch(
                f"/crm/v3/objects/companies/{companies[i]}",
                json={"properties": {"industry": value}},
            )
            assert resp.status_code == 200, resp.text
        elif kind == "view":
            track(database, who, "page_view", [t0 - timedelta(days=value)], path="/pricing")
        elif kind == "form":
            track(database, who, "form_submitted", [t0 - timedelta(days=value)], form_id="f")
        else:
            assert client.delete(f"/crm/v3/objects/contacts/{who}").status_code == 204
            archived.add(who)
        work(database)
        _nothing_left_to_change(database, step)
