"""HubSpot's Python SDK batch APIs (``client.crm.<type>.batch_api``) against a live server."""

from __future__ import annotations

from typing import Any

import hubspot
from hubspot.crm import companies, contacts, deals


def sdk(live_server: str, token: str) -> Any:
    return hubspot.Client.create(access_token=token, host=live_server)


def test_contacts_batch_round_trip(live_server: str, token: str) -> None:
    api = sdk(live_server, token).crm.contacts.batch_api
    created = api.create(
        contacts.BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[
                contacts.SimplePublicObjectInputForCreate(
                    properties={"email": f"sdk{i}@example.com", "firstname": f"S{i}"}
                )
                for i in range(3)
            ]
        )
    )
    assert created is not None and created.status == "COMPLETE"
    ids = sorted(r.id for r in created.results)
    assert len(ids) == 3

    read = api.read(
        contacts.BatchReadInputSimplePublicObjectId(
            inputs=[contacts.SimplePublicObjectId(id=i) for i in ids],
            properties=["email", "firstname"],
            properties_with_history=["firstname"],
        )
    )
    assert sorted(r.id for r in read.results) == ids
    assert all(r.properties_with_history["firstname"] for r in read.results)

    _, status, _ = api.read_with_http_info(
        contacts.BatchReadInputSimplePublicObjectId(
            inputs=[
                contacts.SimplePublicObjectId(id=ids[0]),
                contacts.SimplePublicObjectId(id="999999"),
            ],
            properties=["email"],
        )
    )
    assert status == 207
    missing, status, _ = api.read_with_http_info(
        contacts.BatchReadInputSimplePublicObjectId(
            inputs=[contacts.SimplePublicObjectId(id="999999")], properties=["email"]
        )
    )
    assert status == 207 and missing.num_errors == 1
    assert missing.errors[0].category == "OBJECT_NOT_FOUND"
    assert missing.errors[0].context["ids"] == ["999999"]

    updated = api.update(
        contacts.BatchInputSimplePublicObjectBatchInput(
            inputs=[
                contacts.SimplePublicObjectBatchInput(id=i, properties={"lastname": "Batch"})
                for i in ids
            ]
        )
    )
    assert {r.properties["lastname"] for r in updated.results} == {"Batch"}

    upsert = contacts.BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[
            contacts.SimplePublicObjectBatchInputUpsert(
                id="sdk0@example.com", id_property="email", properties={"jobtitle": "CTO"}
            ),
            contacts.SimplePublicObjectBatchInputUpsert(
                id="sdk-new@example.com", id_property="email", properties={"firstname": "N"}
            ),
        ]
    )
    first, status, _ = api.upsert_with_http_info(upsert)
    assert status == 200
    assert [(r.properties["email"], r.new) for r in first.results] == [
        ("sdk0@example.com", False),
        ("sdk-new@example.com", True),
    ]
    second = api.upsert(upsert)
    assert [r.new for r in second.results] == [False, False]

    _, status, _ = api.archive_with_http_info(
        contacts.BatchInputSimplePublicObjectId(
            inputs=[contacts.SimplePublicObjectId(id=i) for i in ids]
        )
    )
    assert status == 204
    left = sdk(live_server, token).crm.contacts.basic_api.get_page(limit=100)
    assert [r.properties["email"] for r in left.results] == ["sdk-new@example.com"]


def test_partial_create_is_207_with_standard_errors(live_server: str, token: str) -> None:
    api = sdk(live_server, token).crm.contacts.batch_api
    body = contacts.BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[
            contacts.SimplePublicObjectInputForCreate(properties={"email": "good@example.com"}),
            contacts.SimplePublicObjectInputForCreate(properties={"email": "bad"}),
            contacts.SimplePublicObjectInputForCreate(properties={"email": "GOOD@example.com"}),
        ]
    )
    result, status, _ = api.create_with_http_info(body)
    assert status == 207
    assert [r.properties["email"] for r in result.results] == ["good@example.com"]
    assert result.num_errors == 2
    assert [(e.category, e.context["inputIndex"]) for e in result.errors] == [
        ("VALIDATION_ERROR", ["1"]),
        ("CONFLICT", ["2"]),
    ]
    assert result.errors[0].errors[0].code == "INVALID_EMAIL"


def test_companies_and_deals_batches(live_server: str, token: str) -> None:
    client = sdk(live_server, token)
    made, status, _ = client.crm.companies.batch_api.create_with_http_info(
        companies.BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[
                companies.SimplePublicObjectInputForCreate(
                    properties={"domain": f"co{i}.example.com", "name": f"Co {i}"}
                )
                for i in range(2)
            ]
        )
    )
    assert status == 201 and len(made.results) == 2
    upserted = client.crm.companies.batch_api.upsert(
        companies.BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                companies.SimplePublicObjectBatchInputUpsert(
                    id="https://www.co1.example.com/",
                    id_property="domain",
                    properties={"city": "Oslo"},
                )
            ]
        )
    )
    assert upserted.results[0].new is False
    assert upserted.results[0].id in {r.id for r in made.results}

    deal_api = client.crm.deals.batch_api
    new_deals = deal_api.create(
        deals.BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[
                deals.SimplePublicObjectInputForCreate(
                    properties={"dealname": "Big", "amount": "1500.00"},
                    associations=[
                        {
                            "to": {"id": made.results[0].id},
                            "types": [
                                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}
                            ],
                        }
                    ],
                )
            ]
        )
    )
    deal = new_deals.results[0]
    assert deal.properties["dealstage"] == "appointmentscheduled"
    changed, status, _ = deal_api.update_with_http_info(
        deals.BatchInputSimplePublicObjectBatchInput(
            inputs=[
                deals.SimplePublicObjectBatchInput(
                    id=deal.id, properties={"dealstage": "closedwon"}
                ),
                deals.SimplePublicObjectBatchInput(id="424242", properties={"dealname": "x"}),
            ]
        )
    )
    assert status == 207
    assert changed.results[0].properties["dealstage"] == "closedwon"
    assert changed.errors[0].category == "OBJECT_NOT_FOUND"
    read = deal_api.read(
        deals.BatchReadInputSimplePublicObjectId(
            inputs=[deals.SimplePublicObjectId(id=deal.id)], properties=["hs_is_closed_won"]
        )
    )
    assert read.results[0].properties["hs_is_closed_won"] == "true"
