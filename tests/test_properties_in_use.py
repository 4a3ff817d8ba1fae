"""Archiving a custom property that segments, score models, routing rules or a pipeline
stage's requirements still read is refused with a 409 naming each of them; once they no
longer read it, the archive goes through."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from revline.auth import service as auth_service
from revline.crm.object_types import COMPANIES
from revline.crm.properties import service as properties
from revline.errors import Conflict
from revline.kit.db import Database

BASE = "/crm/v3/properties"


def _property(client: TestClient, object_type: str, name: str, group: str) -> None:
    body = {"name": name, "label": name, "type": "string", "fieldType": "text", "groupName": group}
    resp = client.post(f"{BASE}/{object_type}", json=body)
    assert resp.status_code == 201, resp.text


def _created(resp: Any) -> Any:
    assert resp.status_code == 201, resp.text
    return resp.json()


def _refused(client: TestClient, object_type: str, name: str) -> dict[str, Any]:
    resp = client.delete(f"{BASE}/{object_type}/{name}")
    assert resp.status_code == 409, resp.text
    body: dict[str, Any] = resp.json()
    assert body["category"] == "CONFLICT"
    assert {e["code"] for e in body["errors"]} == {"PROPERTY_IN_USE"}
    # Still there, unchanged.
    assert client.get(f"{BASE}/{object_type}/{name}").status_code == 200
    return body


def test_a_segment_and_a_score_model_keep_their_contact_property(client: TestClient) -> None:
    _property(client, "contacts", "plan_tier", "contactinformation")
    segment = _created(
        client.post(
            "/revline/v1/segments",
            json={
                "name": "Gold tier",
                "conditions": {"property": "plan_tier", "operator": "EQ", "value": "gold"},
            },
        )
    )
    _created(
        client.post(
            "/revline/v1/scoring/models",
            json={
                "name": "tiering",
                "label": "Tiering",
                "groups": [
                    {
                        "name": "Tier",
                        "rules": [
                            {
                                "name": "gold",
                                "property": "plan_tier",
                                "operator": "EQ",
                                "value": "gold",
                                "points": 10,
                            }
                        ],
                    }
                ],
            },
        )
    )

    body = _refused(client, "contacts", "plan_tier")
    assert body["context"]["propertyName"] == ["plan_tier"]
    assert body["context"]["segmentIds"] == [segment["id"]]
    assert body["context"]["scoreModelIds"] == ["tiering"]
    assert "segment 'Gold tier'" in body["message"]
    assert "score model 'Tiering'" in body["message"]

    assert client.delete(f"/revline/v1/segments/{segment['id']}").status_code == 204
    body = _refused(client, "contacts", "plan_tier")
    assert "segmentIds" not in body["context"]
    assert client.delete("/revline/v1/scoring/models/tiering").status_code == 204
    assert client.delete(f"{BASE}/contacts/plan_tier").status_code == 204


def test_company_properties_read_from_contacts_are_kept(
    client: TestClient, database: Database
) -> None:
    _property(client, "companies", "region_code", "companyinformation")
    segment = _created(
        client.post(
            "/revline/v1/segments",
            json={
                "name": "Nordics",
                "conditions": {"companyProperty": "region_code", "operator": "EQ", "value": "N"},
            },
        )
    )
    with database.unit_of_work() as s:
        auth_service.create_user(s, email="rep@rev.example", team="North")
    rule = _created(
        client.post(
            "/revline/v1/routing-rules",
            json={
                "name": "Northern accounts",
                "team": "North",
                "method": "round_robin",
                "conditions": [
                    {"propertyName": "company.region_code", "operator": "EQ", "value": "N"}
                ],
            },
        )
    )
    # The contact property of the same name is another property: nothing reads it.
    _property(client, "contacts", "region_code", "contactinformation")
    assert client.delete(f"{BASE}/contacts/region_code").status_code == 204

    body = _refused(client, "companies", "region_code")
    assert body["context"]["segmentIds"] == [segment["id"]]
    assert body["context"]["routingRuleIds"] == [str(rule["id"])]
    # The service layer refuses in the same way.
    with database.unit_of_work() as s:
        try:
            properties.archive_property(s, COMPANIES, "region_code")
        except Conflict as exc:
            assert exc.context["routingRuleIds"] == [str(rule["id"])]
        else:
            raise AssertionError("archiving a property in use went through")

    assert client.delete(f"/revline/v1/segments/{segment['id']}").status_code == 204
    assert client.delete(f"/revline/v1/routing-rules/{rule['id']}").status_code == 204
    assert client.delete(f"{BASE}/companies/region_code").status_code == 204


def test_a_stage_requirement_keeps_its_deal_property(client: TestClient) -> None:
    _property(client, "deals", "po_number", "dealinformation")
    stage = "/crm/v3/pipelines/deals/default/stages/contractsent"
    resp = client.patch(stage, json={"metadata": {"requiredProperties": "amount,po_number"}})
    assert resp.status_code == 200, resp.text

    body = _refused(client, "deals", "po_number")
    assert body["context"]["pipelineStageIds"] == ["contractsent"]
    assert "pipeline stage 'Contract Sent'" in body["message"]

    resp = client.patch(stage, json={"metadata": {"requiredProperties": "amount"}})
    assert resp.status_code == 200, resp.text
    assert client.delete(f"{BASE}/deals/po_number").status_code == 204
