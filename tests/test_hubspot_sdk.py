"""HubSpot's own Python SDK (``hubspot-api-client``) driven against a live Revline server.

Every call goes over real HTTP through the SDK's generated clients, so a wrong status code
(the SDK then silently returns ``None``), a missing required field, an integer timestamp or a
paging cursor that never ends shows up exactly as it would for an integration in the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import hubspot
import pytest
from hubspot.crm import companies, contacts, deals, owners, pipelines, properties
from hubspot.crm.objects import calls, emails, meetings, notes, tasks

from revline.auth import service as auth_service
from revline.crm.object_types import CONTACTS
from revline.crm.records import service as records
from revline.kit.db import Database

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ERROR_KEYS = {"status", "message", "correlationId", "category", "errors", "context", "links"}


# --- helpers ----------------------------------------------------------------------------


def sdk(live_server: str, token: str) -> Any:
    return hubspot.Client.create(access_token=token, host=live_server)


def assert_utc(value: Any) -> None:
    assert isinstance(value, datetime), value
    assert value.utcoffset() == timedelta(0), value


def assert_record(obj: Any, *, archived: bool = False) -> None:
    """What every record the SDK hands back must look like."""
    assert isinstance(obj.id, str) and obj.id.isdigit(), obj.id
    assert_utc(obj.created_at)
    assert_utc(obj.updated_at)
    assert obj.updated_at >= obj.created_at
    assert obj.archived is archived
    if archived:
        assert_utc(obj.archived_at)
    assert isinstance(obj.properties, dict)
    for name, value in obj.properties.items():
        assert value is None or isinstance(value, str), (name, value)
    if "hs_object_id" in obj.properties:
        assert obj.properties["hs_object_id"] == obj.id


def raw_json(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The undecoded body of an SDK call, to check the wire format itself."""
    response = call(*args, _preload_content=False, **kwargs)
    body: dict[str, Any] = json.loads(response.data)
    return body


def api_error(excinfo: pytest.ExceptionInfo[Exception], status: int) -> dict[str, Any]:
    """The status and HubSpot-shaped JSON body of an ``ApiException``."""
    exc: Any = excinfo.value
    assert type(exc).__name__.endswith("Exception")
    assert exc.status == status, (exc.status, exc.body)
    assert "application/json" in exc.headers.get("content-type", "")
    body: dict[str, Any] = json.loads(exc.body)
    assert body.keys() >= ERROR_KEYS, body
    assert body["status"] == "error"
    assert isinstance(body["message"], str) and body["message"]
    assert re.fullmatch(r"[0-9a-f-]{36}", body["correlationId"])
    assert isinstance(body["errors"], list)
    assert isinstance(body["context"], dict)
    # It must also load into the SDK's own Error model (required fields, detail shapes).
    model = contacts.ApiClient()._ApiClient__deserialize(body, "Error")
    assert (model.category, model.correlation_id) == (body["category"], body["correlationId"])
    for detail in model.errors or []:
        assert detail.message
    return body


def read_every_page(api: Any, *, limit: int, **kwargs: Any) -> tuple[list[Any], int]:
    """Follow ``paging.next.after`` until a page comes without ``paging``."""
    results: list[Any] = []
    after: str | None = None
    pages = 0
    while True:
        page = api.get_page(limit=limit, after=after, **kwargs)
        pages += 1
        assert pages <= 100, "paging never ended"
        assert len(page.results) <= limit
        results.extend(page.results)
        if page.paging is None:
            return results, pages
        assert page.paging.next is not None
        after = page.paging.next.after
        assert isinstance(after, str) and after
        assert f"after={after}" in page.paging.next.link


