"""`revline import deals`: mapping files, row checks and their report, the load through the
services (owners, teams, companies, deals, stage history), re-runs, and the Maven data set
loaded whole with its KPIs checked against figures computed here from the CSV."""

from __future__ import annotations

import csv
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from revline.app import create_app
from revline.auth import service as auth_service
from revline.cli.main import app as cli_app
from revline.config import Settings
from revline.errors import ValidationError
from revline.imports.mapping import load_mapping, parse_mapping
from revline.imports.plan import owner_email, plan_import
from revline.imports.service import run_import
from revline.kit.db import Database
from tests.cli_support import runner
from tests.conftest import ENGINES, _pg_admin, _pg_url

NOW = datetime(2018, 1, 15, 12, 0, tzinfo=UTC)
DAY_MS = 86_400_000
ROOT = Path(__file__).resolve().parent.parent
MAVEN = ROOT.parent / "shared" / "datasets" / "maven-crm-sales-opportunities"
MAVEN_MAPPING = ROOT / "docs" / "examples" / "maven-mapping.yaml"

# --- a small hand-made file -----------------------------------------------------------------

HEADER = (
    "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,"
    "close_value,lost_reason"
)
ROWS = [
    "D1,Ann Lee,GTXPro,Acme,Won,2017-01-01,2017-02-15,5000,",  # 2: alias, 45 days engaging
    "D2,Ann Lee,MG Special,Betasoloin,Lost,2017-01-10,2017-01-20,0,PRICE",  # 3
    "D3,Ann Lee,MG Special,,Engaging,2017-01-05,,,",  # 4: loaded without a company
    "D4,,MG Special,Acme,Prospecting,,,,",  # 5: loaded without an owner, created at NOW
    "D5,Ann Lee,GTX Turbo,Acme,Won,2017-01-01,2017-01-02,10,",  # 6: unknown product
    ",Ann Lee,MG Special,Acme,Won,2017-01-01,2017-01-02,10,",  # 7: no source id
    "D1,Ann Lee,MG Special,Acme,Won,2017-01-01,2017-01-02,10,",  # 8: duplicate id
    "D6,Ann Lee,MG Special,Acme,Stalled,2017-01-01,,,",  # 9: stage not mapped
    "D7,Ann Lee,MG Special,Acme,Won,2017-01-01,,10,",  # 10: won without close date
    "D8,Ann Lee,MG Special,Acme,Won,2017-13-01,2017-01-02,10,",  # 11: bad date
    "D9,Ann Lee,MG Special,Acme,Won,2017-03-01,2017-01-02,10,",  # 12: closed before engaged
    "D10,Ann Lee,MG Special,Acme,Won,2017-01-01,2017-01-02,abc,",  # 13: bad number
    "D11,Ann Lee,MG Special,Unknown Co,Won,2017-01-01,2017-01-02,10,",  # 14: unknown account
    "D12,Bo Ek,MG Special,Acme,Lost,2017-01-03,2017-01-09,0,",  # 15: lost without a reason
]

MAPPING: dict[str, Any] = {
    "lookups": {
        "products": {"file": "products.csv", "key": "product", "column": "product"},
        "accounts": {"file": "accounts.csv", "key": "account", "column": "account"},
        "teams": {
            "file": "teams.csv",
            "key": "sales_agent",
            "column": "sales_agent",
            "required": False,
        },
    },
    "aliases": {"product": {"GTXPro": "GTX Pro"}, "accounts.sector": {"technolgy": "technology"}},
    "pipeline": {
        "id": "hist",
        "label": "History",
        "stages": [
            {"id": "prospect", "label": "Prospecting", "probability": 0.1},
            {"id": "engaging", "label": "Engaging", "probability": 0.5},
            {"id": "won", "label": "Won", "probability": 1.0, "closed": True},
            {"id": "lost", "label": "Lost", "probability": 0.0, "closed": True},
        ],
    },
    "stage": {
        "column": "deal_stage",
        "values": {
            "Prospecting": "prospect",
            "Engaging": "engaging",
            "Won": "won",
            "Lost": "lost",
        },
        "dates": {"engaging": "engage_date", "won": "close_date", "lost": "close_date"},
    },
    "deals": {
        "key_column": "opportunity_id",
        "key_property": {"name": "source_id", "label": "Source id"},
        "properties": {
            "dealname": {"template": ["{account} - {product}", "{product} ({opportunity_id})"]},
            "amount": {"column": "close_value", "scale": 1},
            "closedate": {"column": "close_date", "stages": ["won", "lost"]},
            "product": {"column": "product", "label": "Product"},
            "closed_lost_reason": {"column": "lost_reason", "stages": ["lost"]},
        },
    },
    "owners": {
        "column": "sales_agent",
        "email_domain": "example.com",
        "team": "{teams.regional_office} / {teams.manager}",
        "manager": "{teams.manager}",
    },
    "companies": {
        "column": "account",
        "key_property": {"name": "source_account", "label": "Source account"},
        "properties": {
            "name": {"column": "account"},
            "annualrevenue": {"column": "accounts.revenue", "scale": 1000000},
            "sector": {"column": "accounts.sector", "label": "Sector"},
        },
    },
}

