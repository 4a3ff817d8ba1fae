"""Garbage in the bodies, paths and queries of the lead-working endpoints gets a 4xx, never
a 500."""

from typing import Any
from urllib.parse import quote

from starlette.testclient import TestClient

GARBAGE: list[Any] = [
    None,
    1,
    -1,
    10**30,
    "x",
    "",
    "\x00",
    [],
    {},
    [1],
    {"a": 1},
    True,
    1.5,
    "99999999999999999999",
]


def test_lead_working_endpoints_never_answer_500(client: TestClient) -> None:
    calls = []
    for g in GARBAGE:
        q = quote(str(g), safe="")
        calls += [
            ("POST", "/revline/v1/lifecycle-stages", {"value": g, "label": g, "before": g}),
            ("PATCH", "/revline/v1/lifecycle-stages/lead", {"label": g, "archived": g}),
            ("PUT", "/revline/v1/lifecycle-stages/order", {"order": g}),
            (
                "POST",
                "/revline/v1/lead-statuses",
                {"value": g, "label": g, "group": g, "requiresReason": g},
            ),
            (
                "PATCH",
                "/revline/v1/lead-statuses/NEW",
                {"label": g, "group": g, "requiresReason": g, "archived": g},
            ),
            ("PATCH", "/revline/v1/settings/lifecycle", g),
            (
                "POST",
                "/revline/v1/contacts/1/convert",
                {"company": g, "deal": g, "leadStatus": g, "lifecycleStage": g, "matchCompany": g},
            ),
            (
                "POST",
                "/revline/v1/contacts/1/convert",
                {"deal": {"properties": {"amount": g, "dealstage": g}}},
            ),
            (
                "POST",
                "/revline/v1/contacts/duplicates",
                {"properties": {"email": g, "phone": g}, "limit": g},
            ),
            (
                "POST",
                "/revline/v1/deals/duplicates",
                {"properties": {"dealname": g}, "companyId": g},
            ),
            (
                "POST",
                "/revline/v1/routing-rules",
                {
                    "name": "x",
                    "team": g,
                    "conditions": [{"propertyName": "country", "operator": "EQ", "value": g}],
                    "method": g,
                    "trigger": g,
                    "triggerStage": g,
                    "objectType": g,
                    "active": g,
                },
            ),
            ("POST", "/revline/v1/routing-rules", {"name": g, "team": "T", "conditions": g}),
            ("PUT", "/revline/v1/routing-rules/order", {"order": g, "objectType": g}),
            ("PUT", f"/revline/v1/owners/{q}/availability", {"available": g}),
            ("GET", f"/revline/v1/contacts/{q}/lifecycle-history", None),
            ("GET", f"/revline/v1/routing-rules/{q}", None),
            ("GET", f"/revline/v1/lifecycle/summary?objectType={q}", None),
        ]
    client.post("/crm/v3/objects/contacts", json={"properties": {"email": "a@b.example"}})
    bad = []
    for method, url, body in calls:
        resp = client.request(method, url, json=body)
        assert resp.status_code != 401
        if resp.status_code >= 500:
            bad.append((method, url, body, resp.status_code, resp.text[:200]))
    assert not bad, bad[:5]