def check_basic_crud(
    api: Any,
    module: Any,
    *,
    create: dict[str, str],
    update: dict[str, str],
    history_of: str,
    extra_count: int = 3,
    extra: Any = None,
) -> None:
    """create (201), get_by_id, update, history, paging, archive (204), archived reads."""
    obj, status, _ = api.create_with_http_info(
        module.SimplePublicObjectInputForCreate(properties=create)
    )
    assert status == 201
    assert_record(obj)
    for name, value in create.items():
        assert obj.properties[name] == value, (name, obj.properties[name], value)

    got = api.get_by_id(obj.id, properties=list(create))
    assert_record(got)
    assert got.id == obj.id
    assert {k: got.properties[k] for k in create} == create

    changed, status, _ = api.update_with_http_info(
        obj.id, module.SimplePublicObjectInput(properties=update)
    )
    assert status == 200
    assert_record(changed)
    assert changed.id == obj.id
    for name, value in update.items():
        assert changed.properties[name] == value
    assert changed.updated_at >= obj.updated_at

    history = api.get_by_id(obj.id, properties_with_history=[history_of])
    entries = history.properties_with_history[history_of]
    assert [e.value for e in entries] == [update[history_of], create[history_of]]
    for e in entries:
        assert_utc(e.timestamp)
        assert e.source_type == "API"
    assert entries[0].timestamp >= entries[1].timestamp

    ids = [obj.id]
    for i in range(extra_count):
        props = extra(i) if extra else dict(create)
        ids.append(api.create(module.SimplePublicObjectInputForCreate(properties=props)).id)
    assert len(set(ids)) == len(ids)

    every, pages = read_every_page(api, limit=2, properties=[history_of])
    assert [r.id for r in every] == ids
    assert pages == (len(ids) + 1) // 2
    for r in every:
        assert_record(r)
        assert history_of in r.properties
    one_page = api.get_page(limit=len(ids))
    assert one_page.paging is None
    assert [r.id for r in one_page.results] == ids

    # archive: 204, gone from normal reads, visible with archived=True
    _, status, _ = api.archive_with_http_info(ids[-1])
    assert status == 204
    with pytest.raises(Exception) as excinfo:
        api.get_by_id(ids[-1])
    assert api_error(excinfo, 404)["category"] == "OBJECT_NOT_FOUND"
    gone = api.get_by_id(ids[-1], archived=True)
    assert_record(gone, archived=True)
    archived_page = api.get_page(archived=True)
    assert [r.id for r in archived_page.results] == [ids[-1]]
    assert archived_page.paging is None
    assert_record(archived_page.results[0], archived=True)
    live_ids = [r.id for r in api.get_page(limit=100).results]
    assert live_ids == ids[:-1]


# --- objects: contacts, companies, deals -------------------------------------------------


def test_contacts_basic_api_and_get_all(live_server: str, token: str, database: Database) -> None:
    client = sdk(live_server, token)
    api = client.crm.contacts.basic_api

    check_basic_crud(
        api,
        contacts,
        create={"email": "ada@example.com", "firstname": "Ada", "lifecyclestage": "lead"},
        update={"firstname": "Augusta", "lifecyclestage": "salesqualifiedlead"},
        history_of="firstname",
        extra=lambda i: {"email": f"person{i}@example.com", "firstname": f"P{i}"},
    )

    # Emails are stored normalised and can be looked up through a percent-encoded path.
    made = api.create(
        contacts.SimplePublicObjectInputForCreate(
            properties={"email": "  Grace.Hopper+navy@Example.COM ", "lastname": "Hopper"}
        )
    )
    assert made.properties["email"] == "grace.hopper+navy@example.com"
    by_email = api.get_by_id("Grace.Hopper+navy@example.com", id_property="email")
    assert by_email.id == made.id
    assert by_email.properties["lastname"] == "Hopper"
    assert set(by_email.properties) >= {"createdate", "lastmodifieddate", "hs_object_id"}
    assert_utc(datetime.fromisoformat(by_email.properties["createdate"]))
    patched = api.update(
        "grace.hopper+navy@example.com",
        contacts.SimplePublicObjectInput(properties={"jobtitle": "Rear Admiral"}),
        id_property="email",
    )
    assert patched.id == made.id
    assert patched.properties["jobtitle"] == "Rear Admiral"

    # Only the requested properties come back.
    page = api.get_page(properties=["email", "jobtitle"])
    for r in page.results:
        assert {"email", "jobtitle"} <= set(r.properties)
        assert "firstname" not in r.properties

    # The wire format itself: ms-precision UTC timestamps, string values, no paging at the end.
    body = raw_json(api.get_page, limit=100, properties=["email", "createdate"])
    assert "paging" not in body
    for r in body["results"]:
        assert ISO_MS.match(r["createdAt"]) and ISO_MS.match(r["updatedAt"])
        assert ISO_MS.match(r["properties"]["createdate"])
        assert isinstance(r["id"], str)
    paged = raw_json(api.get_page, limit=1)
    assert paged["paging"]["next"]["after"]

    # A host configured with a trailing slash makes the SDK send "//crm/...".
    slashed = sdk(live_server + "/", token)
    assert [c.id for c in slashed.crm.contacts.basic_api.get_page(limit=100).results] == [
        r["id"] for r in body["results"]
    ]

    # get_all pages 100 at a time and must stop at the end.
    with database.unit_of_work() as session:
        for i in range(130):
            records.create_record(session, CONTACTS, {"email": f"bulk{i}@example.org"})
    everyone = client.crm.contacts.get_all()
    assert len(everyone) == 4 + 130
    assert len({c.id for c in everyone}) == len(everyone)
    for c in everyone:
        assert_record(c)
    limited = client.crm.contacts.get_all(limit=7, properties=["email"])
    assert [c.id for c in limited] == [c.id for c in everyone[:7]]