EXPECTED_REPORT = [
    (4, "D3", "warning", "MISSING_COMPANY", "account"),
    (5, "D4", "warning", "MISSING_OWNER", "sales_agent"),
    (6, "D5", "rejected", "UNKNOWN_VALUE", "product"),
    (7, "", "rejected", "MISSING_KEY", "opportunity_id"),
    (8, "D1", "rejected", "DUPLICATE_KEY", "opportunity_id"),
    (9, "D6", "rejected", "UNKNOWN_STAGE", "deal_stage"),
    (10, "D7", "rejected", "MISSING_DATE", "close_date"),
    (11, "D8", "rejected", "INVALID_DATE", "engage_date"),
    (12, "D9", "rejected", "DATES_OUT_OF_ORDER", "close_date"),
    (13, "D10", "rejected", "INVALID_NUMBER", "close_value"),
    (14, "D11", "rejected", "UNKNOWN_VALUE", "account"),
]


def _write_files(folder: Path, rows: list[str], mapping: dict[str, Any] = MAPPING) -> Path:
    (folder / "products.csv").write_text("product,series\r\nGTX Pro,GTX\r\nMG Special,MG\r\n")
    (folder / "accounts.csv").write_text(
        "account,sector,revenue\nAcme,technolgy,1.5\nBetasoloin,medical,2\n"
    )
    (folder / "teams.csv").write_text(
        "sales_agent,manager,regional_office\nAnn Lee,Max Boss,Central\n"
    )
    (folder / "deals.csv").write_text("\r\n".join([HEADER, *rows]) + "\r\n")
    (folder / "mapping.yaml").write_text(yaml.safe_dump(mapping))
    return folder / "deals.csv"


def _load(db: Database, folder: Path, now: datetime = NOW) -> Any:
    plan = plan_import(load_mapping(folder / "mapping.yaml"), folder / "deals.csv", now=now)
    return run_import(plan, db.unit_of_work, now=now, chunk_size=3)


def _search(client: TestClient, filters: list[dict[str, Any]], props: list[str]) -> list[Any]:
    """Every deal matching ``filters``, through the public search API, page by page."""
    found: list[Any] = []
    after: str | None = None
    while True:
        body: dict[str, Any] = {
            "filterGroups": [{"filters": filters}],
            "properties": props,
            "limit": 200,
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        }
        if after:
            body["after"] = after
        r = client.post("/crm/v3/objects/deals/search", json=body)
        assert r.status_code == 200, r.text
        page = r.json()
        found += page["results"]
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            return found


def _deals_by_key(client: TestClient) -> dict[str, dict[str, Any]]:
    found = _search(
        client,
        [{"propertyName": "source_id", "operator": "HAS_PROPERTY"}],
        [
            "source_id",
            "dealname",
            "amount",
            "dealstage",
            "pipeline",
            "closedate",
            "createdate",
            "hubspot_owner_id",
            "closed_lost_reason",
            "product",
        ],
    )
    return {d["properties"]["source_id"]: d for d in found}


