"""HubSpot's SDK v4 associations clients driven against a live Revline server.

A success status other than the one the SDK expects makes it return ``None``, so the
statuses are checked through the ``*_with_http_info`` variants."""

from __future__ import annotations

from typing import Any

import hubspot
import pytest
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicAssociationMultiArchive,
    PublicAssociationMultiPost,
    PublicDefaultAssociationMultiPost,
    PublicFetchAssociationsBatchRequest,
    PublicObjectId,
)
from hubspot.crm.associations.v4.exceptions import ApiException
from hubspot.crm.associations.v4.schema import PublicAssociationDefinitionCreateRequest
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyIn
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactIn


def sdk(live_server: str, token: str) -> Any:
    return hubspot.Client.create(access_token=token, host=live_server)


def status_of(result: Any) -> int:
    return int(result[1])


def test_basic_api(live_server: str, token: str) -> None:
    client = sdk(live_server, token)
    c = client.crm.contacts.basic_api.create(ContactIn(properties={"email": "s@example.com"})).id
    a = client.crm.companies.basic_api.create(CompanyIn(properties={"name": "A"})).id
    b = client.crm.companies.basic_api.create(CompanyIn(properties={"name": "B"})).id
    v4 = client.crm.associations.v4

    created = v4.basic_api.create_default_with_http_info("contacts", c, "companies", a)
    assert status_of(created) == 200
    answer = created[0]
    assert answer.status == "COMPLETE"
    assert {
        (r._from.id, r.to.id, r.association_spec.association_type_id) for r in answer.results
    } == {
        (c, a, 279),
        (a, c, 280),
    }

    spec = [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)]
    labelled = v4.basic_api.create_with_http_info("contacts", c, "companies", b, spec)
    assert status_of(labelled) == 201
    pair = labelled[0]
    assert (pair.from_object_type_id, pair.from_object_id, pair.to_object_id) == ("0-1", c, b)
    assert pair.labels == ["Primary"]

    page = v4.basic_api.get_page("contacts", c, "companies", limit=1)
    assert [r.to_object_id for r in page.results] == [a]
    assert page.paging.next.after
    rest = v4.basic_api.get_page("contacts", c, "companies", after=page.paging.next.after)
    assert [r.to_object_id for r in rest.results] == [b]
    assert rest.paging is None
    assert {(t.category, t.type_id, t.label) for t in rest.results[0].association_types} == {
        ("HUBSPOT_DEFINED", 1, "Primary"),
        ("HUBSPOT_DEFINED", 279, None),
    }

    removed = v4.basic_api.archive_with_http_info("contacts", c, "companies", a)
    assert status_of(removed) == 204
    assert [r.to_object_id for r in v4.basic_api.get_page("contacts", c, "companies").results] == [
        b
    ]

    with pytest.raises(ApiException) as err:
        v4.basic_api.create_default("contacts", "999999", "companies", a)
    assert err.value.status == 404
    with pytest.raises(ApiException) as err:
        bad = [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=4)]
        v4.basic_api.create("contacts", c, "companies", a, bad)
    assert err.value.status == 400


def test_batch_api_and_labels(live_server: str, token: str) -> None:
    client = sdk(live_server, token)
    contacts_ = [
        client.crm.contacts.basic_api.create(
            ContactIn(properties={"email": f"b{i}@example.com"})
        ).id
        for i in range(3)
    ]
    co = client.crm.companies.basic_api.create(CompanyIn(properties={"name": "Co"})).id
    v4 = client.crm.associations.v4
    definitions = v4.schema.definitions_api

    made = definitions.create_with_http_info(
        "contacts",
        "companies",
        PublicAssociationDefinitionCreateRequest(
            label="Billing contact", name="billing_contact", inverse_label="Billed company"
        ),
    )
    assert status_of(made) == 200
    label_id = made[0].results[0].type_id
    every = definitions.get_all("contacts", "companies").results
    assert ("USER_DEFINED", label_id, "Billing contact") in {
        (t.category, t.type_id, t.label) for t in every
    }

    defaults = v4.batch_api.create_default_with_http_info(
        "contacts",
        "companies",
        BatchInputPublicDefaultAssociationMultiPost(
            inputs=[
                PublicDefaultAssociationMultiPost(
                    _from=PublicObjectId(id=i), to=PublicObjectId(id=co)
                )
                for i in contacts_[:2]
            ]
        ),
    )
    assert status_of(defaults) == 200 and len(defaults[0].results) == 4

    created = v4.batch_api.create_with_http_info(
        "contacts",
        "companies",
        BatchInputPublicAssociationMultiPost(
            inputs=[
                PublicAssociationMultiPost(
                    _from=PublicObjectId(id=contacts_[2]),
                    to=PublicObjectId(id=co),
                    types=[
                        AssociationSpec(
                            association_category="USER_DEFINED", association_type_id=label_id
                        )
                    ],
                )
            ]
        ),
    )
    assert status_of(created) == 201
    assert created[0].results[0].labels == ["Billing contact"]

    read = v4.batch_api.get_page_with_http_info(
        "contacts",
        "companies",
        BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in contacts_]
        ),
    )
    assert status_of(read) == 200
    by_from = {r._from.id: r.to for r in read[0].results}
    assert set(by_from) == set(contacts_)
    assert {t.type_id for t in by_from[contacts_[2]][0].association_types} == {279, label_id}

    partial = v4.batch_api.get_page_with_http_info(
        "contacts",
        "companies",
        BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[PublicFetchAssociationsBatchRequest(id="987654")]
        ),
    )
    assert status_of(partial) == 207
    assert partial[0].num_errors == 1 and partial[0].errors[0].category == "OBJECT_NOT_FOUND"

    archived = v4.batch_api.archive_with_http_info(
        "contacts",
        "companies",
        BatchInputPublicAssociationMultiArchive(
            inputs=[
                PublicAssociationMultiArchive(
                    _from=PublicObjectId(id=contacts_[0]), to=[PublicObjectId(id=co)]
                )
            ]
        ),
    )
    assert status_of(archived) == 204
    labels_off = v4.batch_api.archive_labels_with_http_info(
        "contacts",
        "companies",
        BatchInputPublicAssociationMultiPost(
            inputs=[
                PublicAssociationMultiPost(
                    _from=PublicObjectId(id=contacts_[2]),
                    to=PublicObjectId(id=co),
                    types=[
                        AssociationSpec(
                            association_category="USER_DEFINED", association_type_id=label_id
                        )
                    ],
                )
            ]
        ),
    )
    assert status_of(labels_off) == 204
    left = v4.basic_api.get_page("companies", co, "contacts").results
    assert {r.to_object_id: {t.type_id for t in r.association_types} for r in left} == {
        contacts_[1]: {280},
        contacts_[2]: {280},
    }
    removed = definitions.remove_with_http_info("contacts", "companies", label_id)
    assert status_of(removed) == 204