def test_companies_and_deals_basic_api(live_server: str, token: str) -> None:
    client = sdk(live_server, token)
    company_api = client.crm.companies.basic_api

    check_basic_crud(
        company_api,
        companies,
        create={"name": "Acme", "domain": "acme.example", "numberofemployees": "250"},
        update={"name": "Acme Corp", "annualrevenue": "1500000.5"},
        history_of="name",
        extra=lambda i: {"name": f"Company {i}", "domain": f"company{i}.example"},
    )
    acme = company_api.get_by_id("ACME.example", id_property="domain", properties=["name"])
    assert acme.properties["name"] == "Acme Corp"
    www = company_api.create(
        companies.SimplePublicObjectInputForCreate(
            properties={"name": "Initech", "domain": "https://www.Initech.example/about"}
        )
    )
    assert www.properties["domain"] == "initech.example"
    assert company_api.get_by_id("initech.example", id_property="domain").id == www.id

    deal_api = client.crm.deals.basic_api
    check_basic_crud(
        deal_api,
        deals,
        create={
            "dealname": "Big deal",
            "pipeline": "default",
            "dealstage": "qualifiedtobuy",
            "amount": "1500.25",
            "closedate": "2025-03-01T00:00:00.000Z",
        },
        update={"dealstage": "presentationscheduled", "amount": "1750"},
        history_of="dealstage",
        extra=lambda i: {"dealname": f"Deal {i}", "amount": str(100 * (i + 1))},
    )
    derived = ["dealstage", "pipeline", "hs_deal_stage_probability", "hs_is_closed"]
    first = deal_api.get_page(limit=1, properties=derived).results[0]
    assert first.properties["dealstage"] == "presentationscheduled"
    assert Decimal(first.properties["hs_deal_stage_probability"]) == Decimal("0.6")
    assert first.properties["hs_is_closed"] == "false"
    # A deal created without a stage lands in the first stage of the default pipeline.
    defaulted = deal_api.get_page(limit=2, properties=derived).results[1]
    assert defaulted.properties["pipeline"] == "default"
    assert defaulted.properties["dealstage"] == "appointmentscheduled"
    assert Decimal(defaulted.properties["hs_deal_stage_probability"]) == Decimal("0.2")

    won = deal_api.update(
        first.id,
        deals.SimplePublicObjectInput(properties={"dealstage": "closedwon"}),
    )
    assert won.properties["dealstage"] == "closedwon"
    again = deal_api.get_by_id(
        first.id, properties=[*derived, "hs_is_closed_won", "hs_is_closed_lost", "amount"]
    )
    assert Decimal(again.properties["hs_deal_stage_probability"]) == Decimal("1")
    assert again.properties["hs_is_closed"] == "true"
    assert again.properties["hs_is_closed_won"] == "true"
    assert again.properties["hs_is_closed_lost"] == "false"
    assert Decimal(again.properties["amount"]) == Decimal("1750")


# --- objects: engagements -----------------------------------------------------------------


@dataclass(frozen=True)
class Engagement:
    name: str
    module: Any
    create: dict[str, str]
    update: dict[str, str]
    history_of: str