def test_rows_are_checked_and_reported_before_anything_is_written(tmp_path: Path) -> None:
    path = _write_files(tmp_path, ROWS)
    plan = plan_import(load_mapping(tmp_path / "mapping.yaml"), path, now=NOW)
    got = [(p.line, p.source_id, p.level, p.code, p.field) for p in plan.problems]
    assert got == EXPECTED_REPORT
    rejected = {p.line for p in plan.rejected}
    # No silent drops: every row is planned or rejected, never both.
    assert len(plan.deals) + len(rejected) == len(ROWS) == plan.rows
    assert {d.line for d in plan.deals}.isdisjoint(rejected)
    assert [d.key for d in plan.deals] == ["D1", "D2", "D3", "D4", "D12"]
    reasons = {p.line: p.reason for p in plan.problems}
    assert reasons[6] == "product 'GTX Turbo' is not in products.csv"
    assert reasons[8] == "source id already used on line 2"
    assert reasons[10] == "close_date is empty but needed for stage Won"
    d1 = plan.deals[0]
    assert [(s.stage, s.at) for s in d1.steps] == [
        ("engaging", datetime(2017, 1, 1, tzinfo=UTC)),
        ("won", datetime(2017, 2, 15, tzinfo=UTC)),
    ]
    assert d1.properties["dealname"] == "Acme - GTX Pro"
    assert plan.deals[2].properties["dealname"] == "MG Special (D3)"
    assert [(s.stage, s.at) for s in plan.deals[3].steps] == [("prospect", NOW)]
    assert plan.companies["Acme"].properties == {
        "name": "Acme",
        "annualrevenue": "1500000.0",
        "sector": "technology",
    }
    assert plan.owners["ann.lee@example.com"].team == "Central / Max Boss"
    assert plan.owners["max.boss@example.com"].role == "sales_manager"
    # Bo Ek has no row in teams.csv: an owner without a team.
    assert plan.owners["bo.ek@example.com"].team is None


def test_a_deal_without_company_can_be_refused_instead(tmp_path: Path) -> None:
    mapping = {**MAPPING, "companies": {**MAPPING["companies"], "missing": "reject"}}
    path = _write_files(tmp_path, ROWS[:4], mapping)
    plan = plan_import(load_mapping(tmp_path / "mapping.yaml"), path, now=NOW)
    assert [(p.line, p.level, p.code) for p in plan.problems] == [
        (4, "rejected", "MISSING_COMPANY"),
        (5, "warning", "MISSING_OWNER"),
    ]
    assert [d.key for d in plan.deals] == ["D1", "D2", "D4"]


def test_owner_emails_follow_the_documented_rule() -> None:
    assert owner_email("Moses Frase", "maven.example") == "moses.frase@maven.example"
    assert owner_email("Zoé van der Berg", "Ex.com") == "zoe.vanderberg@ex.com"
    assert owner_email("Cher", "ex.com") == "cher@ex.com"


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (lambda m: m.pop("pipeline"), "pipeline", "required key is missing"),
        (lambda m: m["deals"].update(keycolumn="x"), "deals.keycolumn", "unknown key"),
        (
            lambda m: m["pipeline"]["stages"][2].update(probability=2),
            "pipeline.stages[2].probability",
            "less than or equal to 1",
        ),
        (
            lambda m: m["stage"]["values"].update(Won="nowhere"),
            "stage.values.Won",
            "stage.values.Won: names stage 'nowhere', which the pipeline lacks",
        ),
        (
            lambda m: m["deals"]["properties"]["amount"].update(value="1"),
            "deals.properties.amount",
            "give exactly one of column, template or value",
        ),
        (
            lambda m: m["owners"].update(email_domain="nodot"),
            "owners.email_domain",
            "should match pattern",
        ),
    ],
)
def test_bad_mapping_files_name_the_key(change: Any, key: str, message: str) -> None:
    mapping = yaml.safe_load(yaml.safe_dump(MAPPING))
    change(mapping)
    with pytest.raises(ValidationError) as caught:
        parse_mapping(mapping)
    assert caught.value.errors[0].context == {"key": [key]}
    assert message in caught.value.message


def test_mapping_columns_must_exist_in_the_files(tmp_path: Path) -> None:
    mapping = yaml.safe_load(yaml.safe_dump(MAPPING))
    mapping["deals"]["properties"]["dealname"]["template"] = "{acount} - {product}"
    path = _write_files(tmp_path, ROWS, mapping)
    with pytest.raises(ValidationError) as caught:
        plan_import(load_mapping(tmp_path / "mapping.yaml"), path, now=NOW)
    assert caught.value.errors[0].context == {"key": ["deals.properties.dealname.template"]}
    assert "names column 'acount', which deals.csv does not have" in caught.value.message
    (tmp_path / "mapping.yaml").write_text("pipeline: [unclosed")
    with pytest.raises(ValidationError, match="is not valid YAML"):
        load_mapping(tmp_path / "mapping.yaml")


