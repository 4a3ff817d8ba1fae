"""HubSpot's SDK merge calls (``basic_api.merge`` of contacts, companies and deals; SDK 12
has no separate merge_api) against a live Revline server."""

from __future__ import annotations

from typing import Any

import hubspot
import pytest
from hubspot.crm.companies import PublicMergeInput as CompanyMerge
from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyIn
from hubspot.crm.contacts import PublicMergeInput, SimplePublicObjectInputForCreate
from hubspot.crm.contacts.exceptions import ApiException
from hubspot.crm.deals import PublicMergeInput as DealMerge
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealIn
from hubspot.crm.objects.notes import SimplePublicObjectInputForCreate as NoteIn


def sdk(live_server: str, token: str) -> Any:
    return hubspot.Client.create(access_token=token, host=live_server)


def test_merge_contacts_companies_and_deals(live_server: str, token: str) -> None:
    client = sdk(live_server, token)
    api = client.crm.contacts.basic_api
    keep = api.create(SimplePublicObjectInputForCreate(properties={"email": "k@example.com"})).id
    gone = api.create(
        SimplePublicObjectInputForCreate(properties={"email": "g@example.com", "lastname": "Gone"})
    ).id
    note = client.crm.objects.notes.basic_api.create(
        NoteIn(properties={"hs_timestamp": "2024-05-01T12:00:00.000Z", "hs_note_body": "x"})
    ).id
    client.crm.associations.v4.basic_api.create_default("notes", note, "contacts", gone)

    merged, status, _ = api.merge_with_http_info(
        PublicMergeInput(primary_object_id=keep, object_id_to_merge=gone)
    )
    assert status == 200
    assert merged.id == keep and merged.properties["lastname"] == "Gone"
    assert api.get_by_id(gone).id == keep
    linked = client.crm.associations.v4.basic_api.get_page("notes", note, "contacts").results
    assert [r.to_object_id for r in linked] == [keep]
    with pytest.raises(ApiException) as err:
        api.merge(PublicMergeInput(primary_object_id=keep, object_id_to_merge=keep))
    assert err.value.status == 400

    companies = client.crm.companies.basic_api
    a = companies.create(CompanyIn(properties={"name": "A"})).id
    b = companies.create(CompanyIn(properties={"domain": "b.example"})).id
    done = companies.merge(CompanyMerge(primary_object_id=a, object_id_to_merge=b))
    assert done.id == a and done.properties["domain"] == "b.example"

    deals = client.crm.deals.basic_api
    d1 = deals.create(DealIn(properties={"dealname": "One"})).id
    d2 = deals.create(DealIn(properties={"dealname": "Two", "description": "two"})).id
    done = deals.merge(DealMerge(primary_object_id=d1, object_id_to_merge=d2))
    assert done.id == d1 and done.properties["dealname"] == "One"