WHEN = "2024-05-01T09:30:00.000Z"
ENGAGEMENTS = [
    Engagement(
        "notes",
        notes,
        {"hs_timestamp": WHEN, "hs_note_body": "Asked for a quote"},
        {"hs_note_body": "Asked for a quote, twice"},
        "hs_note_body",
    ),
    Engagement(
        "calls",
        calls,
        {
            "hs_timestamp": WHEN,
            "hs_call_title": "Discovery call",
            "hs_call_body": "Talked budgets",
            "hs_call_direction": "OUTBOUND",
            "hs_call_duration": "90000",
            "hs_call_disposition": "f240bbac-87c9-4f6e-bf70-924b57d47db7",
        },
        {"hs_call_status": "COMPLETED", "hs_call_duration": "120000"},
        "hs_call_duration",
    ),
    Engagement(
        "tasks",
        tasks,
        {
            "hs_timestamp": WHEN,
            "hs_task_subject": "Send proposal",
            "hs_task_status": "NOT_STARTED",
            "hs_task_priority": "HIGH",
            "hs_task_type": "EMAIL",
        },
        {"hs_task_status": "COMPLETED"},
        "hs_task_status",
    ),
    Engagement(
        "meetings",
        meetings,
        {
            "hs_timestamp": WHEN,
            "hs_meeting_title": "Demo",
            "hs_meeting_start_time": "2024-05-02T10:00:00.000Z",
            "hs_meeting_end_time": "2024-05-02T10:45:00.000Z",
            "hs_meeting_outcome": "SCHEDULED",
        },
        {"hs_meeting_outcome": "COMPLETED"},
        "hs_meeting_outcome",
    ),
    Engagement(
        "emails",
        emails,
        {
            "hs_timestamp": WHEN,
            "hs_email_subject": "Your quote",
            "hs_email_text": "Please find it attached.",
            "hs_email_direction": "EMAIL",
            "hs_email_status": "SENT",
        },
        {"hs_email_status": "BOUNCED"},
        "hs_email_status",
    ),
]


def test_engagements_basic_api(live_server: str, token: str) -> None:
    client = sdk(live_server, token)
    for kind in ENGAGEMENTS:
        api = getattr(client.crm.objects, kind.name).basic_api
        check_basic_crud(
            api,
            kind.module,
            create=kind.create,
            update=kind.update,
            history_of=kind.history_of,
            extra_count=2,
        )
        first = api.get_page(limit=1).results[0]
        assert first.properties["hs_timestamp"] == WHEN
        assert_utc(datetime.fromisoformat(first.properties["hs_createdate"]))
        with pytest.raises(Exception) as excinfo:
            api.create(kind.module.SimplePublicObjectInputForCreate(properties={}))
        body = api_error(excinfo, 400)
        assert body["category"] == "VALIDATION_ERROR"
        assert "hs_timestamp" in body["message"], kind.name


# --- properties and property groups ---------------------------------------------------------


CUSTOM = [
    # name, type, fieldType, value written, value read back
    ("rl_text", "string", "text", "hello", "hello"),
    ("rl_number", "number", "number", "42.50", "42.5"),
    ("rl_date", "date", "date", "2024-05-01", "2024-05-01"),
    ("rl_datetime", "datetime", "date", "2024-05-01T12:34:56Z", "2024-05-01T12:34:56.000Z"),
    ("rl_tier", "enumeration", "select", "gold", "gold"),
    ("rl_flag", "bool", "booleancheckbox", "true", "true"),
]


