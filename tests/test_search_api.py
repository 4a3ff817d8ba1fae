"""POST /crm/v3/objects/{type}/search: filters per property type, query, sorts, paging, limits
and errors, against the real database on every engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, update
from starlette.testclient import TestClient

from revline.crm.associations.service import AssociationSpec
from revline.crm.object_types import (
    COMPANIES,
    CONTACTS,
    DEALS,
    ObjectType,
    access_object_type,
)
from revline.crm.properties import service as properties
from revline.crm.records import service as records
from revline.kit.db import Database
from revline.models import Association, Contact

ERROR_KEYS = {"status", "message", "correlationId", "category", "errors", "context", "links"}
ENGAGEMENTS = ["calls", "emails", "meetings", "notes", "tasks"]


def epoch_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def search(client: TestClient, object_type: str, **body: Any) -> dict[str, Any]:
    resp = client.post(f"/crm/v3/objects/{object_type}/search", json=body)
    assert resp.status_code == 200, resp.text
    out: dict[str, Any] = resp.json()
    return out


def ids(out: dict[str, Any]) -> list[int]:
    return [int(r["id"]) for r in out["results"]]


def one(prop: str, op: str, value: Any = None, **extra: Any) -> list[dict[str, Any]]:
    """``filterGroups`` holding a single filter."""
    f: dict[str, Any] = {"propertyName": prop, "operator": op, **extra}
    if value is not None:
        f["value"] = value
    return [{"filters": [f]}]


def matching(
    client: TestClient, object_type: str, prop: str, op: str, value: Any = None, **extra: Any
) -> set[int]:
    out = search(client, object_type, filterGroups=one(prop, op, value, **extra), limit=200)
    assert out["total"] == len(out["results"])
    return set(ids(out))


def assert_400(resp: Any, *codes: str) -> dict[str, Any]:
    assert resp.status_code == 400, resp.text
    body: dict[str, Any] = resp.json()
    assert set(body) >= ERROR_KEYS and body["category"] == "VALIDATION_ERROR", body
    found = {e.get("code") for e in body["errors"]}
    for code in codes:
        assert code in found, (code, body)
    return body


def _prop(session: Any, ot: ObjectType, name: str, type_: str, field: str, **kw: Any) -> None:
    properties.create_property(
        session,
        ot,
        name=name,
        label=name.title(),
        type=type_,
        field_type=field,
        group_name=ot.group,
        **kw,
    )


def seed_contacts(database: Database) -> dict[str, int]:
    """Five people with built-in and custom values of every type; some values left empty."""
    opts = [{"label": v.title(), "value": v} for v in ("gold", "silver", "bronze")]
    with database.unit_of_work() as s:
        _prop(s, CONTACTS, "score", "number", "number")
        _prop(s, CONTACTS, "signup", "date", "date")
        _prop(s, CONTACTS, "last_seen", "datetime", "date")
        _prop(
            s,
            CONTACTS,
            "vip",
            "bool",
            "booleancheckbox",
            options=[{"label": "Yes", "value": "true"}, {"label": "No", "value": "false"}],
        )
        _prop(s, CONTACTS, "tier", "enumeration", "select", options=opts)
        _prop(
            s,
            CONTACTS,
            "interests",
            "enumeration",
            "checkbox",
            options=[{"label": v, "value": v} for v in ("ai", "math", "ships")],
        )
        _prop(s, CONTACTS, "nickname", "string", "text")
    people = {
        "ada": {
            "firstname": "Ada",
            "lastname": "Lovelace",
            "email": "ada@analytical.org",
            "phone": "+44 20 7946 0001",
            "company": "Analytical Engines",
            "lifecyclestage": "lead",
            "createdate": "2024-01-10T09:00:00.000Z",
            "score": "10.5",
            "signup": "2024-01-15",
            "last_seen": "2024-03-01T10:00:00.000Z",
            "vip": "true",
            "tier": "gold",
            "interests": "ai;math",
            "nickname": "The Enchantress of Numbers",
        },
        "grace": {
            "firstname": "Grace",
            "lastname": "Hopper",
            "email": "grace@navy.mil",
            "company": "US Navy",
            "lifecyclestage": "customer",
            "createdate": "2024-02-10T09:00:00.000Z",
            "score": 99,
            "signup": "2024-02-20",
            "last_seen": "2024-04-01T10:00:00.000Z",
            "vip": False,
            "tier": "silver",
            "interests": "ships",
            "nickname": "Amazing Grace",
        },
        "alan": {
            "firstname": "Alan",
            "lastname": "Turing",
            "email": "alan@bletchley.uk",
            "lifecyclestage": "lead",
            "createdate": "2024-03-10T09:00:00.000Z",
            "score": "-3",
            "tier": "bronze",
            "interests": "math",
        },
        "barbara": {
            "firstname": "Barbara",
            "lastname": "Liskov",
            "email": "barbara@mit.edu",
            "createdate": "2024-04-10T09:00:00.000Z",
        },
        "king": {
            "firstname": "ADA",
            "lastname": "King",
            "email": "king@example.com",
            "createdate": "2024-05-10T09:00:00.000Z",
            "score": "10.50",
        },
    }
    out: dict[str, int] = {}
    with database.unit_of_work() as s:
        for key, props in people.items():
            out[key] = records.create_record(s, CONTACTS, props).id
    return out


@pytest.fixture
def people(client: TestClient, database: Database) -> dict[str, int]:
    return seed_contacts(database)


# --- operators per property type ----------------------------------------------------------


def test_string_operators(client: TestClient, people: dict[str, int]) -> None:
    p = people
    everyone = set(p.values())
    assert matching(client, "contacts", "firstname", "EQ", "ada") == {p["ada"], p["king"]}
    assert matching(client, "contacts", "email", "EQ", "GRACE@NAVY.MIL") == {p["grace"]}
    assert matching(client, "contacts", "email", "EQ", "grace@navy") == set()
    # NEQ, like HubSpot, also matches records without a value.
    assert matching(client, "contacts", "company", "NEQ", "us navy") == everyone - {p["grace"]}
    assert matching(client, "contacts", "lastname", "IN", values=["TURING", "hopper"]) == {
        p["alan"],
        p["grace"],
    }
    assert matching(client, "contacts", "lastname", "NOT_IN", values=["Turing", "Hopper"]) == {
        p["ada"],
        p["barbara"],
        p["king"],
    }
    assert matching(client, "contacts", "company", "HAS_PROPERTY") == {p["ada"], p["grace"]}
    assert matching(client, "contacts", "company", "NOT_HAS_PROPERTY") == {
        p["alan"],
        p["barbara"],
        p["king"],
    }
    assert matching(client, "contacts", "lastname", "LT", "K") == {p["grace"]}
    assert matching(client, "contacts", "lastname", "BETWEEN", "K", highValue="M") == {
        p["king"],
        p["barbara"],
        p["ada"],
    }
    # Tokens are whole words, case-insensitive; * matches any characters.
    assert matching(client, "contacts", "company", "CONTAINS_TOKEN", "engines") == {p["ada"]}
    assert matching(client, "contacts", "company", "CONTAINS_TOKEN", "engine") == set()
    assert matching(client, "contacts", "company", "CONTAINS_TOKEN", "engin*") == {p["ada"]}
    assert matching(client, "contacts", "email", "CONTAINS_TOKEN", "*@navy.mil") == {p["grace"]}
    assert matching(client, "contacts", "email", "NOT_CONTAINS_TOKEN", "*.org") == everyone - {
        p["ada"]
    }
    # The same operators on a custom string property.
    assert matching(client, "contacts", "nickname", "EQ", "amazing grace") == {p["grace"]}
    assert matching(client, "contacts", "nickname", "CONTAINS_TOKEN", "enchant*") == {p["ada"]}
    assert matching(client, "contacts", "nickname", "NOT_CONTAINS_TOKEN", "grace") == everyone - {
        p["grace"]
    }
    assert matching(client, "contacts", "nickname", "HAS_PROPERTY") == {p["ada"], p["grace"]}
    # LIKE wildcards in a value are literal text, not patterns.
    assert matching(client, "contacts", "email", "EQ", "%") == set()
    assert matching(client, "contacts", "email", "CONTAINS_TOKEN", "ada_analytical.org") == set()


def test_number_operators(client: TestClient, people: dict[str, int]) -> None:
    p = people
    assert matching(client, "contacts", "score", "EQ", "10.5") == {p["ada"], p["king"]}
    assert matching(client, "contacts", "score", "EQ", 10.50) == {p["ada"], p["king"]}
    assert matching(client, "contacts", "score", "NEQ", "10.5") == {
        p["grace"],
        p["alan"],
        p["barbara"],
    }
    assert matching(client, "contacts", "score", "LT", "10.5") == {p["alan"]}
    assert matching(client, "contacts", "score", "LTE", "10.5") == {p["alan"], p["ada"], p["king"]}
    assert matching(client, "contacts", "score", "GT", "9") == {p["ada"], p["king"], p["grace"]}
    # Numeric, not text, order: "99" > "100" as text, 99 < 100 as numbers.
    assert matching(client, "contacts", "score", "GTE", "100") == set()
    assert matching(client, "contacts", "score", "BETWEEN", "-3", highValue="10.5") == {
        p["alan"],
        p["ada"],
        p["king"],
    }
    assert matching(client, "contacts", "score", "IN", values=["99", -3]) == {p["grace"], p["alan"]}
    assert matching(client, "contacts", "score", "NOT_IN", values=["99"]) == {
        p["ada"],
        p["alan"],
        p["barbara"],
        p["king"],
    }
    assert matching(client, "contacts", "score", "NOT_HAS_PROPERTY") == {p["barbara"]}
    assert matching(client, "contacts", "hs_object_id", "EQ", str(p["alan"])) == {p["alan"]}
    assert matching(
        client, "contacts", "hs_object_id", "IN", values=[p["ada"], str(p["king"])]
    ) == {
        p["ada"],
        p["king"],
    }
    assert matching(client, "contacts", "hs_object_id", "GT", p["barbara"]) == {p["king"]}


def test_builtin_number_bool_and_datetime_columns(client: TestClient, database: Database) -> None:
    with database.unit_of_work() as s:
        small = records.create_record(
            s, COMPANIES, {"name": "Small", "domain": "small.example", "numberofemployees": "9"}
        ).id
        big = records.create_record(
            s, COMPANIES, {"name": "Big", "domain": "big.example", "numberofemployees": "1200"}
        ).id
        records.create_record(s, COMPANIES, {"name": "Unknown", "domain": "unknown.example"})
        won = records.create_record(
            s,
            DEALS,
            {
                "dealname": "Won",
                "dealstage": "closedwon",
                "amount": "1500.50",
                "closedate": "2024-06-30T00:00:00Z",
            },
        ).id
        open_ = records.create_record(
            s,
            DEALS,
            {"dealname": "Open", "dealstage": "appointmentscheduled", "amount": 200},
        ).id
    assert matching(client, "companies", "numberofemployees", "GT", "100") == {big}
    assert matching(client, "companies", "numberofemployees", "LTE", 9) == {small}
    assert matching(client, "deals", "amount", "EQ", "1500.5") == {won}
    assert matching(client, "deals", "amount", "BETWEEN", 100, highValue="1000") == {open_}
    assert matching(client, "deals", "hs_is_closed_won", "EQ", "true") == {won}
    assert matching(client, "deals", "hs_is_closed", "EQ", False) == {open_}
    assert matching(client, "deals", "closedate", "EQ", epoch_ms("2024-06-30T00:00:00Z")) == {won}
    assert matching(client, "deals", "closedate", "GTE", "2024-06-01") == {won}
    assert matching(client, "deals", "closedate", "NOT_HAS_PROPERTY") == {open_}
    assert matching(client, "deals", "dealstage", "IN", values=["closedwon", "closedlost"]) == {won}


def test_dates_and_datetimes_as_iso_and_epoch_ms(
    client: TestClient, people: dict[str, int]
) -> None:
    p = people
    # Built-in datetime column.
    for value in (
        "2024-03-10T09:00:00.000Z",
        epoch_ms("2024-03-10T09:00:00Z"),
        str(epoch_ms("2024-03-10T09:00:00Z")),
        "2024-03-10T10:00:00+01:00",
    ):
        assert matching(client, "contacts", "createdate", "EQ", value) == {p["alan"]}, value
    assert matching(client, "contacts", "createdate", "LT", "2024-02-10T09:00:00Z") == {p["ada"]}
    assert matching(
        client,
        "contacts",
        "createdate",
        "BETWEEN",
        epoch_ms("2024-02-01T00:00:00Z"),
        highValue="2024-04-10T09:00:00.000Z",
    ) == {p["grace"], p["alan"], p["barbara"]}
    assert matching(client, "contacts", "createdate", "GT", "2024-05-01") == {p["king"]}
    # Custom date (stored as YYYY-MM-DD).
    assert matching(client, "contacts", "signup", "EQ", "2024-01-15") == {p["ada"]}
    assert matching(client, "contacts", "signup", "EQ", epoch_ms("2024-01-15T00:00:00Z")) == {
        p["ada"]
    }
    assert matching(client, "contacts", "signup", "GT", epoch_ms("2024-02-01T00:00:00Z")) == {
        p["grace"]
    }
    assert matching(client, "contacts", "signup", "NOT_HAS_PROPERTY") == {
        p["alan"],
        p["barbara"],
        p["king"],
    }
    # Custom datetime (stored as ISO with milliseconds).
    assert matching(client, "contacts", "last_seen", "EQ", epoch_ms("2024-03-01T10:00:00Z")) == {
        p["ada"]
    }
    assert matching(client, "contacts", "last_seen", "GTE", "2024-03-15") == {p["grace"]}
    assert matching(
        client,
        "contacts",
        "last_seen",
        "BETWEEN",
        "2024-01-01",
        highValue=epoch_ms("2024-12-31T00:00:00Z"),
    ) == {p["ada"], p["grace"]}
    assert matching(client, "contacts", "last_seen", "IN", values=["2024-04-01T10:00:00Z"]) == {
        p["grace"]
    }


def test_enumerations_and_booleans(client: TestClient, people: dict[str, int]) -> None:
    p = people
    everyone = set(p.values())
    assert matching(client, "contacts", "lifecyclestage", "EQ", "lead") == {p["ada"], p["alan"]}
    assert matching(client, "contacts", "lifecyclestage", "IN", values=["customer", "lead"]) == {
        p["ada"],
        p["alan"],
        p["grace"],
    }
    assert matching(client, "contacts", "lifecyclestage", "NEQ", "lead") == everyone - {
        p["ada"],
        p["alan"],
    }
    assert matching(client, "contacts", "lifecyclestage", "NOT_HAS_PROPERTY") == {
        p["barbara"],
        p["king"],
    }
    assert matching(client, "contacts", "tier", "EQ", "gold") == {p["ada"]}
    assert matching(client, "contacts", "tier", "NOT_IN", values=["gold", "silver"]) == {
        p["alan"],
        p["barbara"],
        p["king"],
    }
    assert matching(client, "contacts", "tier", "CONTAINS_TOKEN", "silv*") == {p["grace"]}
    # A multi-select matches when one of its chosen options does.
    assert matching(client, "contacts", "interests", "EQ", "math") == {p["ada"], p["alan"]}
    assert matching(client, "contacts", "interests", "IN", values=["ships", "ai"]) == {
        p["ada"],
        p["grace"],
    }
    assert matching(client, "contacts", "vip", "EQ", "true") == {p["ada"]}
    assert matching(client, "contacts", "vip", "EQ", False) == {p["grace"]}
    assert matching(client, "contacts", "vip", "NEQ", "true") == everyone - {p["ada"]}
    assert matching(client, "contacts", "vip", "HAS_PROPERTY") == {p["ada"], p["grace"]}


def test_or_of_groups_and_of_filters_and_legacy_filters(
    client: TestClient, people: dict[str, int]
) -> None:
    p = people
    lead_with_score = {
        "filters": [
            {"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"},
            {"propertyName": "score", "operator": "GT", "value": "0"},
        ]
    }
    customers = {
        "filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]
    }
    assert set(ids(search(client, "contacts", filterGroups=[lead_with_score]))) == {p["ada"]}
    out = search(client, "contacts", filterGroups=[lead_with_score, customers])
    assert set(ids(out)) == {p["ada"], p["grace"]} and out["total"] == 2
    legacy = search(client, "contacts", filters=lead_with_score["filters"])
    assert set(ids(legacy)) == {p["ada"]}
    # An empty request matches every live record, ordered by id.
    assert ids(search(client, "contacts")) == sorted(p.values())
    assert search(client, "contacts", filterGroups=[])["total"] == 5


def test_query_over_default_searchable_properties(
    client: TestClient, database: Database, people: dict[str, int]
) -> None:
    p = people
    q = lambda text: set(ids(search(client, "contacts", query=text, limit=200)))  # noqa: E731
    assert q("ada") == {p["ada"], p["king"]}
    assert q("LOVELACE") == {p["ada"]}
    assert q("ada lovelace") == {p["ada"]}
    assert q("navy.mil") == {p["grace"]}
    assert q("analytical engines") == {p["ada"]}
    assert q("7946") == {p["ada"]}
    assert q("al") == {p["ada"], p["alan"]}  # under three characters: still a substring match
    assert q("nobody-here") == set()
    assert q("   ") == set(p.values())
    # query and filters combine with AND.
    both = search(client, "contacts", query="ada", filterGroups=one("lastname", "EQ", "king"))
    assert ids(both) == [p["king"]]
    with database.unit_of_work() as s:
        acme = records.create_record(
            s, COMPANIES, {"name": "Acme Rockets", "domain": "acme.example"}
        ).id
        records.create_record(s, COMPANIES, {"name": "Globex", "domain": "globex.example"})
        deal = records.create_record(s, DEALS, {"dealname": "Acme renewal 2025"}).id
        call = records.create_record(
            s,
            access_object_type("calls"),
            {
                "hs_timestamp": "2024-05-01T12:00:00Z",
                "hs_call_title": "Discovery",
                "hs_call_body": "Talked about rockets",
            },
        ).id
        note = records.create_record(
            s,
            access_object_type("notes"),
            {"hs_timestamp": "2024-05-01T12:00:00Z", "hs_note_body": "Rockets again"},
        ).id
        task = records.create_record(
            s,
            access_object_type("tasks"),
            {"hs_timestamp": "2024-05-01T12:00:00Z", "hs_task_subject": "Send rocket quote"},
        ).id
    assert ids(search(client, "companies", query="rocket")) == [acme]
    assert ids(search(client, "companies", query="ACME.EX")) == [acme]
    assert ids(search(client, "deals", query="renewal")) == [deal]
    assert ids(search(client, "calls", query="rockets")) == [call]
    assert ids(search(client, "notes", query="rockets")) == [note]
    assert ids(search(client, "tasks", query="rocket quote")) == [task]
    assert ids(search(client, "meetings", query="rocket")) == []
    # The index follows updates and archiving.
    with database.unit_of_work() as s:
        records.update_record(s, COMPANIES, str(acme), {"name": "Initech"})
    assert ids(search(client, "companies", query="rocket")) == []
    assert ids(search(client, "companies", query="initech")) == [acme]


def test_association_filters_use_live_edges(
    client: TestClient, database: Database, people: dict[str, int]
) -> None:
    p = people
    with database.unit_of_work() as s:
        acme = records.create_record(s, COMPANIES, {"name": "Acme", "domain": "acme.example"}).id
        globex = records.create_record(
            s, COMPANIES, {"name": "Globex", "domain": "globex.example"}
        ).id
        deal = records.create_record(
            s,
            DEALS,
            {"dealname": "Big one"},
            association_specs=[
                AssociationSpec("contacts", p["ada"], 3),
                AssociationSpec("companies", acme, 341),
            ],
            lookup_type=access_object_type,
        ).id
        for person, company in (("ada", acme), ("grace", acme), ("alan", globex)):
            records.create_record(
                s,
                access_object_type("notes"),
                {"hs_timestamp": "2024-05-01T12:00:00Z", "hs_note_body": person},
            )
            from revline.crm.associations import service as associations

            associations.associate(
                s, "contacts", p[person], AssociationSpec("companies", company, 279)
            )
    assert matching(client, "contacts", "associations.company", "EQ", str(acme)) == {
        p["ada"],
        p["grace"],
    }
    assert matching(client, "contacts", "associations.companies", "IN", values=[acme, globex]) == {
        p["ada"],
        p["grace"],
        p["alan"],
    }
    assert matching(client, "deals", "associations.contact", "EQ", p["ada"]) == {deal}
    assert matching(client, "companies", "associations.deal", "EQ", deal) == {acme}
    assert matching(client, "contacts", "associations.deal", "EQ", deal) == {p["ada"]}
    # Archived edges do not count.
    with database.unit_of_work() as s:
        s.execute(
            update(Association)
            .where(Association.from_id == p["grace"], Association.from_type == "contacts")
            .values(archived=True)
        )
        s.execute(
            update(Association)
            .where(Association.to_id == p["grace"], Association.to_type == "contacts")
            .values(archived=True)
        )
    assert matching(client, "contacts", "associations.company", "EQ", acme) == {p["ada"]}
    body = assert_400(
        client.post(
            "/crm/v3/objects/contacts/search",
            json={"filterGroups": one("associations.contact", "EQ", "1")},
        ),
        "INVALID_ASSOCIATION_FILTER",
    )
    assert "associations.contact" in body["message"]
    assert_400(
        client.post(
            "/crm/v3/objects/contacts/search",
            json={"filterGroups": one("associations.company", "GT", "1")},
        ),
        "INVALID_OPERATOR_FOR_TYPE",
    )
    assert_400(
        client.post(
            "/crm/v3/objects/contacts/search",
            json={"filterGroups": one("associations.company", "EQ", "x")},
        ),
        "INVALID_FILTER_VALUE",
    )


def test_archived_and_merged_records_never_match(
    client: TestClient, database: Database, people: dict[str, int]
) -> None:
    p = people
    with database.unit_of_work() as s:
        records.archive_record(s, CONTACTS, str(p["alan"]))
        # What a merge leaves behind: archived, pointing at the survivor.
        s.execute(
            update(Contact)
            .where(Contact.id == p["king"])
            .values(archived=True, merged_into_id=p["ada"])
        )
    out = search(client, "contacts", limit=100)
    assert set(ids(out)) == {p["ada"], p["grace"], p["barbara"]} and out["total"] == 3
    assert matching(client, "contacts", "lastname", "EQ", "turing") == set()
    assert search(client, "contacts", query="king")["total"] == 0


# --- sorting and paging ---------------------------------------------------------------------


def test_sorts_both_directions_with_empty_values(
    client: TestClient, people: dict[str, int]
) -> None:
    p = people
    by = lambda *sorts: ids(search(client, "contacts", sorts=list(sorts)))  # noqa: E731
    ordered = [p[k] for k in ("ada", "grace", "alan", "barbara", "king")]
    assert by("createdate") == ordered
    assert by("-createdate") == ordered[::-1]
    assert by({"propertyName": "createdate", "direction": "DESCENDING"}) == ordered[::-1]
    # Empty values sort as larger than any value: last ascending, first descending;
    # ties keep id order in both directions.
    assert by("score") == [p["alan"], p["ada"], p["king"], p["grace"], p["barbara"]]
    assert by("-score") == [p["barbara"], p["grace"], p["ada"], p["king"], p["alan"]]
    assert by({"propertyName": "lifecyclestage"}) == [
        p["grace"],
        p["ada"],
        p["alan"],
        p["barbara"],
        p["king"],
    ]
    assert by("-lifecyclestage") == [p["barbara"], p["king"], p["ada"], p["alan"], p["grace"]]
    assert by("signup") == [p["ada"], p["grace"], p["alan"], p["barbara"], p["king"]]
    assert by("-hs_object_id") == sorted(p.values(), reverse=True)


def test_paging_is_stable_across_many_pages_with_ties(
    client: TestClient, database: Database
) -> None:
    with database.unit_of_work() as s:
        _prop(s, CONTACTS, "bucket", "number", "number")
        made = [
            records.create_record(
                s, CONTACTS, {"email": f"p{i}@example.com", "bucket": str(i % 4) if i % 5 else None}
            ).id
            for i in range(61)
        ]
    for sort in ("bucket", "-bucket", "hs_object_id"):
        seen: list[int] = []
        after: str | None = None
        pages = 0
        while True:
            body: dict[str, Any] = {"sorts": [sort], "limit": 7, "properties": ["bucket"]}
            if after is not None:
                body["after"] = after
            out = search(client, "contacts", **body)
            assert out["total"] == 61
            seen.extend(ids(out))
            pages += 1
            if "paging" not in out:
                break
            after = out["paging"]["next"]["after"]
            assert isinstance(after, str) and after
        assert pages == 9
        assert sorted(seen) == sorted(made) and len(set(seen)) == 61, sort
    # The last full page also ends paging.
    out = search(client, "contacts", limit=61)
    assert len(out["results"]) == 61 and "paging" not in out
    out = search(client, "contacts", limit=60)
    assert out["paging"]["next"]["after"] == "60"
    assert search(client, "contacts", limit=60, after="60")["results"][0]["id"] == str(made[-1])
    assert search(client, "contacts", limit=0)["total"] == 61
    beyond = search(client, "contacts", after="500")
    assert beyond["results"] == [] and beyond["total"] == 61 and "paging" not in beyond


def test_results_render_requested_or_default_properties(
    client: TestClient, people: dict[str, int]
) -> None:
    out = search(client, "contacts", filterGroups=one("email", "EQ", "ada@analytical.org"))
    record = out["results"][0]
    assert set(record) >= {"id", "properties", "createdAt", "updatedAt", "archived"}
    assert set(record["properties"]) == {
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    }
    out = search(
        client,
        "contacts",
        filterGroups=one("email", "EQ", "ada@analytical.org"),
        properties=["score", "tier", "signup", "nope"],
    )
    assert out["results"][0]["properties"] == {
        "score": "10.5",
        "tier": "gold",
        "signup": "2024-01-15",
    }


@pytest.mark.parametrize("object_type", ["contacts", "companies", "deals", *ENGAGEMENTS])
def test_every_object_type_is_searchable(client: TestClient, object_type: str) -> None:
    props: dict[str, Any] = {"hs_timestamp": "2024-05-01T12:00:00Z"}
    if object_type == "contacts":
        props = {"email": "x@example.com"}
    elif object_type == "companies":
        props = {"name": "X", "domain": "x.example"}
    elif object_type == "deals":
        props = {"dealname": "X"}
    resp = client.post(f"/crm/v3/objects/{object_type}", json={"properties": props})
    assert resp.status_code == 201, resp.text
    made = resp.json()["id"]
    out = search(
        client, object_type, filterGroups=one("hs_object_id", "EQ", made), sorts=["-hs_object_id"]
    )
    assert ids(out) == [int(made)] and out["total"] == 1
    # Engagement types do not see each other's rows.
    other = "notes" if object_type != "notes" else "calls"
    assert search(client, other)["total"] == 0


def test_result_window_is_capped_at_10000(client: TestClient, database: Database) -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    with database.unit_of_work() as s:
        s.execute(
            insert(Contact),
            [
                {
                    "email": f"bulk{i}@example.com",
                    "created_at": now,
                    "updated_at": now,
                    "custom": {},
                }
                for i in range(10_005)
            ],
        )
    out = search(client, "contacts", after=9_990, limit=10)
    assert out["total"] == 10_005 and len(out["results"]) == 10
    assert "paging" not in out  # the next page would start past the cap
    out = search(client, "contacts", after=9_800, limit=200)
    assert out["total"] == 10_005 and "paging" not in out
    out = search(client, "contacts", after=9_700, limit=200)
    assert out["paging"]["next"]["after"] == "9900"
    body = assert_400(
        client.post("/crm/v3/objects/contacts/search", json={"after": "9991", "limit": 10}),
        "RESULT_WINDOW_EXCEEDED",
    )
    assert "10000" in body["message"]
    assert search(client, "contacts", query="bulk1234@")["total"] == 1


# --- invalid requests -------------------------------------------------------------------------


def _f(prop: str, op: str, **kw: Any) -> dict[str, Any]:
    return {"filterGroups": [{"filters": [{"propertyName": prop, "operator": op, **kw}]}]}


INVALID: list[tuple[dict[str, Any] | list[Any], str, str]] = [
    (_f("nope", "EQ", value="1"), "PROPERTY_DOESNT_EXIST", "nope"),
    (_f("email", "WITHIN", value="1"), "INVALID_OPERATOR", "WITHIN"),
    (_f("email", None, value="1"), "INVALID_OPERATOR", "operator"),
    (
        {"filterGroups": [{"filters": [{"operator": "EQ", "value": "x"}]}]},
        "MISSING_PROPERTY_NAME",
        "propertyName",
    ),
    (_f("lifecyclestage", "GT", value="lead"), "INVALID_OPERATOR_FOR_TYPE", "lifecyclestage"),
    (_f("score", "CONTAINS_TOKEN", value="1"), "INVALID_OPERATOR_FOR_TYPE", "score"),
    (_f("createdate", "NOT_CONTAINS_TOKEN", value="1"), "INVALID_OPERATOR_FOR_TYPE", "createdate"),
    (_f("vip", "LT", value="true"), "INVALID_OPERATOR_FOR_TYPE", "vip"),
    (
        _f("hubspot_owner_id", "CONTAINS_TOKEN", value="1"),
        "INVALID_OPERATOR_FOR_TYPE",
        "hubspot_owner_id",
    ),
    (_f("score", "EQ", value="lots"), "INVALID_NUMBER", "score"),
    (_f("score", "GT", value="1e400"), "INVALID_NUMBER", "score"),
    (_f("createdate", "GT", value="yesterday"), "INVALID_DATETIME", "createdate"),
    (_f("createdate", "GT", value="99999999999999999"), "INVALID_DATETIME", "createdate"),
    (_f("signup", "EQ", value="2024-02-30"), "INVALID_DATE", "signup"),
    (_f("vip", "EQ", value="maybe"), "INVALID_BOOLEAN", "vip"),
    (_f("hubspot_owner_id", "EQ", value="bob"), "INVALID_OWNER_ID", "hubspot_owner_id"),
    (_f("email", "EQ"), "MISSING_FILTER_VALUE", "value"),
    (_f("score", "LT", value=""), "MISSING_FILTER_VALUE", "value"),
    (_f("score", "BETWEEN", value="1"), "MISSING_FILTER_VALUE", "highValue"),
    (_f("email", "IN"), "MISSING_FILTER_VALUE", "values"),
    (_f("email", "NOT_IN", values=[]), "MISSING_FILTER_VALUE", "values"),
    (_f("email", "IN", values=[str(i) for i in range(101)]), "TOO_MANY_VALUES", "100"),
    (_f("email", "CONTAINS_TOKEN", value="**"), "MISSING_FILTER_VALUE", "token"),
    (_f("email", "EQ", value={"a": 1}), "INVALID_FILTER_VALUE", "value"),
    (_f("email", "IN", values="a,b"), "INVALID_FILTER_VALUE", "values"),
    (_f("email", "EQ", value="a\x00b"), "INVALID_STRING", "email"),
    ({"filterGroups": [{"filters": []}] * 6}, "TOO_MANY_FILTER_GROUPS", "5"),
    (
        {
            "filterGroups": [
                {"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 7}
            ]
        },
        "TOO_MANY_FILTERS",
        "6",
    ),
    (
        {
            "filterGroups": [
                {"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 5}
            ]
            * 4
        },
        "TOO_MANY_FILTERS",
        "18",
    ),
    ({"filterGroups": {"filters": []}}, "INVALID_FILTER_GROUPS", "filterGroups"),
    ({"filterGroups": [{"nofilters": 1}]}, "INVALID_FILTER_GROUP", "filters"),
    ({"filterGroups": ["x"]}, "INVALID_FILTER_GROUP", "filters"),
    ({"filterGroups": [{"filters": ["x"]}]}, "INVALID_FILTER", "object"),
    ({"filters": "email"}, "INVALID_FILTERS", "filters"),
    ({"limit": 201}, "INVALID_LIMIT", "200"),
    ({"limit": -1}, "INVALID_LIMIT", "limit"),
    ({"limit": "ten"}, "INVALID_LIMIT", "limit"),
    ({"limit": 1.5}, "INVALID_LIMIT", "limit"),
    ({"after": "abc"}, "INVALID_AFTER", "after"),
    ({"after": 10**30}, "INVALID_AFTER", "after"),
    ({"after": 10_000}, "RESULT_WINDOW_EXCEEDED", "10000"),
    ({"sorts": ["nope"]}, "PROPERTY_DOESNT_EXIST", "nope"),
    ({"sorts": ["email", "-createdate"]}, "TOO_MANY_SORTS", "one"),
    (
        {"sorts": [{"propertyName": "email", "direction": "UP"}]},
        "INVALID_SORT_DIRECTION",
        "DESCENDING",
    ),
    ({"sorts": [{"direction": "ASCENDING"}]}, "INVALID_SORT", "sorts[0]"),
    ({"sorts": "email"}, "INVALID_SORTS", "sorts"),
    ({"query": 42}, "INVALID_QUERY", "query"),
    ({"query": "x" * 3001}, "INVALID_QUERY", "3000"),
    ({"query": "a\x00"}, "INVALID_QUERY", "query"),
    ({"properties": [1, 2]}, "INVALID_PROPERTIES", "properties"),
    ([], "INVALID_BODY", "object"),
]


def test_invalid_requests_answer_400_naming_the_problem(
    client: TestClient, people: dict[str, int]
) -> None:
    for body, code, mentioned in INVALID:
        resp = client.post("/crm/v3/objects/contacts/search", json=body)
        err = assert_400(resp, code)
        assert mentioned in err["message"], (body, err["message"])
    # Every problem of a request is reported at once.
    resp = client.post(
        "/crm/v3/objects/contacts/search",
        json={
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": "nope", "operator": "EQ", "value": "1"},
                        {"propertyName": "score", "operator": "EQ", "value": "x"},
                    ]
                }
            ],
        },
    )
    assert_400(resp, "PROPERTY_DOESNT_EXIST", "INVALID_NUMBER")
    assert client.post("/crm/v3/objects/widgets/search", json={}).status_code == 404


def fg(one_filter: bytes) -> bytes:
    return b'{"filterGroups": [{"filters": [' + one_filter + b"]}]}"


GARBAGE: list[bytes] = [
    b"",
    b"null",
    b"{",
    b"[1,2",
    b"\xff\xfe",
    b"42",
    b'"text"',
    b"true",
    b'{"filterGroups": null, "sorts": null, "limit": null, "after": null, "query": null}',
    b'{"filterGroups": [null]}',
    b'{"filterGroups": [{"filters": [null]}]}',
    b'{"filterGroups": [{"filters": [{"propertyName": 5, "operator": 5}]}]}',
    fg(b'{"propertyName": "email", "operator": "EQ", "value": "\\ud800"}'),
    fg(b'{"propertyName": "score", "operator": "GT", "value": 1e308}'),
    fg(b'{"propertyName": "score", "operator": "GT", "value": -0.0}'),
    fg(b'{"propertyName": "createdate", "operator": "GT", "value": -99999999999999}'),
    fg(b'{"propertyName": "hs_object_id", "operator": "EQ", "value": 1e30}'),
    fg(b'{"propertyName": "hs_object_id", "operator": "IN", "values": [99999999999999999999]}'),
    fg(b'{"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "\\\\"}'),
    fg(b'{"propertyName": "email", "operator": "EQ", "value": "\\\\%_"}'),
    fg(b'{"propertyName": "associations.company", "operator": "IN", "values": [null]}'),
    fg(b'{"propertyName": "associations.", "operator": "EQ", "value": 1}'),
    b'{"query": "\\" OR 1=1 -- \\"\\" NEAR(a b) * ^x"}',
    b'{"query": "\\ud800"}',
    b'{"sorts": [null, 1, {"propertyName": null}]}',
    b'{"sorts": ["-"]}',
    b'{"properties": "a,,b"}',
    b'{"limit": true, "after": false}',
    b'{"after": "-1"}',
    b'{"after": "\xc2\xb2"}',
    json.dumps(
        {
            "filterGroups": [
                {"filters": [{"propertyName": "email", "operator": "eq", "value": "x" * 70_000}]}
            ]
        }
    ).encode(),
]


def test_garbage_bodies_never_answer_500(client: TestClient, people: dict[str, int]) -> None:
    for raw in GARBAGE:
        resp = client.post(
            "/crm/v3/objects/contacts/search",
            content=raw,
            headers={"Content-Type": "application/json"},
        )
        assert 200 <= resp.status_code < 500, (raw, resp.status_code, resp.text)
        if resp.status_code >= 400:
            assert resp.json()["status"] == "error"
