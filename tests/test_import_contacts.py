"""`revline import contacts`: mapping files and their errors, properties created from the
mapping, value maps, row checks and their report, re-imports that update, and the X Education
leads file loaded whole with counts checked against figures computed here from the CSV."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from revline.cli.main import app as cli_app
from revline.errors import ValidationError
from revline.imports.mapping import load_contact_mapping, parse_contact_mapping
from revline.imports.plan import plan_contact_import
from revline.imports.service import ContactImportResult, run_contact_import
from revline.kit.db import Database
from revline.kit.time import utcnow
from tests.cli_support import runner
from tests.segments_support import members, segment, work

ROOT = Path(__file__).resolve().parent.parent
LEADS = ROOT.parent / "shared" / "datasets" / "x-education-leads" / "Leads.csv"
LEADS_MAPPING = ROOT / "docs" / "examples" / "x-education-mapping.yaml"

# --- a small hand-made file -----------------------------------------------------------------

HEADER = "Lead Id,Email,First Name,Stage,Source,Visits,Newsletter,Converted,Signed Up,Plan,Notes"
ROWS = [
    "L1,ann@example.com,Ann,New,Google,3,Yes,0,2024-01-05,Basic,call back",  # 2
    "L2,bob@example.com,Bob,Customer,google,Select,No,1,,Pro,",  # 3: google -> Google
    "L3,,Cy,Select,Select,0,Select,0,,Select,",  # 4: Select is no value
    "L4,dee@example.com,Dee,New,Direct,abc,Yes,0,,Basic,",  # 5: bad number
    "L5,eve@example.com,Eve,New,Direct,2,Maybe,0,2024-02-30,Gold,",  # 6: three bad cells
    ",fay@example.com,Fay,New,Direct,1,No,0,,,",  # 7: no key
    "L1,ann2@example.com,Ann,New,Direct,1,No,0,,,",  # 8: key used on line 2
    "L6,gus@example.com,Gus,Churned,Direct,1,No,0,,,",  # 9: stage not mapped
    "L7,not-an-email,Hal,New,Direct,1,No,0,,,",  # 10: refused by the records service
    "L8,ivy@example.com,Ivy,Qualified,Referral,1,No,0,,,",  # 11
]

MAPPING: dict[str, Any] = {
    "group": {"name": "trial_leads", "label": "Trial leads"},
    "missing": ["Select"],
    "value_maps": {"yes_no": {"Yes": True, "No": False}},
    "key_column": "Lead Id",
    "lifecycle_stage": {
        "column": "Stage",
        "values": {"New": "lead", "Qualified": "marketingqualifiedlead", "Customer": "customer"},
    },
    "columns": {
        "Lead Id": {"property": "t_lead_id", "type": "string", "label": "Lead id"},
        "Email": {"property": "email"},
        "First Name": {"property": "firstname"},
        "Source": {
            "property": "t_source",
            "type": "enumeration",
            "options": "from-data",
            "values": {"google": "Google"},
            "description": "Where the lead came from.",
        },
        "Visits": {"property": "t_visits", "type": "number"},
        "Newsletter": {"property": "t_newsletter", "type": "bool", "values": "yes_no"},
        "Converted": {"property": "t_converted", "type": "bool", "values": {"0": False, "1": True}},
        "Signed Up": {"property": "t_signed_up", "type": "date", "label": "Signed up"},
        "Plan": {
            "property": "t_plan",
            "type": "enumeration",
            "options": ["Basic", {"value": "Pro", "label": "Professional"}],
        },
    },
    "ignore": ["Notes"],
}

EXPECTED_PLAN_PROBLEMS = [
    (5, "L4", "Visits", "INVALID_NUMBER"),
    (6, "L5", "Newsletter", "INVALID_BOOLEAN"),
    (6, "L5", "Signed Up", "INVALID_DATE"),
    (6, "L5", "Plan", "INVALID_OPTION"),
    (7, "", "Lead Id", "MISSING_KEY"),
    (8, "L1", "Lead Id", "DUPLICATE_KEY"),
    (9, "L6", "Stage", "UNKNOWN_STAGE"),
]


def _write(
    folder: Path, rows: list[str], mapping: dict[str, Any] = MAPPING, header: str = HEADER
) -> Path:
    (folder / "leads.csv").write_text("\r\n".join([header, *rows]) + "\r\n")
    (folder / "mapping.yaml").write_text(yaml.safe_dump(mapping, sort_keys=False))
    return folder / "leads.csv"


def _load(db: Database, folder: Path) -> ContactImportResult:
    plan = plan_contact_import(load_contact_mapping(folder / "mapping.yaml"), folder / "leads.csv")
    return run_contact_import(plan, db.unit_of_work, now=utcnow(), chunk_size=2)


def _search(
    client: TestClient, filters: list[dict[str, Any]], props: list[str]
) -> list[dict[str, Any]]:
    """Every contact matching ``filters``, through the public search API, page by page."""
    found: list[dict[str, Any]] = []
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
        r = client.post("/crm/v3/objects/contacts/search", json=body)
        assert r.status_code == 200, r.text
        page = r.json()
        found += page["results"]
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            return found


def _count(client: TestClient, filters: list[dict[str, Any]]) -> int:
    r = client.post(
        "/crm/v3/objects/contacts/search",
        json={"filterGroups": [{"filters": filters}], "limit": 1},
    )
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


def _by_key(client: TestClient) -> dict[str, dict[str, Any]]:
    props = [
        "t_lead_id",
        "email",
        "firstname",
        "lifecyclestage",
        "t_source",
        "t_visits",
        "t_newsletter",
        "t_converted",
        "t_signed_up",
        "t_plan",
    ]
    found = _search(client, [{"propertyName": "t_lead_id", "operator": "HAS_PROPERTY"}], props)
    return {c["properties"]["t_lead_id"]: c["properties"] for c in found}


# --- the mapping file ---------------------------------------------------------------------------


def _columns(m: dict[str, Any]) -> dict[str, Any]:
    columns: dict[str, Any] = m["columns"]
    return columns


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (lambda m: m.pop("key_column"), "key_column", "required key is missing"),
        (
            lambda m: m.update(key_column="Notes"),
            "key_column",
            "names column 'Notes', which columns does not map",
        ),
        (
            lambda m: _columns(m)["Plan"].update(optons=["A"]),
            "columns.Plan.optons",
            "unknown key",
        ),
        (
            lambda m: _columns(m)["Plan"].pop("options"),
            "columns.Plan.options",
            "an enumeration needs options (a list, or from-data)",
        ),
        (
            lambda m: _columns(m)["Visits"].update(options=["1"]),
            "columns.Visits.options",
            "only enumeration properties have options",
        ),
        (
            lambda m: _columns(m)["Source"].update(options="from_data"),
            "columns.Source.options",
            "Input should be 'from-data'",
        ),
        (
            lambda m: _columns(m)["Visits"].update(type="integer"),
            "columns.Visits.type",
            "Input should be 'string', 'number', 'enumeration', 'bool', 'date' or 'datetime'",
        ),
        (
            lambda m: _columns(m)["Email"].update(label="E-mail"),
            "columns.Email.type",
            "a property definition (label, description, options) needs a type",
        ),
        (
            lambda m: _columns(m)["Visits"].update(property="Visits"),
            "columns.Visits.property",
            "should match pattern",
        ),
        (
            lambda m: _columns(m)["Visits"].update(property="t_source"),
            "columns.Visits.property",
            "property 't_source' is already filled by column 'Source'",
        ),
        (
            lambda m: _columns(m)["Newsletter"].update(values="yes_or_no"),
            "columns.Newsletter.values",
            "names value map 'yes_or_no', which value_maps lacks",
        ),
        (
            lambda m: _columns(m)["Converted"].update(values={0: False, 1: True}),
            "columns.Converted.values",
            "the file value 0 must be quoted ('0')",
        ),
        (
            lambda m: _columns(m)["Lead Id"].update(type="number"),
            "columns.Lead Id.type",
            "the key column fills a string property",
        ),
        (lambda m: m["ignore"].append("Plan"), "ignore[1]", "column 'Plan' is also mapped"),
        (
            lambda m: m.update(lifecycle_stage={"colum": "Stage", "values": {"New": "lead"}}),
            "lifecycle_stage.column",
            "required key is missing",
        ),
        (
            lambda m: _columns(m).update(Stage={"property": "lifecyclestage"}),
            "columns.Stage.property",
            "lifecyclestage is set by lifecycle_stage",
        ),
        (lambda m: m.update(group={"name": "Trial", "label": "x"}), "group.name", "pattern"),
    ],
)
def test_bad_mapping_files_name_the_key(change: Any, key: str, message: str) -> None:
    mapping = yaml.safe_load(yaml.safe_dump(MAPPING))
    change(mapping)
    with pytest.raises(ValidationError) as caught:
        parse_contact_mapping(mapping)
    assert caught.value.errors[0].context == {"key": [key]}
    assert caught.value.errors[0].code == "INVALID_MAPPING"
    assert message in caught.value.message


def test_yes_and_no_stay_text_in_mapping_files(tmp_path: Path) -> None:
    """YAML 1.1 would read an unquoted Yes as a boolean; a value map must match the cell."""
    (tmp_path / "mapping.yaml").write_text(
        "key_column: Id\n"
        "columns:\n"
        "  Id: {property: t_id, type: string}\n"
        "  Opt In: {property: t_opt_in, type: bool, values: {Yes: true, No: false, n/a: ~}}\n"
    )
    mapping = load_contact_mapping(tmp_path / "mapping.yaml")
    assert mapping.value_map("Opt In") == {"Yes": "true", "No": "false", "n/a": None}


def test_the_file_and_the_mapping_must_agree(tmp_path: Path) -> None:
    mapping = yaml.safe_load(yaml.safe_dump(MAPPING))
    _columns(mapping)["Visits"]["property"] = "t_visits"
    mapping["columns"]["Vistis"] = mapping["columns"].pop("Visits")
    path = _write(tmp_path, ROWS, mapping)
    with pytest.raises(ValidationError) as caught:
        plan_contact_import(load_contact_mapping(tmp_path / "mapping.yaml"), path)
    assert caught.value.errors[0].context == {"key": ["columns.Vistis"]}
    assert "names column 'Vistis', which leads.csv does not have" in caught.value.message

    path = _write(tmp_path, [r + ",x" for r in ROWS], header=HEADER + ",Extra")
    with pytest.raises(ValidationError) as caught:
        plan_contact_import(load_contact_mapping(tmp_path / "mapping.yaml"), path)
    assert caught.value.errors[0].context == {"key": ["columns"]}
    assert "neither maps nor ignores: Extra" in caught.value.message

    path = _write(tmp_path, [r + ",x" for r in ROWS], header=HEADER + ",Plan")
    with pytest.raises(ValidationError, match="has the column 'Plan' more than once"):
        plan_contact_import(load_contact_mapping(tmp_path / "mapping.yaml"), path)


# --- planning: value maps and row checks --------------------------------------------------------


def test_rows_are_checked_and_every_bad_cell_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, ROWS)
    plan = plan_contact_import(load_contact_mapping(tmp_path / "mapping.yaml"), path)
    got = [(p.line, p.source_id, p.field, p.code) for p in plan.problems]
    assert got == EXPECTED_PLAN_PROBLEMS
    reasons = {(p.line, p.field): p.reason for p in plan.problems}
    assert reasons[(5, "Visits")] == "'abc' is not a number"
    assert reasons[(6, "Newsletter")] == "'Maybe' is not true or false"
    assert reasons[(6, "Plan")].startswith("'Gold' was not one of the allowed options")
    assert reasons[(8, "Lead Id")] == "Lead Id 'L1' already used on line 2"
    assert reasons[(9, "Stage")] == "lifecycle stage value 'Churned' is not mapped"
    # Every row is planned or rejected, never both.
    assert plan.rejected_rows == 5
    assert [c.key for c in plan.contacts] == ["L1", "L2", "L3", "L7", "L8"]
    assert len(plan.contacts) + plan.rejected_rows == plan.rows == len(ROWS)

    by_key = {c.key: c.properties for c in plan.contacts}
    assert by_key["L1"] == {
        "t_lead_id": "L1",
        "email": "ann@example.com",
        "firstname": "Ann",
        "t_source": "Google",
        "t_visits": "3",
        "t_newsletter": "true",
        "t_converted": "false",
        "t_signed_up": "2024-01-05",
        "t_plan": "Basic",
        "lifecyclestage": "lead",
    }
    # "Select" is no value in every column, the lifecycle stage's too; "google" is Google.
    assert by_key["L3"] == {
        "t_lead_id": "L3",
        "firstname": "Cy",
        "t_visits": "0",
        "t_converted": "false",
    }
    assert by_key["L2"]["t_source"] == "Google" and by_key["L2"]["t_converted"] == "true"
    assert by_key["L2"]["lifecyclestage"] == "customer"
    # from-data: the distinct values of the file, after its value maps.
    source = next(p for p in plan.properties if p.name == "t_source")
    assert source.options == [{"value": v, "label": v} for v in ("Direct", "Google", "Referral")]


# --- loading --------------------------------------------------------------------------------------


def test_properties_are_created_from_the_mapping(
    database: Database, client: TestClient, tmp_path: Path
) -> None:
    _write(tmp_path, ROWS)
    result = _load(database, tmp_path)
    assert result.group_created and result.properties_created == 7

    group = client.get("/crm/v3/properties/contacts/groups/trial_leads")
    assert group.status_code == 200 and group.json()["label"] == "Trial leads"

    def prop(name: str) -> dict[str, Any]:
        r = client.get(f"/crm/v3/properties/contacts/{name}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        assert body["groupName"] == "trial_leads"
        return body

    key = prop("t_lead_id")
    assert (key["type"], key["fieldType"], key["label"], key["hasUniqueValue"]) == (
        "string",
        "text",
        "Lead id",
        True,
    )
    source = prop("t_source")
    assert (source["type"], source["fieldType"]) == ("enumeration", "select")
    assert source["description"] == "Where the lead came from."
    assert source["label"] == "Source"  # the column's name when the mapping gives none
    assert [o["value"] for o in source["options"]] == ["Direct", "Google", "Referral"]
    plan = prop("t_plan")
    assert [(o["value"], o["label"]) for o in plan["options"]] == [
        ("Basic", "Basic"),
        ("Pro", "Professional"),
    ]
    assert (prop("t_visits")["type"], prop("t_visits")["fieldType"]) == ("number", "number")
    assert (prop("t_newsletter")["type"], prop("t_newsletter")["fieldType"]) == (
        "bool",
        "booleancheckbox",
    )
    assert (prop("t_signed_up")["type"], prop("t_signed_up")["label"]) == ("date", "Signed up")
    assert not prop("t_visits")["hasUniqueValue"]


def test_rejected_rows_are_reported_and_the_others_land(
    database: Database, client: TestClient, tmp_path: Path
) -> None:
    _write(tmp_path, ROWS)
    result = _load(database, tmp_path)
    refused = result.problems[len(EXPECTED_PLAN_PROBLEMS) :]
    assert [(p.line, p.source_id, p.field, p.code) for p in refused] == [
        (10, "L7", "Email", "REFUSED")
    ]
    assert "not-an-email is invalid" in refused[0].reason
    assert (result.rejected_rows, result.loaded, result.contacts_created) == (6, 4, 4)
    assert result.loaded + result.rejected_rows == len(ROWS)

    contacts = _by_key(client)
    assert sorted(contacts) == ["L1", "L2", "L3", "L8"]
    ann = contacts["L1"]
    assert (ann["email"], ann["firstname"], ann["lifecyclestage"]) == (
        "ann@example.com",
        "Ann",
        "lead",
    )
    assert (ann["t_source"], ann["t_visits"], ann["t_plan"]) == ("Google", "3", "Basic")
    assert (ann["t_newsletter"], ann["t_converted"], ann["t_signed_up"]) == (
        "true",
        "false",
        "2024-01-05",
    )
    bob = contacts["L2"]
    assert (bob["t_source"], bob["t_visits"], bob["t_converted"]) == ("Google", None, "true")
    assert (bob["t_plan"], bob["lifecyclestage"]) == ("Pro", "customer")
    cy = contacts["L3"]
    assert (cy["email"], cy["lifecyclestage"], cy["t_source"], cy["t_newsletter"]) == (
        None,
        None,
        None,
        None,
    )
    assert contacts["L8"]["lifecyclestage"] == "marketingqualifiedlead"

    # Writes go through the records service: history says where values came from, and the
    # lifecycle rules stamped the stage's date.
    ident = _search(
        client, [{"propertyName": "t_lead_id", "operator": "EQ", "value": "L1"}], ["email"]
    )[0]["id"]
    r = client.get(
        f"/crm/v3/objects/contacts/{ident}",
        params={
            "propertiesWithHistory": "t_visits",
            "properties": "hs_lifecyclestage_lead_date",
        },
    )
    history = r.json()["propertiesWithHistory"]["t_visits"]
    assert [(h["value"], h["sourceType"], h["sourceId"]) for h in history] == [
        ("3", "IMPORT", "leads.csv")
    ]
    assert r.json()["properties"]["hs_lifecyclestage_lead_date"] is not None


def test_re_importing_updates_instead_of_duplicating(
    database: Database, client: TestClient, tmp_path: Path
) -> None:
    good = [ROWS[0], ROWS[1], ROWS[2], ROWS[9]]
    _write(tmp_path, good)
    first = _load(database, tmp_path)
    assert (first.contacts_created, first.contacts_updated) == (4, 0)
    again = _load(database, tmp_path)
    assert (again.contacts_created, again.contacts_updated, again.properties_created) == (
        4 - 4,
        4,
        0,
    )
    assert not again.group_created and again.options_added == 0
    assert len(_by_key(client)) == 4

    # Someone moves Ann on; the file still says New (lead): the import never moves her back.
    ann_id = _search(client, [{"propertyName": "t_lead_id", "operator": "EQ", "value": "L1"}], [])[
        0
    ]["id"]
    r = client.patch(
        f"/crm/v3/objects/contacts/{ann_id}",
        json={"properties": {"lifecyclestage": "salesqualifiedlead"}},
    )
    assert r.status_code == 200, r.text
    # Segments hear of imported contacts as of any write: new ones and changed values.
    webinar = segment(client, {"property": "t_source", "operator": "EQ", "value": "Webinar"}, "W")
    busy = segment(client, {"property": "t_visits", "operator": "GTE", "value": "4"}, "B")
    work(database)
    assert members(database, webinar) == members(database, busy) == set()
    changed = [
        # more visits; an empty source does not clear the stored one
        "L1,ann@example.com,Ann,New,,4,Yes,0,2024-01-05,Basic,",
        ROWS[1],
        "L3,,Cyrus,Qualified,Select,0,Select,0,,Select,",  # renamed, no stage before
        ROWS[9],
        "L9,jo@example.com,Jo,New,Webinar,1,No,0,,,",  # new, with a new source
    ]
    _write(tmp_path, changed)
    later = _load(database, tmp_path)
    assert (later.contacts_created, later.contacts_updated) == (1, 4)
    assert (later.stages_kept, later.options_added) == (1, 1)
    contacts = _by_key(client)
    assert sorted(contacts) == ["L1", "L2", "L3", "L8", "L9"]
    ann = contacts["L1"]
    assert (ann["t_visits"], ann["t_source"], ann["lifecyclestage"]) == (
        "4",
        "Google",
        "salesqualifiedlead",
    )
    assert (contacts["L3"]["firstname"], contacts["L3"]["lifecyclestage"]) == (
        "Cyrus",
        "marketingqualifiedlead",
    )
    work(database)
    jo_id = _search(client, [{"propertyName": "t_lead_id", "operator": "EQ", "value": "L9"}], [])
    assert members(database, webinar) == {int(jo_id[0]["id"])}
    assert members(database, busy) == {int(ann_id)}
    source = client.get("/crm/v3/properties/contacts/t_source").json()
    assert [o["value"] for o in source["options"]] == ["Google", "Referral", "Webinar"]
    r = client.get(
        f"/crm/v3/objects/contacts/{ann_id}", params={"propertiesWithHistory": "t_visits"}
    )
    assert [h["value"] for h in r.json()["propertiesWithHistory"]["t_visits"]] == ["4", "3"]


def test_email_can_be_the_key(database: Database, client: TestClient, tmp_path: Path) -> None:
    mapping: dict[str, Any] = {
        "key_column": "Email",
        "lifecycle_stage": "subscriber",
        "columns": {
            "Email": {"property": "email"},
            "Name": {"property": "firstname"},
            "Score": {"property": "t_score", "type": "number"},
        },
    }
    header = "Email,Name,Score"
    _write(
        tmp_path,
        ["Ann@Example.com,Ann,1", "bob@example.com,Bob,2", "ANN@example.com,A,3"],
        mapping,
        header,
    )
    plan = plan_contact_import(
        load_contact_mapping(tmp_path / "mapping.yaml"), tmp_path / "leads.csv"
    )
    assert [(p.line, p.code) for p in plan.problems] == [(4, "DUPLICATE_KEY")]
    first = _load(database, tmp_path)
    assert (first.contacts_created, first.properties_created) == (2, 1)
    _write(tmp_path, ["ANN@example.com,Annie,5"], mapping, header)
    again = _load(database, tmp_path)
    assert (again.contacts_created, again.contacts_updated) == (0, 1)
    found = _search(
        client,
        [{"propertyName": "email", "operator": "HAS_PROPERTY"}],
        ["email", "firstname", "t_score", "lifecyclestage"],
    )
    got = {c["properties"]["email"]: c["properties"] for c in found}
    assert sorted(got) == ["ann@example.com", "bob@example.com"]
    assert (got["ann@example.com"]["firstname"], got["ann@example.com"]["t_score"]) == (
        "Annie",
        "5",
    )
    assert got["bob@example.com"]["lifecyclestage"] == "subscriber"


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (
            lambda m: _columns(m).update({"First Name": {"property": "nickname"}}),
            "columns.First Name.property",
            "contact property 'nickname' does not exist; give its type",
        ),
        (
            lambda m: _columns(m).update(
                {"First Name": {"property": "firstname", "type": "number"}}
            ),
            "columns.First Name.type",
            "exists with the type string, not number",
        ),
        (
            lambda m: _columns(m).update({"Lead Id": {"property": "lastname"}}),
            "key_column",
            "'lastname' is not a string property with unique values",
        ),
        (
            lambda m: _columns(m).update(
                {"First Name": {"property": "hs_lifecyclestage_lead_date"}}
            ),
            "columns.First Name.property",
            "is read-only",
        ),
        (
            lambda m: (m.update(lifecycle_stage="prospect"), m["ignore"].append("Stage")),
            "lifecycle_stage",
            "'prospect' is not a lifecycle stage records can enter",
        ),
        (
            lambda m: _columns(m)["Visits"].update(property="hs_visits"),
            "columns.Visits",
            "reserved prefix 'hs_'",
        ),
    ],
)
def test_mapping_errors_found_against_the_database_write_nothing(
    database: Database,
    client: TestClient,
    tmp_path: Path,
    change: Any,
    key: str,
    message: str,
) -> None:
    mapping = yaml.safe_load(yaml.safe_dump(MAPPING))
    change(mapping)
    _write(tmp_path, [ROWS[0]], mapping)
    with pytest.raises(ValidationError) as caught:
        _load(database, tmp_path)
    assert caught.value.errors[0].context == {"key": [key]}
    assert message in caught.value.message
    assert client.get("/crm/v3/properties/contacts/groups/trial_leads").status_code == 404
    assert client.get("/crm/v3/properties/contacts/t_source").status_code == 404


def _cli(*args: str) -> Any:
    return runner.invoke(cli_app, ["import", "contacts", *args])


def test_cli_dry_run_report_and_load(database: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, ROWS)
    mapping = str(tmp_path / "mapping.yaml")
    report = tmp_path / "report.csv"
    dry = _cli(
        str(path),
        "--mapping",
        mapping,
        "--dry-run",
        "--report",
        str(report),
        "--database-url",
        database.url,
    )
    assert dry.exit_code == 0, dry.output
    assert "Dry run: 10 rows, 5 would be loaded, 5 rejected" in dry.output
    with report.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["line", "source_id", "level", "code", "field", "reason"]
    assert [(int(r[0]), r[1], r[4], r[3]) for r in rows[1:]] == EXPECTED_PLAN_PROBLEMS

    done = _cli(
        str(path), "--mapping", mapping, "--report", str(report), "--database-url", database.url
    )
    assert done.exit_code == 0, done.output
    assert "rows rejected" in done.output and "contacts created" in done.output
    assert "REFUSED 1" in done.output
    with report.open(newline="") as handle:
        assert [r[3] for r in csv.reader(handle)][-1] == "REFUSED"

    bad = _cli(str(path), "--mapping", str(tmp_path / "nope.yaml"), "--database-url", database.url)
    assert bad.exit_code == 1 and "cannot read" in bad.output
    (tmp_path / "broken.yaml").write_text("key_column: [unclosed")
    bad = _cli(
        str(path), "--mapping", str(tmp_path / "broken.yaml"), "--database-url", database.url
    )
    assert bad.exit_code == 1 and "is not valid YAML" in bad.output
    missing = _cli(str(tmp_path / "none.csv"), "--mapping", mapping, "--database-url", database.url)
    assert missing.exit_code == 1 and "cannot read file" in missing.output


# --- the X Education leads --------------------------------------------------------------------


def test_x_education_leads_load_whole(database: Database, client: TestClient) -> None:
    if not LEADS.exists():
        pytest.skip(f"the X Education data set is not at {LEADS}")
    with LEADS.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    converted = sum(1 for r in rows if r["Converted"] == "1")
    no_specialization = sum(1 for r in rows if r["Specialization"] in ("", "Select"))

    plan = plan_contact_import(load_contact_mapping(LEADS_MAPPING), LEADS)
    assert plan.problems == []
    mapped = {p.column for p in plan.properties}
    assert mapped == set(rows[0]), "every column of the file is imported"
    assert all(p.name.startswith("xe_") for p in plan.properties)
    result = run_contact_import(plan, database.unit_of_work, now=utcnow())
    assert (result.rows, result.loaded, result.rejected_rows) == (9240, 9240, 0)
    assert (result.contacts_created, result.properties_created) == (9240, 37)

    has_key = [{"propertyName": "xe_prospect_id", "operator": "HAS_PROPERTY"}]
    assert _count(client, has_key) == 9240
    assert (
        _count(client, [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}])
        == 9240
    )
    assert converted == 3561
    assert (
        _count(client, [{"propertyName": "xe_converted", "operator": "EQ", "value": "true"}])
        == converted
    )
    assert (
        _count(client, [{"propertyName": "xe_converted", "operator": "EQ", "value": "false"}])
        == 9240 - converted
    )
    # "Select" is missing: no contact holds it, no option offers it.
    assert (
        _count(client, [{"propertyName": "xe_specialization", "operator": "NOT_HAS_PROPERTY"}])
        == no_specialization
    )
    props = {p["name"]: p for p in client.get("/crm/v3/properties/contacts").json()["results"]}
    for name, prop in props.items():
        if name.startswith("xe_") and prop["type"] == "enumeration":
            assert "Select" not in [o["value"] for o in prop["options"]], name
    sources = [o["value"] for o in props["xe_lead_source"]["options"]]
    assert "Google" in sources and "google" not in sources
    assert props["xe_prospect_id"]["hasUniqueValue"]
    assert props["xe_tags"]["description"].startswith("Post-contact")
    assert props["xe_converted"]["groupName"] == "x_education"

    first, second = rows[0]["Prospect ID"], rows[1]["Prospect ID"]
    found = _search(
        client,
        [{"propertyName": "xe_prospect_id", "operator": "IN", "values": [first, second]}],
        [
            "xe_prospect_id",
            "xe_lead_number",
            "xe_lead_origin",
            "xe_lead_source",
            "xe_do_not_email",
            "xe_converted",
            "xe_total_visits",
            "xe_time_on_website",
            "xe_page_views_per_visit",
            "xe_country",
            "xe_specialization",
            "xe_tags",
            "xe_lead_quality",
            "xe_asymmetrique_activity_index",
            "xe_asymmetrique_activity_score",
            "xe_last_notable_activity",
            "xe_free_interview_copy",
        ],
    )
    got = {c["properties"]["xe_prospect_id"]: c["properties"] for c in found}
    lead = got[first]
    assert (lead["xe_lead_number"], lead["xe_lead_origin"], lead["xe_lead_source"]) == (
        "660737",
        "API",
        "Olark Chat",
    )
    assert (lead["xe_do_not_email"], lead["xe_converted"], lead["xe_total_visits"]) == (
        "false",
        "false",
        "0",
    )
    assert (lead["xe_country"], lead["xe_specialization"]) == (None, None)  # empty, Select
    assert (lead["xe_tags"], lead["xe_lead_quality"]) == (
        "Interested in other courses",
        "Low in Relevance",
    )
    assert (lead["xe_asymmetrique_activity_index"], lead["xe_asymmetrique_activity_score"]) == (
        "02.Medium",
        "15",
    )
    assert (lead["xe_last_notable_activity"], lead["xe_free_interview_copy"]) == (
        "Modified",
        "false",
    )
    lead = got[second]
    assert (lead["xe_total_visits"], lead["xe_time_on_website"]) == ("5", "674")
    assert (lead["xe_page_views_per_visit"], lead["xe_country"]) == ("2.5", "India")
    # The counts per value agree with the file.
    origins = Counter(r["Lead Origin"] for r in rows)
    for origin, n in origins.items():
        assert (
            _count(client, [{"propertyName": "xe_lead_origin", "operator": "EQ", "value": origin}])
            == n
        ), origin