def test_properties_and_groups(live_server: str, token: str) -> None:
    client = sdk(live_server, token)
    core = client.crm.properties.core_api
    groups = client.crm.properties.groups_api

    listed = core.get_all("contacts")
    by_name = {p.name: p for p in listed.results}
    assert {"email", "firstname", "lifecyclestage", "hs_object_id"} <= set(by_name)
    email = by_name["email"]
    assert (email.type, email.field_type, email.group_name) == (
        "string",
        "text",
        "contactinformation",
    )
    assert email.options == []
    assert email.has_unique_value is True
    stages = [o.value for o in by_name["lifecyclestage"].options]
    assert stages[:3] == ["subscriber", "lead", "marketingqualifiedlead"]
    assert all(isinstance(o.display_order, int) for o in by_name["lifecyclestage"].options)
    one = core.get_by_name("contacts", "lifecyclestage")
    assert one.type == "enumeration" and one.label == "Lifecycle Stage"
    assert one.hubspot_defined is True
    assert_utc(one.created_at)
    assert core.get_by_name("0-1", "email").name == "email"
    assert {p.name for p in core.get_all("deals").results} >= {"dealstage", "amount", "pipeline"}

    # groups: list, create (201), read, update, archive (204)
    names = [g.name for g in groups.get_all("contacts").results]
    assert "contactinformation" in names
    group, status, _ = groups.create_with_http_info(
        "contacts",
        properties.PropertyGroupCreate(name="rl_loyalty", label="Loyalty", display_order=5),
    )
    assert status == 201
    assert (group.name, group.label, group.display_order, group.archived) == (
        "rl_loyalty",
        "Loyalty",
        5,
        False,
    )
    assert groups.get_by_name("contacts", "rl_loyalty").label == "Loyalty"
    renamed = groups.update(
        "contacts", "rl_loyalty", properties.PropertyGroupUpdate(label="Loyalty programme")
    )
    assert renamed.label == "Loyalty programme"
    assert renamed.display_order == 5

    # one custom property of each type
    for name, type_, field_type, _, _ in CUSTOM:
        options = None
        if type_ == "enumeration":
            options = [
                properties.OptionInput(label="Gold", value="gold", hidden=False, display_order=0),
                properties.OptionInput(
                    label="Silver", value="silver", hidden=False, display_order=1
                ),
            ]
        made, status, _ = core.create_with_http_info(
            "contacts",
            properties.PropertyCreate(
                name=name,
                label=name.replace("_", " ").title(),
                type=type_,
                field_type=field_type,
                group_name="rl_loyalty",
                description=f"A {type_} property",
                options=options,
            ),
        )
        assert status == 201, name
        assert (made.name, made.type, made.field_type, made.group_name) == (
            name,
            type_,
            field_type,
            "rl_loyalty",
        )
        assert made.description == f"A {type_} property"
        assert made.hubspot_defined in (False, None)
        assert_utc(made.created_at)
        if type_ == "enumeration":
            assert [(o.label, o.value, o.hidden, o.display_order) for o in made.options] == [
                ("Gold", "gold", False, 0),
                ("Silver", "silver", False, 1),
            ]
        elif type_ == "bool":
            assert {o.value for o in made.options} == {"true", "false"}
        else:
            assert made.options == []
        fetched = core.get_by_name("contacts", name)
        assert (fetched.name, fetched.type) == (name, type_)

    # values of every type round-trip as strings
    contact_api = client.crm.contacts.basic_api
    written = {name: value for name, _, _, value, _ in CUSTOM}
    expected = {name: read for name, _, _, _, read in CUSTOM}
    contact = contact_api.create(
        contacts.SimplePublicObjectInputForCreate(
            properties={"email": "custom@example.com", **written}
        )
    )
    assert {k: contact.properties[k] for k in expected} == expected
    again = contact_api.get_by_id(contact.id, properties=list(expected))
    assert {k: again.properties[k] for k in expected} == expected

    with pytest.raises(Exception) as excinfo:
        contact_api.update(
            contact.id, contacts.SimplePublicObjectInput(properties={"rl_tier": "platinum"})
        )
    body = api_error(excinfo, 400)
    assert "rl_tier" in body["message"]
    assert body["errors"][0]["context"]["propertyName"] == ["rl_tier"]

    # update: label and options
    updated = core.update(
        "contacts",
        "rl_tier",
        properties.PropertyUpdate(
            label="Loyalty tier",
            options=[
                properties.OptionInput(label="Gold", value="gold", hidden=False, display_order=0),
                properties.OptionInput(
                    label="Silver", value="silver", hidden=False, display_order=1
                ),
                properties.OptionInput(
                    label="Platinum", value="platinum", hidden=False, display_order=2
                ),
            ],
        ),
    )
    assert updated.label == "Loyalty tier"
    assert [o.value for o in updated.options] == ["gold", "silver", "platinum"]
    assert_utc(updated.updated_at)
    assert (
        contact_api.update(
            contact.id, contacts.SimplePublicObjectInput(properties={"rl_tier": "platinum"})
        ).properties["rl_tier"]
        == "platinum"
    )

    # archive: 204, then 404 by name, listed with archived=True
    for name, *_ in CUSTOM:
        _, status, _ = core.archive_with_http_info("contacts", name)
        assert status == 204
    with pytest.raises(Exception) as excinfo:
        core.get_by_name("contacts", "rl_text")
    api_error(excinfo, 404)
    assert "rl_text" not in {p.name for p in core.get_all("contacts").results}
    archived = {p.name: p for p in core.get_all("contacts", archived=True).results}
    assert set(archived) == {name for name, *_ in CUSTOM}
    assert archived["rl_text"].archived is True
    assert_utc(archived["rl_text"].archived_at)
    gone = core.get_by_name("contacts", "rl_tier", archived=True)
    assert (gone.name, gone.archived, gone.label) == ("rl_tier", True, "Loyalty tier")
    with pytest.raises(Exception) as excinfo:
        core.get_by_name("contacts", "email", archived=True)
    api_error(excinfo, 404)

    _, status, _ = groups.archive_with_http_info("contacts", "rl_loyalty")
    assert status == 204
    with pytest.raises(Exception) as excinfo:
        groups.get_by_name("contacts", "rl_loyalty")
    assert api_error(excinfo, 404)["category"] == "OBJECT_NOT_FOUND"
    assert "rl_loyalty" not in [g.name for g in groups.get_all("contacts").results]


