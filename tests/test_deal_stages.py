"""Deal stage history, time in stage, stage rules, closing rules, probability overrides and
forecast categories, on every engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from starlette.testclient import TestClient

from revline import migrations
from revline.crm.object_types import DEALS
from revline.crm.records import service as records
from revline.errors import ValidationError
from revline.kit.db import Database
from revline.setup import upgrade_database

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY_MS = 86_400_000


def _create(db: Database, props: dict[str, Any], at: datetime) -> str:
    with db.unit_of_work() as session:
        return records.create_record(session, DEALS, props, now=at).id


def _update(db: Database, deal_id: str, props: dict[str, Any], at: datetime) -> dict[str, Any]:
    with db.unit_of_work() as session:
        return dict(records.update_record(session, DEALS, deal_id, props, now=at).properties)


def _props(db: Database, deal_id: str, *names: str) -> dict[str, Any]:
    with db.unit_of_work() as session:
        view = records.access_record(session, DEALS, deal_id, properties_=list(names))
        return {n: view.properties.get(n) for n in names}


def test_transitions_and_the_four_time_values_with_re_entry(
    database: Database, client: TestClient
) -> None:
    deal = _create(database, {"dealname": "Loop", "amount": "1000"}, T0)
    moves = [
        ("qualifiedtobuy", 1),
        ("appointmentscheduled", 3),
        ("qualifiedtobuy", 6),
        ("closedwon", 10),
    ]
    for stage, day in moves:
        _update(database, deal, {"dealstage": stage}, T0 + timedelta(days=day))

    got = _props(
        database,
        deal,
        "hs_v2_date_entered_appointmentscheduled",
        "hs_v2_date_exited_appointmentscheduled",
        "hs_v2_latest_time_in_appointmentscheduled",
        "hs_v2_cumulative_time_in_appointmentscheduled",
        "hs_v2_date_entered_qualifiedtobuy",
        "hs_v2_date_exited_qualifiedtobuy",
        "hs_v2_latest_time_in_qualifiedtobuy",
        "hs_v2_cumulative_time_in_qualifiedtobuy",
        "hs_v2_date_entered_closedwon",
        "hs_v2_date_entered_current_stage",
        "closedate",
        "hs_is_closed_won",
    )
    assert got == {
        # Re-entered on day 3, left again on day 6: latest stay 3 days, both stays 1 + 3.
        "hs_v2_date_entered_appointmentscheduled": "2026-03-05T09:00:00.000Z",
        "hs_v2_date_exited_appointmentscheduled": "2026-03-08T09:00:00.000Z",
        "hs_v2_latest_time_in_appointmentscheduled": str(3 * DAY_MS),
        "hs_v2_cumulative_time_in_appointmentscheduled": str(4 * DAY_MS),
        "hs_v2_date_entered_qualifiedtobuy": "2026-03-08T09:00:00.000Z",
        "hs_v2_date_exited_qualifiedtobuy": "2026-03-12T09:00:00.000Z",
        "hs_v2_latest_time_in_qualifiedtobuy": str(4 * DAY_MS),
        "hs_v2_cumulative_time_in_qualifiedtobuy": str(6 * DAY_MS),
        "hs_v2_date_entered_closedwon": "2026-03-12T09:00:00.000Z",
        "hs_v2_date_entered_current_stage": "2026-03-12T09:00:00.000Z",
        # Closing stamps the close date with the moment of the move.
        "closedate": "2026-03-12T09:00:00.000Z",
        "hs_is_closed_won": "true",
    }

    resp = client.get(f"/revline/v1/deals/{deal}/stage-history")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [(t["fromStage"], t["toStage"]) for t in body["transitions"]] == [
        (None, "appointmentscheduled"),
        ("appointmentscheduled", "qualifiedtobuy"),
        ("qualifiedtobuy", "appointmentscheduled"),
        ("appointmentscheduled", "qualifiedtobuy"),
        ("qualifiedtobuy", "closedwon"),
    ]
    assert all(t["sourceType"] == "API" for t in body["transitions"])
    stages = {s["stageId"]: s for s in body["stages"]}
    assert stages["appointmentscheduled"]["entries"] == 2
    assert stages["appointmentscheduled"]["cumulativeTimeInMs"] == str(4 * DAY_MS)
    assert stages["qualifiedtobuy"]["latestTimeInMs"] == str(4 * DAY_MS)
    assert stages["closedwon"]["current"] is True
    with database.engine.connect() as conn:
        began = (
            conn.execute(
                text(
                    "SELECT stage_entered_at FROM deal_stage_transitions WHERE deal_id = :d"
                    " ORDER BY changed_at, id"
                ),
                {"d": int(deal)},
            )
            .scalars()
            .all()
        )
    # Written with each move: when the stay the move ends began.
    assert [None if b is None else str(b)[:10] for b in began] == [
        None,
        "2026-03-02",
        "2026-03-03",
        "2026-03-05",
        "2026-03-08",
    ]
    assert stages["closedwon"]["dateExited"] is None
    # The stay in progress is counted up to now in the view (not in the properties).
    assert int(stages["closedwon"]["cumulativeTimeInMs"]) > 0

    assert client.get("/revline/v1/deals/999999/stage-history").status_code == 404
    assert client.get("/revline/v1/deals/abc/stage-history").status_code == 404


def test_a_pipeline_move_and_a_reopening_are_transitions(
    database: Database, client: TestClient
) -> None:
    made = client.post(
        "/crm/v3/pipelines/deals",
        json={
            "label": "Renewals",
            "displayOrder": 1,
            "stages": [
                {"label": "Due", "displayOrder": 0, "metadata": {"probability": "0.5"}},
                {
                    "label": "Renewed",
                    "displayOrder": 1,
                    "metadata": {"probability": "1.0", "isClosed": "true"},
                },
            ],
        },
    )
    assert made.status_code == 201, made.text
    renewals = made.json()
    due, renewed = (s["id"] for s in renewals["stages"])
    deal = _create(database, {"dealname": "Move me", "dealstage": "closedwon"}, T0)
    closed_at = _props(database, deal, "closedate")["closedate"]
    # Reopening keeps the close date and clears the closed flags.
    _update(database, deal, {"dealstage": "contractsent"}, T0 + timedelta(days=2))
    assert _props(database, deal, "hs_is_closed", "closedate") == {
        "hs_is_closed": "false",
        "closedate": closed_at,
    }
    _update(database, deal, {"pipeline": renewals["id"], "dealstage": due}, T0 + timedelta(days=5))
    _update(database, deal, {"dealstage": renewed}, T0 + timedelta(days=9))
    rows = client.get(f"/revline/v1/deals/{deal}/stage-history").json()["transitions"]
    assert [(r["fromPipeline"], r["fromStage"], r["toPipeline"], r["toStage"]) for r in rows] == [
        (None, None, "default", "closedwon"),
        ("default", "closedwon", "default", "contractsent"),
        ("default", "contractsent", renewals["id"], due),
        (renewals["id"], due, renewals["id"], renewed),
    ]
    assert _props(database, deal, f"hs_v2_latest_time_in_{due}")[
        f"hs_v2_latest_time_in_{due}"
    ] == str(4 * DAY_MS)
    # Closing again stamps the new close date.
    assert _props(database, deal, "closedate")["closedate"] == "2026-03-11T09:00:00.000Z"


def test_a_stage_refuses_deals_without_its_required_properties(client: TestClient) -> None:
    resp = client.patch(
        "/crm/v3/pipelines/deals/default/stages/contractsent",
        json={"metadata": {"requiredProperties": "amount, closedate"}},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["metadata"]["requiredProperties"] == "amount,closedate"
    deal = client.post("/crm/v3/objects/deals", json={"properties": {"dealname": "Gate"}}).json()
    url = f"/crm/v3/objects/deals/{deal['id']}"

    refused = client.patch(url, json={"properties": {"dealstage": "contractsent"}})
    assert refused.status_code == 400
    problems = refused.json()["errors"]
    assert sorted(p["context"]["propertyName"][0] for p in problems) == ["amount", "closedate"]
    assert all(p["code"] == "REQUIRED_FOR_STAGE" for p in problems)
    assert "Contract Sent" in refused.json()["message"]
    still = client.get(url, params={"properties": "dealstage"}).json()["properties"]
    assert still["dealstage"] == "appointmentscheduled"

    ok = client.patch(
        url,
        json={
            "properties": {
                "dealstage": "contractsent",
                "amount": "5000",
                "closedate": "2026-12-01",
            }
        },
    )
    assert ok.status_code == 200, ok.text
    # Creating straight into the stage is a move into it too.
    created = client.post(
        "/crm/v3/objects/deals",
        json={"properties": {"dealname": "Direct", "dealstage": "contractsent"}},
    )
    assert created.status_code == 400
    # A batch reports the refused item and keeps the others.
    batch = client.post(
        "/crm/v3/objects/deals/batch/create",
        json={
            "inputs": [
                {"properties": {"dealname": "B1", "dealstage": "contractsent"}},
                {"properties": {"dealname": "B2"}},
            ]
        },
    )
    assert batch.status_code == 207, batch.text
    assert len(batch.json()["results"]) == 1
    error = batch.json()["errors"][0]
    assert error["category"] == "VALIDATION_ERROR"
    assert "REQUIRED_FOR_STAGE" in error["message"] and "amount" in error["message"]

    bad = client.patch(
        "/crm/v3/pipelines/deals/default/stages/contractsent",
        json={"metadata": {"requiredProperties": "nosuchproperty"}},
    )
    assert bad.status_code == 400
    assert "nosuchproperty" in bad.json()["message"]
    calculated = client.patch(
        "/crm/v3/pipelines/deals/default/stages/contractsent",
        json={"metadata": {"requiredProperties": "hs_is_closed"}},
    )
    assert calculated.status_code == 400


def test_closing_lost_asks_for_a_reason_from_the_configured_options(client: TestClient) -> None:
    deal = client.post("/crm/v3/objects/deals", json={"properties": {"dealname": "Lost"}}).json()
    url = f"/crm/v3/objects/deals/{deal['id']}"
    no_reason = client.patch(url, json={"properties": {"dealstage": "closedlost"}})
    assert no_reason.status_code == 400
    assert no_reason.json()["errors"][0]["context"]["propertyName"] == ["closed_lost_reason"]
    unknown = client.patch(
        url, json={"properties": {"dealstage": "closedlost", "closed_lost_reason": "BAD_LUCK"}}
    )
    assert unknown.status_code == 400
    # The options are the workspace's to edit.
    prop = client.get("/crm/v3/properties/deals/closed_lost_reason").json()
    options = [*prop["options"], {"label": "Bad luck", "value": "BAD_LUCK", "displayOrder": 9}]
    assert (
        client.patch(
            "/crm/v3/properties/deals/closed_lost_reason", json={"options": options}
        ).status_code
        == 200
    )
    lost = client.patch(
        url, json={"properties": {"dealstage": "closedlost", "closed_lost_reason": "BAD_LUCK"}}
    )
    assert lost.status_code == 200, lost.text
    state = client.get(
        url, params={"properties": "hs_is_closed,hs_is_closed_lost,closedate,hs_forecast_category"}
    ).json()["properties"]
    assert state["hs_is_closed"] == "true" and state["hs_is_closed_lost"] == "true"
    assert state["closedate"] is not None
    assert state["hs_forecast_category"] == "OMIT"


def test_a_given_close_date_wins_over_the_stamp(database: Database) -> None:
    deal = _create(
        database, {"dealname": "Dated", "dealstage": "closedwon", "closedate": "2025-12-31"}, T0
    )
    assert _props(database, deal, "closedate")["closedate"] == "2025-12-31T00:00:00.000Z"


def test_probability_override_and_forecast_categories(client: TestClient) -> None:
    def state(deal_id: str) -> dict[str, Any]:
        names = "hs_deal_stage_probability,hs_forecast_probability,hs_projected_amount,"
        names += "hs_forecast_category,hs_manual_forecast_category"
        names += ",hs_projected_amount_in_home_currency"
        out: dict[str, Any] = client.get(
            f"/crm/v3/objects/deals/{deal_id}", params={"properties": names}
        ).json()["properties"]
        return {k: v for k, v in out.items() if k in names.split(",")}

    deal = client.post(
        "/crm/v3/objects/deals",
        json={"properties": {"dealname": "P", "amount": "1000", "dealstage": "qualifiedtobuy"}},
    ).json()["id"]
    assert state(deal) == {
        "hs_deal_stage_probability": "0.4",
        "hs_forecast_probability": None,
        "hs_projected_amount": "400",
        "hs_forecast_category": "PIPELINE",
        "hs_manual_forecast_category": None,
        "hs_projected_amount_in_home_currency": "400",
    }
    url = f"/crm/v3/objects/deals/{deal}"
    client.patch(url, json={"properties": {"hs_forecast_probability": "0.75"}})
    assert state(deal)["hs_projected_amount"] == "750"
    client.patch(url, json={"properties": {"amount": "2000.10"}})
    assert state(deal)["hs_projected_amount"] == "1500.08"  # 2000.10 x 0.75, to the cent
    client.patch(url, json={"properties": {"hs_forecast_probability": ""}})
    assert state(deal)["hs_projected_amount"] == "800.04"  # back to the stage's 0.4

    bad = client.patch(url, json={"properties": {"hs_forecast_probability": "1.5"}})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["context"]["propertyName"] == ["hs_forecast_probability"]
    assert (
        client.patch(url, json={"properties": {"hs_deal_stage_probability": "0.9"}}).status_code
        == 400
    )  # calculated

    client.patch(url, json={"properties": {"hs_manual_forecast_category": "COMMIT"}})
    assert state(deal)["hs_forecast_category"] == "COMMIT"
    refused = client.patch(url, json={"properties": {"hs_manual_forecast_category": "CLOSED"}})
    assert refused.status_code == 400

    # A stage's category follows its metadata, except on deals with a manual category.
    other = client.post(
        "/crm/v3/objects/deals",
        json={"properties": {"dealname": "Q", "amount": "100", "dealstage": "qualifiedtobuy"}},
    ).json()["id"]
    resp = client.patch(
        "/crm/v3/pipelines/deals/default/stages/qualifiedtobuy",
        json={"metadata": {"forecastCategory": "BEST_CASE", "probability": "0.5"}},
    )
    assert resp.status_code == 200, resp.text
    assert state(other)["hs_forecast_category"] == "BEST_CASE"
    assert state(other)["hs_projected_amount"] == "50"
    assert state(other)["hs_projected_amount_in_home_currency"] == "50"
    assert state(deal)["hs_forecast_category"] == "COMMIT"
    bad_meta = client.patch(
        "/crm/v3/pipelines/deals/default/stages/qualifiedtobuy",
        json={"metadata": {"forecastCategory": "MAYBE"}},
    )
    assert bad_meta.status_code == 400
    bad_rot = client.patch(
        "/crm/v3/pipelines/deals/default/stages/qualifiedtobuy",
        json={"metadata": {"rotDays": "-3"}},
    )
    assert bad_rot.status_code == 400
    rot = client.patch(
        "/crm/v3/pipelines/deals/default/stages/qualifiedtobuy",
        json={"metadata": {"rotDays": "21"}},
    )
    assert rot.json()["metadata"]["rotDays"] == "21"

    # Closed won deals count as CLOSED whatever was chosen by hand.
    client.patch(url, json={"properties": {"dealstage": "closedwon"}})
    assert state(deal)["hs_forecast_category"] == "CLOSED"


def test_new_stages_get_their_time_properties(client: TestClient) -> None:
    stage = client.post(
        "/crm/v3/pipelines/deals/default/stages",
        json={"label": "Legal review", "displayOrder": 5, "metadata": {"probability": "0.85"}},
    ).json()
    prop = client.get(f"/crm/v3/properties/deals/hs_v2_cumulative_time_in_{stage['id']}")
    assert prop.status_code == 200, prop.text
    assert prop.json()["modificationMetadata"]["readOnlyValue"] is True
    assert prop.json()["type"] == "number"


def test_deals_stored_before_transitions_get_them_from_their_history(
    database: Database,
) -> None:
    """Upgrading from before 0013 rebuilds transitions and time values from the property
    history of dealstage/pipeline."""
    from alembic import command

    command.downgrade(migrations.alembic_config(database.engine), "0012")
    rows = [
        ("2026-01-01 10:00:00", "pipeline", "default"),
        ("2026-01-01 10:00:00", "dealstage", "appointmentscheduled"),
        ("2026-01-04 10:00:00", "dealstage", "qualifiedtobuy"),
        ("2026-01-05 10:00:00", "amount", "10"),
        ("2026-01-09 10:00:00", "dealstage", "closedwon"),
    ]
    with database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO deals (id, dealname, pipeline, dealstage, custom, created_at,"
                " updated_at, archived) VALUES (41, 'Old', 'default', 'closedwon', '{}',"
                " '2026-01-01 10:00:00', '2026-01-09 10:00:00', false)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO deals (id, dealname, pipeline, dealstage, custom, created_at,"
                " updated_at, archived) VALUES (42, 'Bare', 'default', 'qualifiedtobuy', '{}',"
                " '2026-02-01 10:00:00', '2026-02-01 10:00:00', false)"
            )
        )
        for at, name, value in rows:
            conn.execute(
                text(
                    "INSERT INTO property_history (object_type, record_id, name, value,"
                    " changed_at, source_type) VALUES ('deals', 41, :n, :v, :t, 'API')"
                ),
                {"n": name, "v": value, "t": at},
            )
    upgrade_database(database)
    with database.engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT deal_id, from_stage, to_stage, source_type FROM deal_stage_transitions"
                " ORDER BY deal_id, changed_at"
            )
        ).all()
        custom = {
            int(r[0]): r[1] if isinstance(r[1], dict) else json.loads(r[1])
            for r in conn.execute(text("SELECT id, custom FROM deals"))
        }
    assert [tuple(r) for r in found] == [
        (41, None, "appointmentscheduled", "API"),
        (41, "appointmentscheduled", "qualifiedtobuy", "API"),
        (41, "qualifiedtobuy", "closedwon", "API"),
        (42, None, "qualifiedtobuy", "MIGRATION"),
    ]
    with database.engine.connect() as conn:
        began = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT stage_entered_at FROM deal_stage_transitions WHERE deal_id = 41"
                    " ORDER BY changed_at"
                )
            )
        ]
    # Each transition out of a stage knows when the stay it ends began (0016 back-fill).
    assert [None if b is None else str(b)[:10] for b in began] == [
        None,
        "2026-01-01",
        "2026-01-04",
    ]
    assert custom[41]["hs_v2_cumulative_time_in_qualifiedtobuy"] == str(5 * DAY_MS)
    assert custom[41]["hs_v2_date_entered_closedwon"] == "2026-01-09T10:00:00.000Z"
    assert custom[42] == {"hs_v2_date_entered_qualifiedtobuy": "2026-02-01T10:00:00.000Z"}
    with database.unit_of_work() as session:
        view = records.access_record(
            session, DEALS, "41", properties_=["hs_v2_latest_time_in_appointmentscheduled"]
        )
    assert view.properties["hs_v2_latest_time_in_appointmentscheduled"] == str(3 * DAY_MS)


def test_service_refusals_name_the_property(database: Database) -> None:
    deal = _create(database, {"dealname": "Svc"}, T0)
    try:
        _update(database, deal, {"dealstage": "closedlost"}, T0 + timedelta(days=1))
    except ValidationError as exc:
        assert [e.context["propertyName"] for e in exc.errors] == [["closed_lost_reason"]]
    else:
        raise AssertionError("closing lost without a reason was accepted")
    assert Decimal(
        _props(database, deal, "hs_deal_stage_probability")["hs_deal_stage_probability"]
    ) == Decimal("0.2")
