"""The outcome a lead score is measured against: its JSON shapes and their 400s, and the
labelled population at a reference date, on a small hand-built population."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from revline.errors import ValidationError
from revline.kit.db import Database
from revline.kit.time import iso_ms
from revline.models import LifecycleChange
from revline.scoring.outcomes import (
    Outcome,
    conversion_times,
    labelled_population,
    parse_outcome,
)

R = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def days(n: float) -> datetime:
    return R + timedelta(days=n)


def contact(client: TestClient, created: datetime, **props: Any) -> int:
    body = {"properties": {"createdate": iso_ms(created), **props}}
    resp = client.post("/crm/v3/objects/contacts", json=body)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def archive(client: TestClient, object_type: str, record_id: int) -> None:
    assert client.delete(f"/crm/v3/objects/{object_type}/{record_id}").status_code == 204


def moved(database: Database, contact_id: int, stage: str, at: datetime) -> None:
    """A lifecycle change as the lifecycle rules record it, at a chosen time."""
    with database.unit_of_work() as session:
        session.add(
            LifecycleChange(
                object_type="contacts",
                record_id=contact_id,
                from_stage=None,
                to_stage=stage,
                changed_at=at,
                source="import",
            )
        )


def deal(client: TestClient, contact_id: int, stage: str, close: datetime) -> int:
    props = {"dealname": "D", "dealstage": stage, "closedate": iso_ms(close)}
    if stage == "closedlost":
        props["closed_lost_reason"] = "PRICE"
    body = {
        "properties": props,
        "associations": [
            {
                "to": {"id": str(contact_id)},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}],
            }
        ],
    }
    resp = client.post("/crm/v3/objects/deals", json=body)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def labels(database: Database, outcome: Outcome, reference: datetime = R) -> dict[int, bool]:
    with database.unit_of_work() as session:
        return labelled_population(session, outcome, reference)


def fields_of(raw: Any, database: Database | None = None) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        outcome = parse_outcome(raw)
        assert database is not None
        labels(database, outcome)
    return [f for e in caught.value.errors for f in e.context.get("field", [])]


def test_lifecycle_stage_population_and_labels(client: TestClient, database: Database) -> None:
    before = days(-30)
    quiet = contact(client, before)
    converted_before = contact(client, before)
    moved(database, converted_before, "opportunity", days(-5))
    at_reference = contact(client, before)
    moved(database, at_reference, "salesqualifiedlead", days(-20))
    moved(database, at_reference, "opportunity", R)  # at R counts as already reached
    later_stage = contact(client, before)
    moved(database, later_stage, "customer", days(10))
    window_end = contact(client, before)
    moved(database, window_end, "opportunity", days(90))  # the window's last instant
    too_late = contact(client, before)
    moved(database, too_late, "opportunity", days(90) + timedelta(seconds=1))
    earlier_stage_only = contact(client, before)
    moved(database, earlier_stage_only, "marketingqualifiedlead", days(3))
    created_after = contact(client, days(5))
    moved(database, created_after, "opportunity", days(6))
    gone = contact(client, before)
    moved(database, gone, "opportunity", days(8))
    archive(client, "contacts", gone)
    created_at_r = contact(client, R)

    outcome = parse_outcome({"lifecycleStage": "opportunity", "withinDays": 90})
    assert labels(database, outcome) == {
        quiet: False,
        later_stage: True,
        window_end: True,
        too_late: False,
        earlier_stage_only: False,
        created_at_r: False,
    }
    with database.unit_of_work() as session:
        assert conversion_times(session, outcome, R) == {
            later_stage: days(10),
            window_end: days(90),
            created_after: days(6),
            gone: days(8),
        }
    # A shorter window; a later reference date moves who is "already converted".
    short = parse_outcome({"lifecycleStage": "opportunity", "withinDays": 30})
    assert labels(database, short)[window_end] is False
    later = labels(database, outcome, days(12))
    assert later_stage not in later and created_after not in later
    assert later[window_end] is True and later[quiet] is False


def test_closed_won_deal_population_and_labels(client: TestClient, database: Database) -> None:
    before = days(-30)
    quiet = contact(client, before)
    won_inside = contact(client, before)
    deal(client, won_inside, "closedwon", days(10))
    won_before = contact(client, before)
    deal(client, won_before, "closedwon", days(-10))
    won_after_window = contact(client, before)
    deal(client, won_after_window, "closedwon", days(200))
    open_deal = contact(client, before)
    deal(client, open_deal, "appointmentscheduled", days(10))
    lost = contact(client, before)
    deal(client, lost, "closedlost", days(10))
    archived_deal = contact(client, before)
    archive(client, "deals", deal(client, archived_deal, "closedwon", days(10)))
    two_deals = contact(client, before)
    deal(client, two_deals, "closedwon", days(40))
    deal(client, two_deals, "closedwon", days(20))
    new = contact(client, days(1))
    deal(client, new, "closedwon", days(10))

    outcome = parse_outcome({"closedWonDeal": True})
    assert outcome.within_days == 90
    assert labels(database, outcome) == {
        quiet: False,
        won_inside: True,
        won_after_window: False,
        open_deal: False,
        lost: False,
        archived_deal: False,
        two_deals: True,
    }
    with database.unit_of_work() as session:
        times = conversion_times(session, outcome, R, [won_inside, two_deals])
    assert times == {won_inside: days(10), two_deals: days(20)}


def test_property_population_and_labels(client: TestClient, database: Database) -> None:
    before = days(-30)
    yes = contact(client, before, hs_lead_status="OPEN_DEAL")
    no = contact(client, before, hs_lead_status="NEW")
    empty = contact(client, before)
    contact(client, days(3), hs_lead_status="OPEN_DEAL")  # created after R: not counted
    gone = contact(client, before, hs_lead_status="OPEN_DEAL")
    archive(client, "contacts", gone)

    outcome = parse_outcome({"property": "hs_lead_status", "operator": "EQ", "value": "OPEN_DEAL"})
    assert not outcome.time_based and outcome.own_properties == {"hs_lead_status"}
    assert labels(database, outcome) == {yes: True, no: False, empty: False}
    listed = parse_outcome(
        {"property": "hs_lead_status", "operator": "IN", "values": ["OPEN_DEAL", "NEW"]}
    )
    assert labels(database, listed) == {yes: True, no: True, empty: False}
    with database.unit_of_work() as session:
        assert conversion_times(session, outcome, R) == {}


def test_to_api_round_trips() -> None:
    for raw in (
        {"lifecycleStage": "customer", "withinDays": 30},
        {"closedWonDeal": True, "withinDays": 365},
        {"property": "hs_lead_status", "operator": "EQ", "value": "OPEN_DEAL"},
        {"property": "hs_lead_status", "operator": "IN", "values": ["A", "B"]},
    ):
        assert parse_outcome(raw).to_api() == raw
        assert parse_outcome(parse_outcome(raw).to_api()) == parse_outcome(raw)
    assert parse_outcome({"lifecycleStage": "customer"}).to_api()["withinDays"] == 90


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (None, "outcome"),
        ([], "outcome"),
        ({}, "outcome"),
        ({"lifecycleStage": "customer", "closedWonDeal": True}, "outcome"),
        ({"nothing": 1}, "outcome"),
        ({"lifecycleStage": 3}, "outcome.lifecycleStage"),
        ({"lifecycleStage": "customer", "withinDays": 0}, "outcome.withinDays"),
        ({"lifecycleStage": "customer", "withinDays": 3651}, "outcome.withinDays"),
        ({"lifecycleStage": "customer", "withinDays": "90"}, "outcome.withinDays"),
        ({"lifecycleStage": "customer", "withinDays": True}, "outcome.withinDays"),
        ({"lifecycleStage": "customer", "operator": "EQ"}, "outcome.operator"),
        ({"closedWonDeal": False}, "outcome.closedWonDeal"),
        ({"closedWonDeal": "yes"}, "outcome.closedWonDeal"),
        ({"property": ""}, "outcome.property"),
        ({"property": "email", "operator": "LIKE", "value": "x"}, "outcome.operator"),
        ({"property": "email", "operator": "EQ", "value": {"a": 1}}, "outcome.value"),
        (
            {"property": "email", "operator": "EQ", "value": "x", "withinDays": 3},
            "outcome.withinDays",
        ),
    ],
)
def test_bad_shapes_name_the_field(raw: Any, field: str) -> None:
    assert field in fields_of(raw)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"lifecycleStage": "martian"}, "outcome.lifecycleStage"),
        ({"property": "no_such_property", "operator": "EQ", "value": "1"}, "outcome.property"),
        ({"property": "hs_object_id", "operator": "GT", "value": "many"}, "outcome.value"),
        ({"property": "hs_lead_status", "operator": "GT", "value": "NEW"}, "outcome.operator"),
        ({"property": "hs_lead_status", "operator": "IN", "values": []}, "outcome.values"),
        ({"property": "createdate", "operator": "EQ", "value": "soon"}, "outcome.value"),
    ],
)
def test_unknown_stage_or_property_is_a_400_naming_the_field(
    database: Database, raw: Any, field: str
) -> None:
    assert fields_of(raw, database) == [field]
