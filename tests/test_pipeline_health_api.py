"""GET /revline/v1/pipelines/{id}/health on every engine, against deals created and moved
through the records service at fixed times (so their stage transitions exist).

The fixture, in the default pipeline (days from T0 = 2026-01-05 00:00 UTC):

  A  owner 1, 1000: created T0 in appointmentscheduled, qualifiedtobuy +2,
     presentationscheduled +6, closedwon +10 (Jan 15)
  B  owner 2, 2000: created T0, qualifiedtobuy +4, back to appointmentscheduled +5,
     qualifiedtobuy +7, closedlost +12 (Jan 17)
  C  owner 1,  500: created +1, straight to contractsent +5 (skips three stages), open
  D  owner 1, 3000: created 2025-12-01, closedwon 2026-01-10 (a 40-day cycle)
  E  owner 2,  800: created Jan 20, open in appointmentscheduled
  F  owner 2,  100: created Feb 10 (after the window), open in appointmentscheduled
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from revline.auth import service as auth_service
from revline.crm.object_types import DEALS
from revline.crm.records import service as records
from revline.kit.db import Database

T0 = datetime(2026, 1, 5, tzinfo=UTC)
URL = "/revline/v1/pipelines/default/health"
JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}


def _day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def _create(db: Database, props: dict[str, Any], at: datetime) -> str:
    with db.unit_of_work() as session:
        return str(records.create_record(session, DEALS, props, now=at).id)


def _move(db: Database, deal: str, stage: str, at: datetime) -> None:
    props = {"dealstage": stage}
    if stage == "closedlost":
        props["closed_lost_reason"] = "BUDGET"
    with db.unit_of_work() as session:
        records.update_record(session, DEALS, deal, props, now=at)


@pytest.fixture
def owners(database: Database) -> tuple[str, str]:
    with database.unit_of_work() as session:
        one = auth_service.create_user(session, email="one@example.com")
        two = auth_service.create_user(session, email="two@example.com")
        return str(one.id), str(two.id)


@pytest.fixture
def deals(database: Database, owners: tuple[str, str]) -> None:
    one, two = owners

    def deal(name: str, amount: str, owner: str, at: datetime) -> str:
        props = {"dealname": name, "amount": amount, "hubspot_owner_id": owner}
        return _create(database, props, at)

    a = deal("A", "1000", one, T0)
    b = deal("B", "2000", two, T0)
    c = deal("C", "500", one, _day(1))
    d = deal("D", "3000", one, datetime(2025, 12, 1, tzinfo=UTC))
    deal("E", "800", two, datetime(2026, 1, 20, tzinfo=UTC))
    deal("F", "100", two, datetime(2026, 2, 10, tzinfo=UTC))
    _move(database, a, "qualifiedtobuy", _day(2))
    _move(database, a, "presentationscheduled", _day(6))
    _move(database, a, "closedwon", _day(10))
    _move(database, b, "qualifiedtobuy", _day(4))
    _move(database, b, "appointmentscheduled", _day(5))
    _move(database, b, "qualifiedtobuy", _day(7))
    _move(database, b, "closedlost", _day(12))
    _move(database, c, "contractsent", _day(5))
    _move(database, d, "closedwon", datetime(2026, 1, 10, tzinfo=UTC))


def _health(client: TestClient, **params: str) -> dict[str, Any]:
    resp = client.get(URL, params=params)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def _stages(body: dict[str, Any], *fields: str) -> dict[str, tuple[Any, ...]]:
    return {s["stageId"]: tuple(s[f] for f in fields) for s in body["stages"]}


@pytest.mark.usefixtures("deals")
def test_stages_in_pipeline_order_with_amounts_time_in_stage_and_conversion(
    client: TestClient,
) -> None:
    body = _health(client, **JANUARY)
    assert (body["pipelineId"], body["from"], body["to"], body["ownerId"]) == (
        "default",
        "2026-01-01",
        "2026-01-31",
        None,
    )
    assert body["currency"] == "USD"
    assert [s["stageId"] for s in body["stages"]] == [
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
    ]
    # Deals now in each stage; weighted = home amount x stage probability.
    assert _stages(body, "count", "amount", "weightedAmount") == {
        "appointmentscheduled": (2, "900.00", "180.00"),  # E 800 + F 100, at 0.2
        "qualifiedtobuy": (0, "0.00", "0.00"),
        "presentationscheduled": (0, "0.00", "0.00"),
        "decisionmakerboughtin": (0, "0.00", "0.00"),
        "contractsent": (1, "500.00", "450.00"),  # C at 0.9
        "closedwon": (2, "4000.00", "4000.00"),  # A + D
        "closedlost": (1, "2000.00", "0.00"),  # B
    }
    # Stays that ended in January. appointmentscheduled: A 2, B 4, B 2 (re-entry), C 4,
    # D 40 days -> mean 52 / 5 = 10.4, median 4. qualifiedtobuy: A 4, B 1, B 5 -> mean
    # 10 / 3 = 3.3, median 4. presentationscheduled: A 4.
    assert _stages(body, "staysEnded", "averageDaysInStage", "medianDaysInStage") == {
        "appointmentscheduled": (5, "10.4", "4.0"),
        "qualifiedtobuy": (3, "3.3", "4.0"),
        "presentationscheduled": (1, "4.0", "4.0"),
        "decisionmakerboughtin": (0, None, None),
        "contractsent": (0, None, None),
        "closedwon": (0, None, None),
        "closedlost": (0, None, None),
    }
    # Entered in January (once per deal) and later reached a later open stage or won.
    # appointmentscheduled: A, B, C moved on, E did not (D entered in December, F in
    # February). qualifiedtobuy: A moved on; B went back, returned, then lost.
    # C skipped three stages: it never entered them, so they do not count it.
    assert _stages(body, "entered", "advanced", "conversionRate") == {
        "appointmentscheduled": (4, 3, "0.7500"),
        "qualifiedtobuy": (2, 1, "0.5000"),
        "presentationscheduled": (1, 1, "1.0000"),
        "decisionmakerboughtin": (0, 0, None),
        "contractsent": (1, 0, "0.0000"),
        "closedwon": (None, None, None),
        "closedlost": (None, None, None),
    }


@pytest.mark.usefixtures("deals")
def test_pipeline_totals_win_rate_size_cycle_and_velocity(client: TestClient) -> None:
    totals = _health(client, **JANUARY)["totals"]
    assert totals == {
        "open": {"count": 3, "amount": "1400.00"},  # C, E, F now
        "new": {"count": 4, "amount": "4300.00"},  # A, B, C, E created in January
        "won": {"count": 2, "amount": "4000.00"},  # A (Jan 15), D (Jan 10)
        "lost": {"count": 1, "amount": "2000.00"},  # B (Jan 17)
        "winRate": "0.6667",  # 2 / (2 + 1)
        "averageWonAmount": "2000.00",  # 4000 / 2
        "averageSalesCycleDays": "25.0",  # A 10 days, D 40 days
        # 3 open x 2/3 x 2000 / 25 days
        "velocityPerDay": "160.00",
    }


@pytest.mark.usefixtures("deals")
def test_the_window_decides_what_counts(client: TestClient) -> None:
    body = _health(client, **{"from": "2026-01-11", "to": "2026-01-31"})
    totals = body["totals"]
    # D was won on Jan 10, before the window; A on Jan 15 is in it.
    assert (totals["won"], totals["lost"], totals["winRate"]) == (
        {"count": 1, "amount": "1000.00"},
        {"count": 1, "amount": "2000.00"},
        "0.5000",
    )
    assert totals["new"] == {"count": 1, "amount": "800.00"}  # E
    assert totals["averageSalesCycleDays"] == "10.0"
    # 3 open x 0.5 x 1000 / 10 days
    assert totals["velocityPerDay"] == "150.00"
    stages = _stages(body, "staysEnded", "averageDaysInStage", "entered", "conversionRate")
    # Only B's second stay (Jan 10 to Jan 12) ended inside; only E entered inside.
    assert stages["appointmentscheduled"] == (1, "2.0", 1, "0.0000")
    # B's last stay in qualifiedtobuy ended Jan 17; A's on Jan 11 (the first day).
    assert stages["qualifiedtobuy"] == (2, "4.5", 1, "0.0000")
    # The to day is inclusive: a window of Jan 15 alone holds A's win.
    one_day = _health(client, **{"from": "2026-01-15", "to": "2026-01-15"})["totals"]
    assert one_day["won"] == {"count": 1, "amount": "1000.00"}
    assert one_day["lost"]["count"] == 0


def test_owner_filter(client: TestClient, owners: tuple[str, str], deals: None) -> None:
    one, _ = owners
    body = _health(client, owner=one, **JANUARY)
    assert body["ownerId"] == one
    assert body["totals"] == {
        "open": {"count": 1, "amount": "500.00"},  # C
        "new": {"count": 2, "amount": "1500.00"},  # A, C
        "won": {"count": 2, "amount": "4000.00"},
        "lost": {"count": 0, "amount": "0.00"},
        "winRate": "1.0000",
        "averageWonAmount": "2000.00",
        "averageSalesCycleDays": "25.0",
        "velocityPerDay": "80.00",  # 1 x 1 x 2000 / 25
    }
    stages = _stages(body, "count", "staysEnded", "averageDaysInStage", "medianDaysInStage")
    # A 2, C 4, D 40 days.
    assert stages["appointmentscheduled"] == (0, 3, "15.3", "4.0")
    assert _stages(body, "entered", "advanced")["appointmentscheduled"] == (2, 2)


def test_an_empty_pipeline_has_no_rates(client: TestClient) -> None:
    body = _health(client, **JANUARY)
    assert body["totals"] == {
        "open": {"count": 0, "amount": "0.00"},
        "new": {"count": 0, "amount": "0.00"},
        "won": {"count": 0, "amount": "0.00"},
        "lost": {"count": 0, "amount": "0.00"},
        "winRate": None,
        "averageWonAmount": None,
        "averageSalesCycleDays": None,
        "velocityPerDay": None,
    }


def test_default_window_is_the_last_90_days(client: TestClient) -> None:
    body = _health(client)
    today = datetime.now(UTC).date()
    assert (body["from"], body["to"]) == (
        (today - timedelta(days=89)).isoformat(),
        today.isoformat(),
    )


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"to": "20260101"}, "to"),
        ({"from": "2026-02-01", "to": "2026-01-31"}, "from"),
        ({"owner": "abc"}, "owner"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    client: TestClient, params: dict[str, str], name: str
) -> None:
    resp = client.get(URL, params=params)
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert name in body["errors"][0]["context"]


def test_unknown_pipeline_is_404(client: TestClient) -> None:
    assert client.get("/revline/v1/pipelines/nope/health").status_code == 404