def test_load_writes_owners_companies_deals_and_history(
    database: Database, client: TestClient, tmp_path: Path
) -> None:
    _write_files(tmp_path, ROWS)
    result = _load(database, tmp_path)
    # D12 is created (engaging) but refused when it would enter Lost without a reason.
    assert [(p.line, p.source_id, p.code, p.field) for p in result.problems[11:]] == [
        (15, "D12", "REFUSED", "closed_lost_reason")
    ]
    assert result.loaded == 4 and len(result.rejected) == 10
    assert result.loaded + len(result.rejected) == len(ROWS)
    assert (result.owners_created, result.teams_created) == (3, 1)
    assert (result.companies_created, result.deals_created) == (2, 5)
    # Creations 5, then D1 -> won and D2 -> lost.
    assert result.transitions == 7

    deals = _deals_by_key(client)
    assert sorted(deals) == ["D1", "D12", "D2", "D3", "D4"]
    d1 = deals["D1"]["properties"]
    assert d1["dealstage"] == "won" and d1["pipeline"] == "hist"
    assert d1["dealname"] == "Acme - GTX Pro" and d1["product"] == "GTX Pro"
    assert d1["amount"] == "5000"
    assert d1["createdate"].startswith("2017-01-01T00:00:00")
    assert d1["closedate"].startswith("2017-02-15T00:00:00")
    assert deals["D2"]["properties"]["closed_lost_reason"] == "PRICE"
    assert deals["D12"]["properties"]["dealstage"] == "engaging"
    assert deals["D4"]["properties"]["hubspot_owner_id"] is None
    assert deals["D4"]["properties"]["createdate"].startswith("2018-01-15T12:00:00")

    owners = {o["email"]: o for o in client.get("/crm/v3/owners?limit=100").json()["results"]}
    assert d1["hubspot_owner_id"] == owners["ann.lee@example.com"]["id"]
    assert [t["name"] for t in owners["ann.lee@example.com"]["teams"]] == ["Central / Max Boss"]
    assert [t["name"] for t in owners["max.boss@example.com"]["teams"]] == ["Central / Max Boss"]
    assert owners["bo.ek@example.com"]["teams"] == []

    history = client.get(f"/revline/v1/deals/{deals['D1']['id']}/stage-history").json()
    assert [
        (t["toStage"], t["changedAt"], t["sourceType"], t["sourceId"])
        for t in history["transitions"]
    ] == [
        ("engaging", "2017-01-01T00:00:00.000Z", "IMPORT", "deals.csv"),
        ("won", "2017-02-15T00:00:00.000Z", "IMPORT", "deals.csv"),
    ]
    engaging = next(s for s in history["stages"] if s["stageId"] == "engaging")
    assert engaging["latestTimeInMs"] == str(45 * DAY_MS)
    r = client.get(
        f"/crm/v3/objects/deals/{deals['D1']['id']}",
        params={"properties": "hs_v2_latest_time_in_engaging"},
    )
    assert r.json()["properties"]["hs_v2_latest_time_in_engaging"] == str(45 * DAY_MS)

    company = client.get(
        f"/crm/v4/objects/deals/{deals['D1']['id']}/associations/companies"
    ).json()["results"]
    assert len(company) == 1
    acme = client.get(
        f"/crm/v3/objects/companies/{company[0]['toObjectId']}",
        params={"properties": "name,annualrevenue,sector,source_account,createdate"},
    ).json()["properties"]
    assert (acme["name"], acme["sector"], acme["source_account"]) == ("Acme", "technology", "Acme")
    assert acme["annualrevenue"] == "1500000"
    # The company is created the day its first deal was.
    assert acme["createdate"].startswith("2017-01-01T00:00:00")


