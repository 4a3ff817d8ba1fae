"""Stuck deals on every engine: rot days set on a stage, the 75th percentile learnt from won
deals, the minimum sample, filters, paging and validation. The service gets a fixed ``now``
(2026-03-01 00:00 UTC); deals are created and moved through the records service.

Learning data in the default pipeline, all created B = 2026-01-01:
  W1..W6 won, with stays in appointmentscheduled of 1, 2, 3, 4, 5 and 10 days; W1..W4 go
  through presentationscheduled (1 day each: 4 stays, below the minimum of 5).
  L lost after 30 days in appointmentscheduled (lost deals teach nothing).
Sorted won stays 1, 2, 3, 4, 5, 10: nearest rank ceil(0.75 x 6) = 5 -> the threshold is 5 days.
qualifiedtobuy has rot days 3 set on the stage.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from revline.analytics import repository as analytics_repo
from revline.analytics import service as analytics
from revline.analytics.schemas import stuck_deals_out
from revline.auth import service as auth_service
from revline.crm.object_types import DEALS
from revline.crm.records import service as records
from revline.errors import ValidationError
from revline.kit.db import Database
from revline.models import Deal

B = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _create(db: Database, props: dict[str, Any], at: datetime) -> str:
    with db.unit_of_work() as session:
        return str(records.create_record(session, DEALS, props, now=at).id)


def _move(db: Database, deal: str, props: dict[str, Any], at: datetime) -> None:
    with db.unit_of_work() as session:
        records.update_record(session, DEALS, deal, props, now=at)


def _stuck(db: Database, **kwargs: Any) -> dict[str, Any]:
    with db.unit_of_work() as session:
        return stuck_deals_out(analytics.stuck_deals(session, now=NOW, **kwargs))


@pytest.fixture
def owners(database: Database) -> tuple[str, str]:
    with database.unit_of_work() as session:
        one = auth_service.create_user(session, email="one@example.com")
        two = auth_service.create_user(session, email="two@example.com")
        return str(one.id), str(two.id)


@pytest.fixture
def deals(database: Database, client: TestClient, owners: tuple[str, str]) -> dict[str, str]:
    one, two = owners
    rot = client.patch(
        "/crm/v3/pipelines/deals/default/stages/qualifiedtobuy",
        json={"metadata": {"rotDays": "3"}},
    )
    assert rot.status_code == 200, rot.text
    for i, days in enumerate([1, 2, 3, 4, 5, 10]):
        won = _create(database, {"dealname": f"W{i + 1}"}, B)
        at = B + timedelta(days=days)
        if i < 4:
            _move(database, won, {"dealstage": "presentationscheduled"}, at)
            at += timedelta(days=1)
        _move(database, won, {"dealstage": "closedwon"}, at)
    lost = _create(database, {"dealname": "L"}, B)
    _move(
        database,
        lost,
        {"dealstage": "closedlost", "closed_lost_reason": "PRICE"},
        B + timedelta(days=30),
    )

    def open_deal(name: str, owner: str, created: datetime) -> str:
        props = {"dealname": name, "amount": "100", "hubspot_owner_id": owner}
        return _create(database, props, created)

    made = {
        # 9 days in appointmentscheduled: 4 over the learnt 5.
        "S1": open_deal("S1", one, datetime(2026, 2, 20, tzinfo=UTC)),
        # 2 days: not stuck.
        "S2": open_deal("S2", one, datetime(2026, 2, 27, tzinfo=UTC)),
        # 5 days in qualifiedtobuy: 2 over its rot days.
        "S3": open_deal("S3", two, datetime(2026, 2, 20, tzinfo=UTC)),
        # 59 days in presentationscheduled: no threshold there, never flagged.
        "S4": open_deal("S4", two, B),
        # 19 days in appointmentscheduled: 14 over.
        "S5": open_deal("S5", two, datetime(2026, 2, 10, tzinfo=UTC)),
    }
    _move(database, made["S3"], {"dealstage": "qualifiedtobuy"}, datetime(2026, 2, 24, tzinfo=UTC))
    _move(database, made["S4"], {"dealstage": "presentationscheduled"}, B)
    return made


def _rows(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (r["name"], r["stageId"], r["daysInStage"], r["thresholdDays"], r["thresholdSource"])
        for r in body["results"]
    ]


def test_rot_days_and_the_won_deals_percentile(
    database: Database, deals: dict[str, str], owners: tuple[str, str]
) -> None:
    body = _stuck(database)
    # Furthest over the threshold first.
    assert _rows(body) == [
        ("S5", "appointmentscheduled", "19.0", "5.0", "won_p75"),
        ("S1", "appointmentscheduled", "9.0", "5.0", "won_p75"),
        ("S3", "qualifiedtobuy", "5.0", "3.0", "rot_days"),
    ]
    first = body["results"][0]
    assert first["id"] == deals["S5"]
    assert (first["ownerId"], first["pipelineId"], first["amount"]) == (
        owners[1],
        "default",
        "100.00",
    )
    assert first["reason"] == (
        "19.0 days in Appointment Scheduled, over 5.0 days: the 75th percentile of 6 stays "
        "in this stage by won deals of the pipeline"
    )
    assert body["results"][2]["reason"] == (
        "5.0 days in Qualified To Buy, over the rot threshold of 3 days set on the stage"
    )
    thresholds = {t["stageId"]: t for t in body["thresholds"]}
    assert [t["stageId"] for t in body["thresholds"]] == [
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
    ]
    assert {k: (t["days"], t["source"], t["sampleSize"]) for k, t in thresholds.items()} == {
        "appointmentscheduled": ("5.0", "won_p75", 6),
        "qualifiedtobuy": ("3.0", "rot_days", None),
        "presentationscheduled": (None, "won_p75", 4),
        "decisionmakerboughtin": (None, "won_p75", 0),
        "contractsent": (None, "won_p75", 0),
    }
    assert "not flagged" in thresholds["presentationscheduled"]["note"]
    assert "note" not in thresholds["appointmentscheduled"]
    assert "paging" not in body


def test_filters_and_paging(
    database: Database, deals: dict[str, str], owners: tuple[str, str]
) -> None:
    one, two = owners
    assert [r["name"] for r in _stuck(database, owner=one)["results"]] == ["S1"]
    assert [r["name"] for r in _stuck(database, owner=two)["results"]] == ["S5", "S3"]
    assert [r["name"] for r in _stuck(database, pipeline="default")["results"]] == [
        "S5",
        "S1",
        "S3",
    ]
    page = _stuck(database, limit=2)
    assert [r["name"] for r in page["results"]] == ["S5", "S1"]
    after = page["paging"]["next"]["after"]
    rest = _stuck(database, limit=2, after=after)
    assert [r["name"] for r in rest["results"]] == ["S3"]
    assert "paging" not in rest


def test_a_deal_of_another_pipeline_with_its_own_rot_days(
    database: Database, client: TestClient, deals: dict[str, str]
) -> None:
    made = client.post(
        "/crm/v3/pipelines/deals",
        json={
            "label": "Renewals",
            "displayOrder": 1,
            "stages": [
                {
                    "label": "Due",
                    "displayOrder": 0,
                    "metadata": {"probability": "0.5", "rotDays": "1"},
                },
                {
                    "label": "Renewed",
                    "displayOrder": 1,
                    "metadata": {"probability": "1.0", "isClosed": "true"},
                },
            ],
        },
    )
    assert made.status_code == 201, made.text
    renewals = made.json()["id"]
    due = made.json()["stages"][0]["id"]
    _create(
        database,
        {"dealname": "R", "pipeline": renewals, "dealstage": due},
        datetime(2026, 2, 25, tzinfo=UTC),
    )
    # 4 days in Due against 1: 3 over, between S1 (4 over) and S3 (2 over).
    everywhere = _stuck(database)
    assert [r["name"] for r in everywhere["results"]] == ["S5", "S1", "R", "S3"]
    assert [r["name"] for r in _stuck(database, pipeline=renewals)["results"]] == ["R"]
    assert [r["name"] for r in _stuck(database, pipeline="default")["results"]] == [
        "S5",
        "S1",
        "S3",
    ]


def test_closed_and_archived_deals_are_never_stuck(
    database: Database, client: TestClient, deals: dict[str, str]
) -> None:
    _move(
        database,
        deals["S5"],
        {"dealstage": "closedlost", "closed_lost_reason": "PRICE"},
        datetime(2026, 2, 28, tzinfo=UTC),
    )
    assert client.delete(f"/crm/v3/objects/deals/{deals['S1']}").status_code == 204
    assert [r["name"] for r in _stuck(database)["results"]] == ["S3"]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"owner": "x1"}, "owner"),
        ({"pipeline": "nope"}, "pipeline"),
        ({"limit": 0}, "limit"),
        ({"after": "minus"}, "after"),
    ],
)
def test_bad_filters_name_the_parameter(
    database: Database, kwargs: dict[str, Any], name: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        _stuck(database, **kwargs)
    assert name in raised.value.errors[0].context


def test_the_endpoint(client: TestClient, database: Database) -> None:
    # Against the real clock: 8 days and 2 hours in qualifiedtobuy, rot days 7.
    now = datetime.now(UTC)
    client.patch(
        "/crm/v3/pipelines/deals/default/stages/qualifiedtobuy",
        json={"metadata": {"rotDays": "7"}},
    )
    entered = now - timedelta(days=8, hours=2)
    deal = _create(database, {"dealname": "Old", "amount": "250.5"}, entered)
    _move(database, deal, {"dealstage": "qualifiedtobuy"}, entered)
    _create(database, {"dealname": "Fresh"}, now - timedelta(days=1))
    resp = client.get("/revline/v1/deals/stuck", params={"pipeline": "default"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [
        (r["id"], r["daysInStage"], r["thresholdDays"], r["amount"]) for r in body["results"]
    ] == [(deal, "8.1", "7.0", "250.50")]
    assert client.get("/revline/v1/deals/stuck", params={"limit": "0"}).status_code == 400
    assert client.get("/revline/v1/deals/stuck", params={"owner": "me"}).status_code == 400
    assert client.get("/revline/v1/deals/stuck", params={"pipeline": "x"}).status_code == 400


def _won_deal(database: Database, name: str) -> str:
    with database.unit_of_work() as session:
        return str(session.scalar(select(Deal.id).where(Deal.dealname == name)))


def _learnt(database: Database) -> dict[str, Any]:
    body = _stuck(database)
    return {t["stageId"]: (t["days"], t["sampleSize"]) for t in body["thresholds"]}


def test_learnt_thresholds_are_reused_until_a_won_deal_changes(
    database: Database,
    client: TestClient,
    deals: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    computed: list[str] = []
    compute = analytics_repo.won_stay_percentiles

    def counting(session: Any, pipeline_id: str, stage_ids: Any) -> Any:
        computed.append(pipeline_id)
        return compute(session, pipeline_id, stage_ids)

    monkeypatch.setattr(analytics_repo, "won_stay_percentiles", counting)
    first = _learnt(database)
    assert first["appointmentscheduled"] == ("5.0", 6)
    assert _learnt(database) == first
    assert computed == ["default"]  # the second answer came from the cache

    # W6 (10 days in appointmentscheduled) is reopened: it no longer teaches anything.
    _move(
        database,
        _won_deal(database, "W6"),
        {"dealstage": "contractsent"},
        datetime(2026, 2, 1, tzinfo=UTC),
    )
    assert _learnt(database)["appointmentscheduled"] == ("4.0", 5)
    assert computed == ["default", "default"]

    # Won again, with a stay of 1 day in contractsent, then archived: gone again.
    w6 = _won_deal(database, "W6")
    _move(database, w6, {"dealstage": "closedwon"}, datetime(2026, 2, 2, tzinfo=UTC))
    assert _learnt(database)["appointmentscheduled"] == ("5.0", 6)
    assert client.delete(f"/crm/v3/objects/deals/{w6}").status_code == 204
    assert _learnt(database)["appointmentscheduled"] == ("4.0", 5)


def test_a_backdated_reopening_of_a_won_deal_is_seen(
    database: Database, deals: dict[str, str]
) -> None:
    assert _learnt(database)["appointmentscheduled"] == ("5.0", 6)
    # Dated before W6's last update (as an import replays history): the latest update time
    # of the won deals stays the same; their count and sums change.
    w5 = _won_deal(database, "W5")
    _move(database, w5, {"dealstage": "contractsent"}, datetime(2026, 1, 7, tzinfo=UTC))
    assert _learnt(database)["appointmentscheduled"] == ("4.0", 5)