# --- pipelines and stages ------------------------------------------------------------------


def assert_stage(stage: Any) -> None:
    assert isinstance(stage.id, str) and stage.id
    assert isinstance(stage.label, str) and isinstance(stage.display_order, int)
    assert stage.write_permissions == "CRM_PERMISSIONS_ENFORCEMENT"
    assert_utc(stage.created_at)
    assert_utc(stage.updated_at)
    assert stage.metadata["isClosed"] in ("true", "false")
    assert 0 <= Decimal(stage.metadata["probability"]) <= 1
    assert all(isinstance(v, str) for v in stage.metadata.values())


def test_pipelines_and_stages(live_server: str, token: str) -> None:
    client = sdk(live_server, token)
    pipes = client.crm.pipelines.pipelines_api
    stages_api = client.crm.pipelines.pipeline_stages_api

    every = pipes.get_all("deals").results
    assert [p.id for p in every] == ["default"]
    default = pipes.get_by_id("deals", "default")
    assert default.label == "Sales Pipeline"
    assert default.archived is False
    assert_utc(default.created_at)
    for s in default.stages:
        assert_stage(s)
    assert [(s.id, s.metadata["probability"], s.metadata["isClosed"]) for s in default.stages] == [
        ("appointmentscheduled", "0.2", "false"),
        ("qualifiedtobuy", "0.4", "false"),
        ("presentationscheduled", "0.6", "false"),
        ("decisionmakerboughtin", "0.8", "false"),
        ("contractsent", "0.9", "false"),
        ("closedwon", "1.0", "true"),
        ("closedlost", "0.0", "true"),
    ]
    assert pipes.get_by_id("0-3", "default").id == "default"

    created, status, _ = pipes.create_with_http_info(
        "deals",
        pipelines.PipelineInput(
            label="Renewals",
            display_order=1,
            stages=[
                pipelines.PipelineStageInput(
                    label="Up for renewal",
                    display_order=0,
                    metadata={"probability": "0.5", "isClosed": "false"},
                ),
                pipelines.PipelineStageInput(
                    label="Renewed",
                    display_order=1,
                    metadata={"probability": "1.0", "isClosed": "true"},
                ),
                pipelines.PipelineStageInput(
                    label="Churned",
                    display_order=2,
                    metadata={"probability": "0.0", "isClosed": "true"},
                ),
            ],
        ),
    )
    assert status == 201
    assert isinstance(created.id, str) and created.id != "default"
    assert (created.label, created.display_order, created.archived) == ("Renewals", 1, False)
    assert [s.label for s in created.stages] == ["Up for renewal", "Renewed", "Churned"]
    assert [s.metadata["probability"] for s in created.stages] == ["0.5", "1.0", "0.0"]
    for s in created.stages:
        assert_stage(s)
    assert {p.id for p in pipes.get_all("deals").results} == {"default", created.id}

    patched = pipes.update(
        "deals", created.id, pipelines.PipelinePatchInput(label="Renewals 2025", display_order=2)
    )
    assert (patched.id, patched.label, patched.display_order) == (created.id, "Renewals 2025", 2)
    assert pipes.get_by_id("deals", created.id).label == "Renewals 2025"

    # stages of the new pipeline
    listed = stages_api.get_all("deals", created.id).results
    assert [s.id for s in listed] == [s.id for s in created.stages]
    stage, status, _ = stages_api.create_with_http_info(
        "deals",
        created.id,
        pipelines.PipelineStageInput(
            label="Negotiating", display_order=3, metadata={"probability": "0.7"}
        ),
    )
    assert status == 201
    assert_stage(stage)
    assert (stage.label, stage.metadata) == (
        "Negotiating",
        {"isClosed": "false", "probability": "0.7", "forecastCategory": "BEST_CASE"},
    )
    got = stages_api.get_by_id("deals", created.id, stage.id)
    assert (got.id, got.label) == (stage.id, "Negotiating")
    changed = stages_api.update(
        "deals",
        created.id,
        stage.id,
        pipelines.PipelineStagePatchInput(label="Negotiation", metadata={"probability": "0.8"}),
    )
    assert changed.label == "Negotiation"
    assert changed.metadata["probability"] == "0.8"
    assert changed.metadata["isClosed"] == "false"

    # a deal may use the new pipeline's stages, but not another pipeline's
    deal_api = client.crm.deals.basic_api
    deal = deal_api.create(
        deals.SimplePublicObjectInputForCreate(
            properties={"dealname": "Renewal", "pipeline": created.id, "dealstage": stage.id}
        )
    )
    probability = deal_api.get_by_id(deal.id, properties=["hs_deal_stage_probability"])
    assert Decimal(probability.properties["hs_deal_stage_probability"]) == Decimal("0.8")
    with pytest.raises(Exception) as excinfo:
        stages_api.archive("deals", created.id, stage.id)
    assert api_error(excinfo, 400)["category"] == "VALIDATION_ERROR"
    deal_api.update(
        deal.id, deals.SimplePublicObjectInput(properties={"dealstage": created.stages[1].id})
    )

    _, status, _ = stages_api.archive_with_http_info("deals", created.id, stage.id)
    assert status == 204
    with pytest.raises(Exception) as excinfo:
        stages_api.get_by_id("deals", created.id, stage.id)
    api_error(excinfo, 404)
    assert stage.id not in [s.id for s in stages_api.get_all("deals", created.id).results]

    deal_api.archive(deal.id)
    _, status, _ = pipes.archive_with_http_info("deals", created.id)
    assert status == 204
    with pytest.raises(Exception) as excinfo:
        pipes.get_by_id("deals", created.id)
    assert api_error(excinfo, 404)["category"] == "OBJECT_NOT_FOUND"
    assert [p.id for p in pipes.get_all("deals").results] == ["default"]


