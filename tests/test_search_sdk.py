"""HubSpot's own SDK (``hubspot-api-client``) searching a live Revline server over HTTP."""

from __future__ import annotations

from typing import Any

import hubspot
import pytest
from hubspot.crm import companies, contacts, deals

from revline.crm.object_types import COMPANIES, CONTACTS, DEALS
from revline.crm.records import service as records
from revline.kit.db import Database


def seed(database: Database) -> dict[str, int]:
    out: dict[str, int] = {}
    with database.unit_of_work() as s:
        for i in range(25):
            view = records.create_record(
                s,
                CONTACTS,
                {
                    "email": f"person{i}@{'navy.mil' if i % 5 == 0 else 'example.com'}",
                    "firstname": "Grace" if i % 5 == 0 else f"Person{i}",
                    "lifecyclestage": "customer" if i % 2 else "lead",
                },
            )
            out[f"contact{i}"] = view.id
        out["acme"] = records.create_record(
            s,
            COMPANIES,
            {"name": "Acme Rockets", "domain": "acme.example", "numberofemployees": 50},
        ).id
        out["globex"] = records.create_record(
            s, COMPANIES, {"name": "Globex", "domain": "globex.example", "numberofemployees": 900}
        ).id
        out["won"] = records.create_record(
            s, DEALS, {"dealname": "Rocket fuel", "amount": "1500", "dealstage": "closedwon"}
        ).id
        out["open"] = records.create_record(
            s, DEALS, {"dealname": "Launch pad", "amount": "300", "dealstage": "qualifiedtobuy"}
        ).id
    return out


def test_sdk_contact_search_filters_sorts_and_pages(
    live_server: str, token: str, database: Database
) -> None:
    made = seed(database)
    client: Any = hubspot.Client.create(access_token=token, host=live_server)
    api = client.crm.contacts.search_api

    request = contacts.PublicObjectSearchRequest(
        filter_groups=[
            contacts.FilterGroup(
                filters=[
                    contacts.Filter(property_name="lifecyclestage", operator="EQ", value="lead"),
                    contacts.Filter(
                        property_name="email", operator="CONTAINS_TOKEN", value="*@navy.mil"
                    ),
                ]
            )
        ],
        sorts=["-createdate"],
        properties=["email", "lifecyclestage"],
        limit=10,
    )
    page = api.do_search(public_object_search_request=request)
    expected = [made[f"contact{i}"] for i in (20, 10, 0)]
    assert page.total == 3
    assert [int(r.id) for r in page.results] == expected
    assert page.paging is None
    assert page.results[0].properties["lifecyclestage"] == "lead"
    assert page.results[0].created_at.tzinfo is not None

    # Every page, following the SDK's cursor, without gaps or repeats.
    seen: list[int] = []
    after = None
    while True:
        req = contacts.PublicObjectSearchRequest(
            filter_groups=[
                contacts.FilterGroup(
                    filters=[
                        contacts.Filter(
                            property_name="lifecyclestage",
                            operator="IN",
                            values=["lead", "customer"],
                        )
                    ]
                )
            ],
            sorts=["lifecyclestage"],
            limit=4,
            after=after,
        )
        page = api.do_search(public_object_search_request=req)
        assert page.total == 25
        seen.extend(int(r.id) for r in page.results)
        if page.paging is None:
            break
        after = page.paging.next.after
    assert sorted(seen) == sorted(made[f"contact{i}"] for i in range(25))
    assert len(set(seen)) == 25

    found = api.do_search(
        public_object_search_request=contacts.PublicObjectSearchRequest(query="grace", limit=100)
    )
    assert found.total == 5

    with pytest.raises(contacts.ApiException) as excinfo:
        api.do_search(
            public_object_search_request=contacts.PublicObjectSearchRequest(
                filter_groups=[
                    contacts.FilterGroup(
                        filters=[contacts.Filter(property_name="nope", operator="EQ", value="x")]
                    )
                ]
            )
        )
    assert excinfo.value.status == 400
    assert "nope" in excinfo.value.body


def test_sdk_company_and_deal_search(live_server: str, token: str, database: Database) -> None:
    made = seed(database)
    client: Any = hubspot.Client.create(access_token=token, host=live_server)

    companies_page = client.crm.companies.search_api.do_search(
        public_object_search_request=companies.PublicObjectSearchRequest(
            filter_groups=[
                companies.FilterGroup(
                    filters=[
                        companies.Filter(
                            property_name="numberofemployees", operator="GTE", value="100"
                        )
                    ]
                ),
                companies.FilterGroup(
                    filters=[
                        companies.Filter(property_name="name", operator="EQ", value="acme rockets")
                    ]
                ),
            ],
            sorts=["name"],
            properties=["name", "numberofemployees"],
        )
    )
    assert [int(r.id) for r in companies_page.results] == [made["acme"], made["globex"]]
    assert companies_page.results[1].properties["numberofemployees"] == "900"

    deals_page = client.crm.deals.search_api.do_search(
        public_object_search_request=deals.PublicObjectSearchRequest(
            filter_groups=[
                deals.FilterGroup(
                    filters=[
                        deals.Filter(
                            property_name="amount",
                            operator="BETWEEN",
                            value="1000",
                            high_value="2000",
                        )
                    ]
                )
            ],
            properties=["dealname", "amount", "dealstage"],
        )
    )
    assert deals_page.total == 1
    assert deals_page.results[0].properties["dealname"] == "Rocket fuel"
    by_query = client.crm.deals.search_api.do_search(
        public_object_search_request=deals.PublicObjectSearchRequest(query="launch")
    )
    assert [int(r.id) for r in by_query.results] == [made["open"]]