def test_re_running_updates_instead_of_duplicating(
    database: Database, client: TestClient, tmp_path: Path
) -> None:
    _write_files(tmp_path, ROWS[:4])
    first = _load(database, tmp_path)
    assert (first.deals_created, first.deals_updated) == (4, 0)
    again = _load(database, tmp_path)
    assert (again.deals_created, again.deals_updated, again.transitions) == (0, 4, 0)
    assert (again.owners_created, again.companies_created, again.companies_updated) == (0, 0, 2)

    changed = [
        ROWS[0].replace(",5000,", ",5500,"),
        ROWS[1],
        "D3,Ann Lee,MG Special,,Won,2017-01-05,2017-02-01,700,",
        ROWS[3],
    ]
    _write_files(tmp_path, changed)
    later = _load(database, tmp_path, NOW.replace(day=20))
    assert (later.deals_created, later.deals_updated, later.transitions) == (0, 4, 1)
    deals = _deals_by_key(client)
    assert len(deals) == 4
    assert deals["D1"]["properties"]["amount"] == "5500"
    d3 = deals["D3"]["properties"]
    assert (d3["dealstage"], d3["amount"]) == ("won", "700")
    history = client.get(f"/revline/v1/deals/{deals['D3']['id']}/stage-history").json()
    assert [(t["toStage"], t["changedAt"]) for t in history["transitions"]] == [
        ("engaging", "2017-01-05T00:00:00.000Z"),
        ("won", "2017-02-01T00:00:00.000Z"),
    ]