# --- owners ------------------------------------------------------------------------------


def test_owners(live_server: str, token: str, database: Database) -> None:
    with database.unit_of_work() as session:
        people = [
            auth_service.create_user(
                session, email="rep@example.com", first_name="Rita", last_name="Rep", team="East"
            ),
            auth_service.create_user(
                session, email="boss@example.com", first_name="Bo", last_name="Boss"
            ),
            auth_service.create_user(session, email="inbound@example.com", owner_type="QUEUE"),
        ]
        ids = [u.id for u in people]

    client = sdk(live_server, token)
    api = client.crm.owners.owners_api
    page = api.get_page()
    assert page.paging is None
    assert [o.id for o in page.results] == [str(i) for i in ids]
    for o in page.results:
        assert isinstance(o.id, str)
        assert isinstance(o.user_id, int)
        assert o.type in ("PERSON", "QUEUE")
        assert o.archived is False
        assert_utc(o.created_at)
        assert_utc(o.updated_at)
    rita = page.results[0]
    assert (rita.email, rita.first_name, rita.last_name, rita.type) == (
        "rep@example.com",
        "Rita",
        "Rep",
        "PERSON",
    )
    assert [(t.name, t.primary) for t in rita.teams] == [("East", True)]
    assert isinstance(rita.teams[0].id, str)
    assert page.results[2].type == "QUEUE"

    every, pages = read_every_page(api, limit=1)
    assert [o.id for o in every] == [str(i) for i in ids]
    assert pages == 3
    assert [o.id for o in api.get_page(email="boss@example.com").results] == [str(ids[1])]

    one = api.get_by_id(str(ids[1]))
    assert (one.id, one.email, one.user_id) == (str(ids[1]), "boss@example.com", ids[1])
    assert api.get_by_id(ids[0], id_property="userId").email == "rep@example.com"
    with pytest.raises(Exception) as excinfo:
        api.get_by_id("987654")
    api_error(excinfo, 404)

    # owners are what hubspot_owner_id points at
    contact_api = client.crm.contacts.basic_api
    assigned = contact_api.create(
        contacts.SimplePublicObjectInputForCreate(
            properties={"email": "owned@example.com", "hubspot_owner_id": one.id}
        )
    )
    assert assigned.properties["hubspot_owner_id"] == one.id
    with pytest.raises(Exception) as excinfo:
        contact_api.create(
            contacts.SimplePublicObjectInputForCreate(
                properties={"email": "orphan@example.com", "hubspot_owner_id": "987654"}
            )
        )
    assert "hubspot_owner_id" in api_error(excinfo, 400)["message"]


# --- errors ------------------------------------------------------------------------------


