"""Quotas, the forecast of a period, win rates from stage transitions, snapshots and
accuracy, on every engine, with figures worked out by hand in the comments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from starlette.testclient import TestClient

from revline.auth import service as auth_service
from revline.crm.object_types import DEALS
from revline.crm.records import service as records
from revline.forecasting import service as forecasting
from revline.kit.db import Database


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _deal(db: Database, at: str, **props: Any) -> str:
    props.setdefault("pipeline", "default")
    with db.unit_of_work() as session:
        return records.create_record(session, DEALS, props, now=_at(at)).id


def _move(db: Database, deal: str, at: str, **props: Any) -> None:
    with db.unit_of_work() as session:
        records.update_record(session, DEALS, deal, props, now=_at(at))


def _user(db: Database, email: str, team: str | None = None) -> str:
    with db.unit_of_work() as session:
        return str(auth_service.create_user(session, email=email, team=team).id)


def _team_id(db: Database, name: str) -> str:
    with db.unit_of_work() as session:
        team = auth_service.get_team_by_name(session, name)
        assert team is not None
        return str(team.id)


def _quota(client: TestClient, **body: Any) -> dict[str, Any]:
    resp = client.put("/revline/v1/quotas", json=body)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _history(db: Database) -> None:
    """Deals closed from June 2026 (inside the default 365-day lookback before 2026-Q4).

    appointmentscheduled: six deals entered it, three won -> 0.5000 (six >= 5: used).
    qualifiedtobuy: four entered it, three won -> 0.7500, but four < 5: configured 0.4 used.
    presentationscheduled: its one deal closed in 2025, outside the window: no sample.
    """
    for i in range(6):
        deal = _deal(db, "2026-05-04T10:00:00", dealname=f"old {i}", amount="1000")
        if i < 4:
            _move(db, deal, "2026-05-20T10:00:00", dealstage="qualifiedtobuy")
        if i < 3:
            _move(db, deal, "2026-06-10T10:00:00", dealstage="closedwon")
        else:
            _move(
                db, deal, "2026-06-11T10:00:00", dealstage="closedlost", closed_lost_reason="PRICE"
            )
    old = _deal(db, "2025-05-01T10:00:00", dealname="older", dealstage="presentationscheduled")
    _move(db, old, "2025-06-01T10:00:00", dealstage="closedwon")


def _workspace(db: Database, client: TestClient) -> dict[str, str]:
    ids = {
        "alice": _user(db, "alice@example.com", "East"),
        "bob": _user(db, "bob@example.com", "East"),
        "carol": _user(db, "carol@example.com", "West"),
        "dave": _user(db, "dave@example.com"),
    }
    ids["east"] = _team_id(db, "East")
    ids["west"] = _team_id(db, "West")
    _quota(client, ownerId=ids["alice"], period="2026-Q4", amount="100000")
    for month, amount in (("2026-10", "20000"), ("2026-11", "20000"), ("2026-12", "10000")):
        _quota(client, ownerId=ids["bob"], period=month, amount=amount)
    _quota(client, ownerId=ids["carol"], period="2026-Q4", amount="60000")
    _quota(client, teamId=ids["west"], period="2026-Q4", amount="80000")
    _quota(client, ownerId=ids["dave"], period="2026-Q4", amount=30000)
    _history(db)

    a, b, c, d = ids["alice"], ids["bob"], ids["carol"], ids["dave"]
    won = _deal(db, "2026-09-01T09:00:00", dealname="A1", amount="10000", hubspot_owner_id=a)
    _move(db, won, "2026-10-05T09:00:00", dealstage="closedwon")
    _deal(
        db,
        "2026-09-02T09:00:00",
        dealname="A2",
        amount="20000",
        hubspot_owner_id=a,
        dealstage="contractsent",
        closedate="2026-11-15T00:00:00Z",
    )
    _deal(
        db,
        "2026-09-03T09:00:00",
        dealname="A3",
        amount="30000",
        hubspot_owner_id=a,
        dealstage="presentationscheduled",
        hs_forecast_probability="0.5",
        closedate="2026-12-10T00:00:00Z",
    )
    _deal(
        db,
        "2026-09-04T09:00:00",
        dealname="B1",
        amount="8000",
        hubspot_owner_id=b,
        hs_manual_forecast_category="COMMIT",
        closedate="2026-11-20T00:00:00Z",
    )
    _deal(
        db,
        "2026-09-05T09:00:00",
        dealname="B2",
        amount="5000",
        hubspot_owner_id=b,
        dealstage="qualifiedtobuy",
        closedate="2026-10-20T00:00:00Z",
    )
    lost = _deal(db, "2026-09-06T09:00:00", dealname="B3", amount="7000", hubspot_owner_id=b)
    _move(db, lost, "2026-10-10T09:00:00", dealstage="closedlost", closed_lost_reason="PRICE")
    _deal(
        db,
        "2026-09-07T09:00:00",
        dealname="C1",
        amount="12000",
        hubspot_owner_id=c,
        dealstage="decisionmakerboughtin",
        hs_manual_forecast_category="OMIT",
        closedate="2026-11-01T00:00:00Z",
    )
    # The period ends before 2027-01-01 00:00 UTC: this one is outside, the next inside.
    _deal(
        db,
        "2026-09-08T09:00:00",
        dealname="C2",
        amount="40000",
        hubspot_owner_id=c,
        closedate="2027-01-01T00:00:00Z",
    )
    _deal(
        db,
        "2026-09-09T09:00:00",
        dealname="C3",
        amount="9000",
        hubspot_owner_id=c,
        dealstage="qualifiedtobuy",
        closedate="2026-12-31T23:59:59Z",
    )
    archived = _deal(
        db,
        "2026-09-10T09:00:00",
        dealname="gone",
        amount="50000",
        hubspot_owner_id=d,
        dealstage="contractsent",
        closedate="2026-11-11T00:00:00Z",
    )
    with db.unit_of_work() as session:
        records.archive_record(session, DEALS, archived)
    _deal(
        db,
        "2026-09-11T09:00:00",
        dealname="U1",
        amount="4000",
        closedate="2026-10-15T00:00:00Z",
    )
    dave_won = _deal(db, "2026-09-12T09:00:00", dealname="D1", amount="6000", hubspot_owner_id=d)
    _move(db, dave_won, "2026-12-01T09:00:00", dealstage="closedwon")
    return ids


def _deals(
    won: int = 0, lost: int = 0, commit: int = 0, best: int = 0, pipe: int = 0, omit: int = 0
) -> dict[str, int]:
    return {
        "closedWon": won,
        "closedLost": lost,
        "commit": commit,
        "bestCase": best,
        "pipeline": pipe,
        "open": commit + best + pipe,
        "omitted": omit,
    }


def test_forecast_by_owner_team_and_pipeline(database: Database, client: TestClient) -> None:
    ids = _workspace(database, client)
    resp = client.get("/revline/v1/forecast", params={"period": "2026-Q4", "group_by": "owner"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["period"], body["periodStart"], body["periodEnd"]) == (
        "2026-Q4",
        "2026-10-01",
        "2027-01-01",
    )
    groups = {g["key"]: g for g in body["groups"]}
    assert [g["key"] for g in body["groups"]] == [
        ids["alice"],
        ids["bob"],
        ids["carol"],
        ids["dave"],
        "unassigned",
    ]
    # Alice: A1 won 10000; A2 contractsent 20000 (COMMIT, 0.9); A3 presentationscheduled
    # 30000 (BEST_CASE) at a manual 0.5. Weighted 18000 + 15000. Data-driven: neither stage
    # has five closed deals in the lookback, so 0.9 and 0.6: 18000 + 18000.
    assert groups[ids["alice"]] == {
        "key": ids["alice"],
        "label": "alice@example.com",
        "quota": "100000.00",
        "closedWon": "10000.00",
        "commit": "20000.00",
        "bestCase": "30000.00",
        "pipeline": "0.00",
        "forecastCommit": "30000.00",
        "forecastBestCase": "60000.00",
        "weightedPipeline": "33000.00",
        "weightedForecast": "43000.00",
        "dataDrivenPipeline": "36000.00",
        "dataDrivenForecast": "46000.00",
        "gapToQuota": "90000.00",
        "coverage": "0.37",  # 33000 / 90000
        "deals": _deals(won=1, commit=1, best=1),
    }
    # Bob: quota from his month rows 20000 + 20000 + 10000. B1 appointmentscheduled (0.2)
    # put in COMMIT by hand: 8000, weighted 1600, data-driven 0.5 (learnt) -> 4000. B2
    # qualifiedtobuy 5000: weighted 2000, data-driven 0.4 (too few samples) -> 2000.
    assert groups[ids["bob"]] == {
        "key": ids["bob"],
        "label": "bob@example.com",
        "quota": "50000.00",
        "closedWon": "0.00",
        "commit": "8000.00",
        "bestCase": "0.00",
        "pipeline": "5000.00",
        "forecastCommit": "8000.00",
        "forecastBestCase": "8000.00",
        "weightedPipeline": "3600.00",
        "weightedForecast": "3600.00",
        "dataDrivenPipeline": "6000.00",
        "dataDrivenForecast": "6000.00",
        "gapToQuota": "50000.00",
        "coverage": "0.07",  # 3600 / 50000 = 0.072
        "deals": _deals(lost=1, commit=1, pipe=1),
    }
    # Carol: C1 omitted by hand, C2 closes on the period's end (outside), C3 inside.
    carol = groups[ids["carol"]]
    assert (carol["quota"], carol["pipeline"], carol["weightedPipeline"]) == (
        "60000.00",
        "9000.00",
        "3600.00",
    )
    assert (carol["dataDrivenForecast"], carol["coverage"]) == ("3600.00", "0.06")
    assert carol["deals"] == _deals(pipe=1, omit=1)
    # Dave's archived 50000 never counts.
    dave = groups[ids["dave"]]
    assert (dave["closedWon"], dave["weightedPipeline"], dave["gapToQuota"]) == (
        "6000.00",
        "0.00",
        "24000.00",
    )
    assert dave["coverage"] == "0.00"
    unassigned = groups["unassigned"]
    assert (unassigned["quota"], unassigned["gapToQuota"], unassigned["coverage"]) == (
        None,
        None,
        None,
    )
    assert (unassigned["weightedPipeline"], unassigned["dataDrivenPipeline"]) == (
        "800.00",
        "2000.00",
    )
    # Company quota: East from its members (100000 + 50000), West's own row 80000 (not
    # Carol's 60000), Dave in no team 30000.
    total = body["total"]
    assert total == {
        "key": "total",
        "label": "Total",
        "quota": "260000.00",
        "closedWon": "16000.00",
        "commit": "28000.00",
        "bestCase": "30000.00",
        "pipeline": "18000.00",
        "forecastCommit": "44000.00",
        "forecastBestCase": "74000.00",
        "weightedPipeline": "41000.00",
        "weightedForecast": "57000.00",
        "dataDrivenPipeline": "47600.00",
        "dataDrivenForecast": "63600.00",
        "gapToQuota": "244000.00",
        "coverage": "0.17",  # 41000 / 244000 = 0.168
        "deals": _deals(won=2, lost=1, commit=2, best=1, pipe=3, omit=1),
    }
    rates = {r["stage"]: r for r in body["winRates"]}
    assert set(rates) == {
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
    }
    assert rates["appointmentscheduled"] == {
        "pipeline": "default",
        "stage": "appointmentscheduled",
        "label": rates["appointmentscheduled"]["label"],
        "configuredProbability": "0.2000",
        "historicalRate": "0.5000",
        "sampleSize": 6,
        "wonDeals": 3,
        "used": "historical",
        "usedRate": "0.5000",
    }
    qtb = rates["qualifiedtobuy"]
    assert (qtb["historicalRate"], qtb["sampleSize"], qtb["used"], qtb["usedRate"]) == (
        "0.7500",
        4,
        "configured",
        "0.4000",
    )
    assert (
        rates["presentationscheduled"]["sampleSize"],
        rates["presentationscheduled"]["historicalRate"],
    ) == (0, None)

    team = client.get("/revline/v1/forecast", params={"period": "2026-Q4", "group_by": "team"})
    assert team.status_code == 200, team.text
    teams = {g["key"]: g for g in team.json()["groups"]}
    assert set(teams) == {ids["east"], ids["west"], "unassigned"}
    east = teams[ids["east"]]
    assert (east["label"], east["quota"], east["closedWon"], east["commit"]) == (
        "East",
        "150000.00",
        "10000.00",
        "28000.00",
    )
    assert (east["weightedPipeline"], east["dataDrivenPipeline"], east["coverage"]) == (
        "36600.00",
        "42000.00",
        "0.26",  # 36600 / 140000
    )
    assert (teams[ids["west"]]["quota"], teams[ids["west"]]["coverage"]) == ("80000.00", "0.05")
    assert (teams["unassigned"]["closedWon"], teams["unassigned"]["quota"]) == ("6000.00", None)
    assert team.json()["total"]["weightedForecast"] == "57000.00"

    by_pipeline = client.get(
        "/revline/v1/forecast",
        params={"period": "2026-Q4", "group_by": "pipeline", "pipeline": "default"},
    ).json()
    [only] = by_pipeline["groups"]
    assert (only["key"], only["quota"], only["weightedForecast"], only["dataDrivenForecast"]) == (
        "default",
        None,
        "57000.00",
        "63600.00",
    )

    # A month: Bob's November row; Alice's quarter row is not split into months.
    november = client.get("/revline/v1/forecast", params={"period": "2026-11"}).json()
    months = {g["key"]: g for g in november["groups"]}
    assert (months[ids["bob"]]["quota"], months[ids["bob"]]["commit"]) == ("20000.00", "8000.00")
    assert (months[ids["alice"]]["quota"], months[ids["alice"]]["commit"]) == (None, "20000.00")

    # A 30-day lookback holds no closed deal: every stage falls back to its probability.
    short = client.get(
        "/revline/v1/forecast", params={"period": "2026-Q4", "lookback_days": "30"}
    ).json()
    bob = next(g for g in short["groups"] if g["key"] == ids["bob"])
    assert bob["dataDrivenPipeline"] == "3600.00"  # 8000 x 0.2 + 5000 x 0.4
    assert {r["used"] for r in short["winRates"]} == {"configured"}


def test_quotas_api_and_validation(database: Database, client: TestClient) -> None:
    owner = _user(database, "rep@example.com", "North")
    team = _team_id(database, "North")
    first = _quota(client, ownerId=owner, period="2026-Q4", amount="150000")
    again = _quota(client, ownerId=owner, period="2026-Q4", amount="175000.5")
    assert again["id"] == first["id"]
    assert (again["amount"], again["periodKind"], again["teamId"]) == ("175000.50", "quarter", None)
    month = _quota(client, teamId=team, period="2026-11", amount="0")
    assert (month["teamId"], month["periodStart"], month["periodEnd"]) == (
        team,
        "2026-11-01",
        "2026-12-01",
    )
    listed = client.get("/revline/v1/quotas", params={"period": "2026-Q4"}).json()["results"]
    assert [q["id"] for q in listed] == [first["id"], month["id"]]
    only_team = client.get("/revline/v1/quotas", params={"teamId": team}).json()["results"]
    assert [q["id"] for q in only_team] == [month["id"]]

    def refused(body: Any, field: str) -> None:
        resp = client.put("/revline/v1/quotas", json=body)
        assert resp.status_code == 400, resp.text
        fields = {k for e in resp.json()["errors"] for k in e.get("context", {})}
        assert field in fields, resp.json()

    refused({"ownerId": "999999", "period": "2026-Q4", "amount": "1"}, "ownerId")
    refused({"teamId": "abc", "period": "2026-Q4", "amount": "1"}, "teamId")
    refused({"ownerId": owner, "period": "2026-Q4", "amount": "-5"}, "amount")
    refused({"ownerId": owner, "period": "2026-Q4", "amount": "1.005"}, "amount")
    refused({"ownerId": owner, "period": "2026-Q4", "amount": "NaN"}, "amount")
    refused({"ownerId": owner, "teamId": team, "period": "2026-Q4", "amount": "1"}, "teamId")
    refused({"period": "2026-Q4", "amount": "1"}, "ownerId")
    for period in ("2026-Q5", "2026-13", "2026-q4", "2026-1", " 2026-Q4", "2026-Q4\n", None):
        refused({"ownerId": owner, "period": period, "amount": "1"}, "period")
    assert client.put("/revline/v1/quotas", json=[1]).status_code == 400

    assert client.delete(f"/revline/v1/quotas/{first['id']}").status_code == 204
    assert client.delete(f"/revline/v1/quotas/{first['id']}").status_code == 404
    assert client.delete("/revline/v1/quotas/x").status_code == 404


def test_forecast_validation(client: TestClient) -> None:
    def field_of(params: dict[str, str], path: str = "/revline/v1/forecast") -> list[str]:
        resp = client.get(path, params=params)
        assert resp.status_code == 400, resp.text
        return [k for e in resp.json()["errors"] for k in e.get("context", {})]

    assert field_of({"period": "2026-Q0"}) == ["period"]
    assert field_of({}) == ["period"]
    assert field_of({"period": "2026-Q4", "group_by": "region"}) == ["group_by"]
    assert field_of({"period": "2026-Q4", "lookback_days": "0"}) == ["lookback_days"]
    assert field_of({"period": "2026-Q4", "lookback_days": "x"}) == ["lookback_days"]
    assert field_of({"period": "2026-Q4", "group_by": "x"}, "/revline/v1/forecast/history") == [
        "group_by"
    ]
    not_over = client.get("/revline/v1/forecast/accuracy", params={"period": "2999-Q1"})
    assert not_over.status_code == 400
    assert "has not ended" in not_over.json()["message"]
    # An empty workspace: every figure zero, nothing to cover.
    empty = client.get("/revline/v1/forecast", params={"period": "2026-Q4"}).json()
    assert empty["groups"] == []
    assert (empty["total"]["quota"], empty["total"]["weightedForecast"]) == (None, "0.00")


def test_snapshots_history_and_accuracy(database: Database, client: TestClient) -> None:
    alice = _user(database, "alice@example.com")
    # 2025-Q1, no closed history before it: both projections use the configured rates.
    x = _deal(
        database,
        "2025-01-05T09:00:00",
        dealname="X",
        amount="10000",
        hubspot_owner_id=alice,
        dealstage="contractsent",
        closedate="2025-03-15T00:00:00Z",
    )
    y = _deal(
        database,
        "2025-01-05T09:00:00",
        dealname="Y",
        amount="20000",
        hubspot_owner_id=alice,
        closedate="2025-03-20T00:00:00Z",
    )
    with database.unit_of_work() as session:
        # Quarter: alice + total for each of owner, team (unassigned), pipeline (default);
        # month 2025-01 has no deal closing in it: the total only, three times.
        assert forecasting.take_snapshots(session, date(2025, 1, 10)) == 9
    with database.unit_of_work() as session:
        assert forecasting.take_snapshots(session, date(2025, 1, 10)) == 9  # replaced
    _move(database, y, "2025-02-01T09:00:00", dealstage="decisionmakerboughtin")
    with database.unit_of_work() as session:
        forecasting.take_snapshots(session, date(2025, 2, 10))
    _move(database, x, "2025-03-10T09:00:00", dealstage="closedwon")
    _move(database, y, "2025-03-12T09:00:00", dealstage="closedlost", closed_lost_reason="PRICE")
    with database.unit_of_work() as session:
        forecasting.take_snapshots(session, date(2025, 3, 25))

    hist = client.get(
        "/revline/v1/forecast/history",
        params={"period": "2025-Q1", "group_by": "owner", "group": alice},
    )
    assert hist.status_code == 200, hist.text
    points = hist.json()["results"]
    # Day 1: 10000 x 0.9 + 20000 x 0.2; day 2: Y at 0.8 (BEST_CASE); day 3: X won, Y lost.
    assert [(p["takenOn"], p["weightedForecast"], p["forecastBestCase"]) for p in points] == [
        ("2025-01-10", "13000.00", "10000.00"),
        ("2025-02-10", "25000.00", "30000.00"),
        ("2025-03-25", "10000.00", "10000.00"),
    ]
    total = client.get("/revline/v1/forecast/history", params={"period": "2025-Q1"}).json()
    assert [p["weightedForecast"] for p in total["results"]] == ["13000.00", "25000.00", "10000.00"]

    resp = client.get("/revline/v1/forecast/accuracy", params={"period": "2025-Q1"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["snapshotDays"] == ["2025-01-10", "2025-02-10", "2025-03-25"]
    [group] = body["groups"]
    assert (group["key"], group["actual"]) == (alice, "10000.00")
    weighted = group["methods"]["weighted"]
    assert weighted == {
        "first": {
            "takenOn": "2025-01-10",
            "forecast": "13000.00",
            "error": "3000.00",
            "absolutePercentageError": "30.00",
        },
        "midpoint": {
            "takenOn": "2025-02-10",
            "forecast": "25000.00",
            "error": "15000.00",
            "absolutePercentageError": "150.00",
        },
        "last": {
            "takenOn": "2025-03-25",
            "forecast": "10000.00",
            "error": "0.00",
            "absolutePercentageError": "0.00",
        },
        "meanAbsolutePercentageError": "60.00",  # (30 + 150 + 0) / 3
    }
    assert group["methods"]["dataDriven"]["meanAbsolutePercentageError"] == "60.00"
    assert group["methods"]["commit"]["meanAbsolutePercentageError"] == "0.00"
    # Best case: 10000, 30000, 10000 -> (0 + 200 + 0) / 3.
    assert group["methods"]["bestCase"]["meanAbsolutePercentageError"] == "66.67"
    assert group["mostAccurate"] == "commit"
    assert body["total"]["mostAccurate"] == "commit"
    assert body["total"]["actual"] == "10000.00"


def test_cached_win_rates_follow_every_change_to_the_deals_behind_them(
    database: Database, client: TestClient
) -> None:
    """The win rates are cached per lookback window; any write to a deal closed in it (a
    stage change, a close date moved out, archiving, restoring, even one stamped with an
    older clock) changes the next answer."""
    deals = []
    for i in range(6):
        deal = _deal(database, "2026-05-04T10:00:00", dealname=f"old {i}", amount="1000")
        if i < 3:
            _move(database, deal, f"2026-06-1{i}T10:00:00", dealstage="closedwon")
        else:
            _move(
                database,
                deal,
                f"2026-06-1{i}T10:00:00",
                dealstage="closedlost",
                closed_lost_reason="PRICE",
            )
        deals.append(deal)

    def rate() -> tuple[str, int, int]:
        body = client.get("/revline/v1/forecast", params={"period": "2026-Q4"}).json()
        found = next(r for r in body["winRates"] if r["stage"] == "appointmentscheduled")
        return found["historicalRate"], found["sampleSize"], found["wonDeals"]

    assert rate() == ("0.5000", 6, 3)
    hits = forecasting.OUTCOMES_CACHE.hits
    assert rate() == ("0.5000", 6, 3)
    assert forecasting.OUTCOMES_CACHE.hits == hits + 1  # unchanged deals: served from cache

    _move(database, deals[3], "2026-09-01T10:00:00", dealstage="closedwon")
    assert rate() == ("0.6667", 6, 4)
    with database.unit_of_work() as session:  # archiving does not touch updated_at
        records.archive_record(session, DEALS, deals[0])
    assert rate() == ("0.6000", 5, 3)
    with database.unit_of_work() as session:
        records.restore_record(session, DEALS, deals[0])
    assert rate() == ("0.6667", 6, 4)
    _move(database, deals[4], "2026-09-02T10:00:00", closedate="2024-01-01T00:00:00Z")
    assert rate() == ("0.8000", 5, 4)
    # A write whose clock is behind the latest update still changes the stamp.
    _move(
        database,
        deals[1],
        "2026-06-20T10:00:00",
        dealstage="closedlost",
        closed_lost_reason="PRICE",
    )
    assert rate() == ("0.6000", 5, 3)