def test_cli_dry_run_writes_the_report_and_nothing_else(database: Database, tmp_path: Path) -> None:
    path = _write_files(tmp_path, ROWS)
    report = tmp_path / "report.csv"
    result = runner.invoke(
        cli_app,
        [
            "import",
            "deals",
            str(path),
            "--mapping",
            str(tmp_path / "mapping.yaml"),
            "--dry-run",
            "--report",
            str(report),
            "--database-url",
            database.url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Dry run: 14 rows, 5 would be loaded, 9 rejected" in result.output
    with report.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "source_id", "level", "code", "field", "reason"]
    assert [(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows[1:]] == EXPECTED_REPORT
    with database.unit_of_work() as session:
        assert auth_service.get_user_by_email(session, "ann.lee@example.com") is None

    result = runner.invoke(
        cli_app,
        [
            "import",
            "deals",
            str(path),
            "--mapping",
            str(tmp_path / "mapping.yaml"),
            "--report",
            str(report),
            "--database-url",
            database.url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rejected by reason: DATES_OUT_OF_ORDER 1, DUPLICATE_KEY 1" in result.output
    assert "REFUSED 1" in result.output
    with report.open(newline="") as handle:
        assert [r[3] for r in csv.reader(handle)][-1] == "REFUSED"

    bad = runner.invoke(
        cli_app,
        [
            "import",
            "deals",
            str(path),
            "--mapping",
            str(tmp_path / "nope.yaml"),
            "--database-url",
            database.url,
        ],
    )
    assert bad.exit_code == 1 and "cannot read" in bad.output


# --- the Maven data set ----------------------------------------------------------------------


@dataclass(frozen=True)
class MavenKpis:
    """Figures computed from the Maven CSV files with the standard library alone."""

    rows: int
    rejected: dict[str, str]  # opportunity id -> reason code
    without_account: int  # loaded open deals with no account (reported as warnings)
    per_stage: dict[str, int]  # file stage -> loaded deals
    win_rate: Fraction  # won / (won + lost)
    average_won_value: Fraction
    average_cycle_days: Fraction  # close - engage of won deals
    won_value_per_manager: dict[str, int]
    won_value_per_office: dict[str, int]


def maven_kpis(folder: Path = MAVEN) -> MavenKpis:
    """The KPIs of the Maven data set as the documented mapping loads it: rows whose product
    is unknown even after the GTXPro alias are rejected; the rest load."""

    def read(name: str) -> list[dict[str, str]]:
        with (folder / name).open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    products = {r["product"] for r in read("products.csv")}
    teams = {r["sales_agent"]: r for r in read("sales_teams.csv")}
    rows = read("sales_pipeline.csv")
    rejected: dict[str, str] = {}
    loaded = []
    for r in rows:
        product = {"GTXPro": "GTX Pro"}.get(r["product"], r["product"])
        if product not in products:
            rejected[r["opportunity_id"]] = "UNKNOWN_VALUE"
        else:
            loaded.append(r)
    per_stage = Counter(r["deal_stage"] for r in loaded)
    won = [r for r in loaded if r["deal_stage"] == "Won"]
    per_manager: Counter[str] = Counter()
    per_office: Counter[str] = Counter()
    for r in won:
        per_manager[teams[r["sales_agent"]]["manager"]] += int(r["close_value"])
        per_office[teams[r["sales_agent"]]["regional_office"]] += int(r["close_value"])
    cycle = sum(
        (date.fromisoformat(r["close_date"]) - date.fromisoformat(r["engage_date"])).days
        for r in won
    )
    return MavenKpis(
        rows=len(rows),
        rejected=rejected,
        without_account=sum(1 for r in loaded if not r["account"]),
        per_stage=dict(per_stage),
        win_rate=Fraction(per_stage["Won"], per_stage["Won"] + per_stage["Lost"]),
        average_won_value=Fraction(sum(int(r["close_value"]) for r in won), len(won)),
        average_cycle_days=Fraction(cycle, len(won)),
        won_value_per_manager=dict(per_manager),
        won_value_per_office=dict(per_office),
    )


@dataclass
class MavenLoad:
    client: TestClient
    result: Any


@pytest.fixture(scope="module", params=ENGINES)
def maven(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MavenLoad]:
    """The whole Maven data set, loaded once per engine for this module's tests."""
    if not (MAVEN / "sales_pipeline.csv").exists():
        pytest.skip(f"the Maven data set is not at {MAVEN}")
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path_factory.mktemp("maven") / "revline.db"
        shutil.copyfile(template, path)
        db = Database(f"sqlite:///{path}")
        drop = None
    else:
        name = f"revline_maven_{uuid.uuid4().hex[:12]}"
        _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{request.getfixturevalue("pg_template")}"')
        db = Database(_pg_url(name))
        drop = name
    plan = plan_import(load_mapping(MAVEN_MAPPING), MAVEN / "sales_pipeline.csv", now=NOW)
    result = run_import(plan, db.unit_of_work, now=NOW)
    with db.unit_of_work() as session:
        token = auth_service.create_token(session, name="tests").token
    app = create_app(Settings(database_url=db.url, auto_migrate=False), db=db)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        yield MavenLoad(client, result)
    db.dispose()
    if drop:
        _pg_admin(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')


STAGES = {
    "Prospecting": "maven_prospecting",
    "Engaging": "maven_engaging",
    "Won": "maven_won",
    "Lost": "maven_lost",
}


def _stage_filter(stage: str) -> list[dict[str, Any]]:
    return [
        {"propertyName": "pipeline", "operator": "EQ", "value": "maven"},
        {"propertyName": "dealstage", "operator": "EQ", "value": STAGES[stage]},
    ]


def test_maven_rows_are_loaded_or_reported(maven: MavenLoad) -> None:
    kpis = maven_kpis()
    result = maven.result
    assert result.rows == kpis.rows == 8800
    assert {p.source_id: p.code for p in result.rejected} == kpis.rejected
    assert result.loaded + len(result.rejected) == kpis.rows
    warned = Counter(p.code for p in result.problems if p.level == "warning")
    assert warned == {"MISSING_COMPANY": kpis.without_account}
    assert (result.owners_created, result.teams_created, result.companies_created) == (36, 6, 85)
    assert result.deals_created == result.loaded
    # One transition per creation, one more per closed deal.
    assert result.transitions == result.loaded + kpis.per_stage["Won"] + kpis.per_stage["Lost"]


def test_maven_kpis_match_the_csv(maven: MavenLoad) -> None:
    kpis = maven_kpis()
    client = maven.client
    for stage, expected in kpis.per_stage.items():
        r = client.post(
            "/crm/v3/objects/deals/search",
            json={"filterGroups": [{"filters": _stage_filter(stage)}], "limit": 1},
        )
        assert r.json()["total"] == expected, stage
    totals = {s: kpis.per_stage[s] for s in ("Won", "Lost")}
    assert Fraction(totals["Won"], totals["Won"] + totals["Lost"]) == kpis.win_rate

    won = _search(
        client, _stage_filter("Won"), ["amount", "createdate", "closedate", "hubspot_owner_id"]
    )
    assert len(won) == kpis.per_stage["Won"]
    amounts = [Fraction(d["properties"]["amount"]) for d in won]
    assert sum(amounts) / len(won) == kpis.average_won_value
    cycle_days = Fraction(0)
    for d in won:
        created = datetime.fromisoformat(d["properties"]["createdate"].replace("Z", "+00:00"))
        closed = datetime.fromisoformat(d["properties"]["closedate"].replace("Z", "+00:00"))
        cycle_days += Fraction((closed - created).days)
    assert cycle_days / len(won) == kpis.average_cycle_days

    owners = client.get("/crm/v3/owners?limit=100").json()["results"]
    team_of = {o["id"]: o["teams"][0]["name"] for o in owners if o["teams"]}
    per_manager: Counter[str] = Counter()
    per_office: Counter[str] = Counter()
    for d, amount in zip(won, amounts, strict=True):
        office, manager = team_of[d["properties"]["hubspot_owner_id"]].split(" / ")
        per_manager[manager] += int(amount)
        per_office[office] += int(amount)
    assert dict(per_manager) == kpis.won_value_per_manager
    assert dict(per_office) == kpis.won_value_per_office


def test_maven_time_in_stage_comes_from_the_dates(maven: MavenLoad) -> None:
    # The file's first row: Moses Frase's Cancity deal, engaged 2016-10-20, won 2017-03-01.
    found = _search(
        maven.client,
        [{"propertyName": "maven_opportunity_id", "operator": "EQ", "value": "1C1I7A6R"}],
        ["dealname", "amount"],
    )
    assert [(d["properties"]["dealname"], d["properties"]["amount"]) for d in found] == [
        ("Cancity - GTX Plus Basic", "1054")
    ]
    history = maven.client.get(f"/revline/v1/deals/{found[0]['id']}/stage-history").json()
    engaging = next(s for s in history["stages"] if s["stageId"] == "maven_engaging")
    assert engaging["latestTimeInMs"] == str(132 * DAY_MS)


def _fixed(value: Fraction, places: int) -> str:
    """A fraction as the analytics API writes it: ``places`` decimals, halves up."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def test_maven_pipeline_health_and_forecast_match_the_csv(maven: MavenLoad) -> None:
    """The manager's views over the loaded history agree with the CSV, computed above with
    the standard library only."""
    kpis = maven_kpis()
    health = maven.client.get(
        "/revline/v1/pipelines/maven/health", params={"from": "2016-10-01", "to": "2017-12-31"}
    )
    assert health.status_code == 200, health.text
    totals = health.json()["totals"]
    assert totals["won"]["count"] == kpis.per_stage["Won"]
    assert totals["lost"]["count"] == kpis.per_stage["Lost"]
    assert totals["winRate"] == _fixed(kpis.win_rate, 4)
    assert totals["averageWonAmount"] == _fixed(kpis.average_won_value, 2)
    assert totals["averageSalesCycleDays"] == _fixed(kpis.average_cycle_days, 1)
    engaged = kpis.per_stage["Engaging"] + kpis.per_stage["Won"] + kpis.per_stage["Lost"]
    assert totals["new"]["count"] == engaged  # prospects were created at import time (2018)
    stages = {s["stageId"]: s for s in health.json()["stages"]}
    assert stages["maven_engaging"]["entered"] == engaged
    assert stages["maven_engaging"]["advanced"] == kpis.per_stage["Won"]
    assert stages["maven_engaging"]["conversionRate"] == _fixed(
        Fraction(kpis.per_stage["Won"], engaged), 4
    )
    assert stages["maven_prospecting"]["count"] == kpis.per_stage["Prospecting"]
    assert stages["maven_engaging"]["count"] == kpis.per_stage["Engaging"]

    # Closed won of 2017-Q2 per team (one team per manager), from the CSV.
    teams = {}
    with (MAVEN / "sales_teams.csv").open(newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            teams[r["sales_agent"]] = f"{r['regional_office']} / {r['manager']}"
    expected: Counter[str] = Counter()
    with (MAVEN / "sales_pipeline.csv").open(newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            if (
                r["deal_stage"] == "Won"
                and "2017-04-01" <= r["close_date"] < "2017-07-01"
                and r["opportunity_id"] not in kpis.rejected
            ):
                expected[teams[r["sales_agent"]]] += int(r["close_value"])
    forecast = maven.client.get(
        "/revline/v1/forecast",
        params={"period": "2017-Q2", "group_by": "team", "pipeline": "maven"},
    )
    assert forecast.status_code == 200, forecast.text
    got = {g["label"]: g["closedWon"] for g in forecast.json()["groups"]}
    assert got == {team: f"{value}.00" for team, value in expected.items()}
    assert forecast.json()["total"]["closedWon"] == f"{sum(expected.values())}.00"