def test_errors_in_hubspot_shape(live_server: str, token: str) -> None:
    bad = sdk(live_server, "pat-rl1-not-a-real-token")
    with pytest.raises(contacts.ApiException) as excinfo:
        bad.crm.contacts.basic_api.get_page()
    assert api_error(excinfo, 401)["category"] == "INVALID_AUTHENTICATION"
    with pytest.raises(pipelines.ApiException) as excinfo:
        bad.crm.pipelines.pipelines_api.get_all("deals")
    api_error(excinfo, 401)
    with pytest.raises(owners.ApiException) as excinfo:
        bad.crm.owners.owners_api.get_page()
    api_error(excinfo, 401)

    client = sdk(live_server, token)
    contact_api = client.crm.contacts.basic_api

    with pytest.raises(contacts.ApiException) as excinfo:
        contact_api.get_by_id("999999")
    assert api_error(excinfo, 404)["category"] == "OBJECT_NOT_FOUND"
    with pytest.raises(contacts.ApiException) as excinfo:
        contact_api.get_by_id("nobody@example.com", id_property="email")
    api_error(excinfo, 404)
    with pytest.raises(contacts.ApiException) as excinfo:
        contact_api.update(
            "999999", contacts.SimplePublicObjectInput(properties={"firstname": "X"})
        )
    api_error(excinfo, 404)
    with pytest.raises(contacts.ApiException) as excinfo:
        contact_api.archive("999999")
    api_error(excinfo, 404)
    with pytest.raises(properties.ApiException) as excinfo:
        client.crm.properties.core_api.get_by_name("contacts", "no_such_property")
    api_error(excinfo, 404)
    with pytest.raises(pipelines.ApiException) as excinfo:
        client.crm.pipelines.pipelines_api.get_by_id("deals", "no-such-pipeline")
    api_error(excinfo, 404)

    # invalid property values: 400 naming each property
    with pytest.raises(contacts.ApiException) as excinfo:
        contact_api.create(
            contacts.SimplePublicObjectInputForCreate(
                properties={"email": "ok@example.com", "lifecyclestage": "champion"}
            )
        )
    body = api_error(excinfo, 400)
    assert body["category"] == "VALIDATION_ERROR"
    assert "lifecyclestage" in body["message"]
    assert [e["context"]["propertyName"] for e in body["errors"]] == [["lifecyclestage"]]
    with pytest.raises(contacts.ApiException) as excinfo:
        contact_api.create(
            contacts.SimplePublicObjectInputForCreate(
                properties={"email": "not-an-email", "no_such_prop": "x"}
            )
        )
    body = api_error(excinfo, 400)
    named = {e["context"]["propertyName"][0] for e in body["errors"]}
    assert named == {"email", "no_such_prop"}
    with pytest.raises(companies.ApiException) as excinfo:
        client.crm.companies.basic_api.create(
            companies.SimplePublicObjectInputForCreate(
                properties={"name": "X", "numberofemployees": "lots"}
            )
        )
    assert "numberofemployees" in api_error(excinfo, 400)["message"]

    # a stage that is not in the deal's pipeline
    deal_api = client.crm.deals.basic_api
    with pytest.raises(deals.ApiException) as excinfo:
        deal_api.create(
            deals.SimplePublicObjectInputForCreate(
                properties={"dealname": "D", "pipeline": "default", "dealstage": "nowhere"}
            )
        )
    body = api_error(excinfo, 400)
    assert body["category"] == "VALIDATION_ERROR"
    assert "dealstage" in body["message"]
    assert body["errors"][0]["context"]["propertyName"] == ["dealstage"]
    deal = deal_api.create(deals.SimplePublicObjectInputForCreate(properties={"dealname": "D"}))
    with pytest.raises(deals.ApiException) as excinfo:
        deal_api.update(deal.id, deals.SimplePublicObjectInput(properties={"pipeline": "nope"}))
    assert "pipeline" in api_error(excinfo, 400)["message"]

    # duplicate email: 409, also when it differs only in case and spacing
    first = contact_api.create(
        contacts.SimplePublicObjectInputForCreate(properties={"email": "dup@example.com"})
    )
    with pytest.raises(contacts.ApiException) as excinfo:
        contact_api.create(
            contacts.SimplePublicObjectInputForCreate(properties={"email": " DUP@example.com"})
        )
    body = api_error(excinfo, 409)
    assert body["category"] == "CONFLICT"
    assert first.id in body["message"]
    other = contact_api.create(
        contacts.SimplePublicObjectInputForCreate(properties={"email": "other@example.com"})
    )
    with pytest.raises(contacts.ApiException) as excinfo:
        contact_api.update(
            other.id, contacts.SimplePublicObjectInput(properties={"email": "dup@example.com"})
        )
    api_error(excinfo, 409)
