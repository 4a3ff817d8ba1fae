"""Behaviour of /crm/v3/pipelines/{type}: pipelines and their stages."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import httpx
from starlette.testclient import TestClient

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ERROR_KEYS = {"status", "message", "correlationId", "category", "errors", "context", "links"}
STAGE_KEYS = {
    "id",
    "label",
    "displayOrder",
    "metadata",
    "createdAt",
    "updatedAt",
    "archived",
    "writePermissions",
}
PIPELINE_KEYS = {"id", "label", "displayOrder", "stages", "createdAt", "updatedAt", "archived"}
BASE = "/crm/v3/pipelines/deals"
DEFAULT_STAGES = [
    ("appointmentscheduled", "Appointment Scheduled", "0.2", "false"),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", "false"),
    ("presentationscheduled", "Presentation Scheduled", "0.6", "false"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", "false"),
    ("contractsent", "Contract Sent", "0.9", "false"),
    ("closedwon", "Closed Won", "1.0", "true"),
    ("closedlost", "Closed Lost", "0.0", "true"),
]


def hubspot_keys(metadata: dict[str, str]) -> dict[str, str]:
    """The stage metadata HubSpot itself defines (Revline adds its stage rules beside it)."""
    return {k: v for k, v in metadata.items() if k in ("isClosed", "probability")}


def assert_error(resp: httpx.Response, status: int, category: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert set(body) >= ERROR_KEYS, body
    assert body["status"] == "error"
    assert body["category"] == category
    assert body["message"]
    return body


def error_code(resp: httpx.Response) -> str:
    body = assert_error(resp, 400, "VALIDATION_ERROR")
    return str(body["errors"][0]["code"]) if body["errors"] else ""


def stage(
    label: str, probability: Any = "0.5", closed: Any = "false", **extra: Any
) -> dict[str, Any]:
    return {
        "label": label,
        "displayOrder": extra.pop("displayOrder", 0),
        "metadata": {"probability": probability, "isClosed": closed},
        **extra,
    }


def make_pipeline(client: TestClient, label: str = "Renewals", **extra: Any) -> dict[str, Any]:
    body = {
        "label": label,
        "displayOrder": 1,
        "stages": [
            stage("Open", "0.3", displayOrder=0),
            stage("Committed", "0.75", displayOrder=1),
            stage("Renewed", "1.0", "true", displayOrder=2),
            stage("Churned", "0.0", "true", displayOrder=3),
        ],
        **extra,
    }
    resp = client.post(BASE, json=body)
    assert resp.status_code == 201, resp.text
    out: dict[str, Any] = resp.json()
    return out


def make_deal(client: TestClient, **props: Any) -> str:
    resp = client.post("/crm/v3/objects/deals", json={"properties": {"dealname": "D", **props}})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def labels(pipeline: dict[str, Any]) -> list[str]:
    return [s["label"] for s in pipeline["stages"]]


# --- the default pipeline ---------------------------------------------------------------


def test_default_pipeline_matches_hubspot(client: TestClient) -> None:
    listed = client.get(BASE)
    assert listed.status_code == 200
    results = listed.json()["results"]
    assert [p["id"] for p in results] == ["default"]
    default = results[0]
    assert set(default) == PIPELINE_KEYS
    assert (default["label"], default["displayOrder"], default["archived"]) == (
        "Sales Pipeline",
        0,
        False,
    )
    assert ISO_MS.match(default["createdAt"]) and ISO_MS.match(default["updatedAt"])
    got = [
        (s["id"], s["label"], s["metadata"]["probability"], s["metadata"]["isClosed"])
        for s in default["stages"]
    ]
    assert got == DEFAULT_STAGES
    for i, s in enumerate(default["stages"]):
        assert set(s) == STAGE_KEYS
        assert s["displayOrder"] == i
        assert s["archived"] is False
        assert s["writePermissions"] == "CRM_PERMISSIONS_ENFORCEMENT"
        # HubSpot's two keys, plus Revline's stage rules (all strings, like HubSpot's).
        assert {"isClosed", "probability", "forecastCategory"} <= set(s["metadata"])
        assert ISO_MS.match(s["createdAt"])
    categories = {s["id"]: s["metadata"]["forecastCategory"] for s in default["stages"]}
    assert categories == {
        "appointmentscheduled": "PIPELINE",
        "qualifiedtobuy": "PIPELINE",
        "presentationscheduled": "BEST_CASE",
        "decisionmakerboughtin": "BEST_CASE",
        "contractsent": "COMMIT",
        "closedwon": "CLOSED",
        "closedlost": "OMIT",
    }
    required = {s["id"]: s["metadata"].get("requiredProperties") for s in default["stages"]}
    assert required["closedlost"] == "closed_lost_reason"
    assert [k for k, v in required.items() if v] == ["closedlost"]

    for alias in ("deal", "0-3", "DEALS", "deals/"):
        same = client.get(f"/crm/v3/pipelines/{alias}")
        assert same.status_code == 200, alias
        assert same.json() == listed.json()
    assert client.get(f"{BASE}/default").json() == default
    assert client.get("/crm/v3/pipelines/0-3/default").json() == default
    stages = client.get(f"{BASE}/default/stages")
    assert stages.status_code == 200
    assert stages.json() == {"results": default["stages"]}
    assert client.get(f"{BASE}/default/stages/closedwon").json() == default["stages"][5]

    assert_error(client.get(f"{BASE}/nosuch"), 404, "OBJECT_NOT_FOUND")
    assert_error(client.get(f"{BASE}/default/stages/nosuch"), 404, "OBJECT_NOT_FOUND")
    assert_error(client.get(f"{BASE}/nosuch/stages"), 404, "OBJECT_NOT_FOUND")
    for unsupported in ("contacts", "widgets", "0-1"):
        assert_error(client.get(f"/crm/v3/pipelines/{unsupported}"), 404, "OBJECT_NOT_FOUND")


# --- pipelines --------------------------------------------------------------------------


def test_create_update_and_archive_a_pipeline(client: TestClient) -> None:
    made = make_pipeline(client)
    assert set(made) == PIPELINE_KEYS
    assert re.fullmatch(r"\d+", made["id"])
    assert made["label"] == "Renewals"
    assert labels(made) == ["Open", "Committed", "Renewed", "Churned"]
    assert [hubspot_keys(s["metadata"]) for s in made["stages"]] == [
        {"isClosed": "false", "probability": "0.3"},
        {"isClosed": "false", "probability": "0.75"},
        {"isClosed": "true", "probability": "1.0"},
        {"isClosed": "true", "probability": "0.0"},
    ]
    assert len({s["id"] for s in made["stages"]}) == 4
    assert [p["id"] for p in client.get(BASE).json()["results"]] == ["default", made["id"]]

    chosen = client.post(
        BASE, json={"label": "Partners", "pipelineId": "partners", "stages": [stage("Only")]}
    )
    assert chosen.status_code == 201, chosen.text
    assert chosen.json()["id"] == "partners"
    assert client.get(f"{BASE}/partners").json()["label"] == "Partners"

    renamed = client.patch(
        f"{BASE}/{made['id']}", json={"label": "Renewals 2025", "displayOrder": 7}
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["label"], renamed.json()["displayOrder"]) == ("Renewals 2025", 7)
    assert labels(renamed.json()) == labels(made)

    gone = client.delete(f"{BASE}/{made['id']}")
    assert gone.status_code == 204
    assert gone.content == b""
    assert_error(client.get(f"{BASE}/{made['id']}"), 404, "OBJECT_NOT_FOUND")
    assert made["id"] not in [p["id"] for p in client.get(BASE).json()["results"]]
    assert_error(client.delete(f"{BASE}/{made['id']}"), 404, "OBJECT_NOT_FOUND")
    assert_error(client.patch(f"{BASE}/{made['id']}", json={"label": "x"}), 404, "OBJECT_NOT_FOUND")
    # A deal cannot go into an archived pipeline.
    resp = client.post(
        "/crm/v3/objects/deals", json={"properties": {"dealname": "X", "pipeline": made["id"]}}
    )
    assert resp.status_code == 400
    # PATCH archived=false brings it back.
    back = client.patch(f"{BASE}/{made['id']}", json={"archived": False})
    assert back.status_code == 200, back.text
    assert back.json()["archived"] is False
    assert client.get(f"{BASE}/{made['id']}").status_code == 200
    # And PATCH archived=true archives it.
    assert client.patch(f"{BASE}/{made['id']}", json={"archived": True}).json()["archived"] is True


def test_pipeline_input_is_validated(client: TestClient) -> None:
    existing = make_pipeline(client)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"label": "Dup", "stages": [stage("A"), stage("a")]}, "DUPLICATE_LABEL"),
        ({"label": "Renewals", "stages": [stage("A")]}, "DUPLICATE_LABEL"),
        ({"label": "sales pipeline", "stages": [stage("A")]}, "DUPLICATE_LABEL"),
        ({"label": "Empty", "stages": []}, "REQUIRED"),
        ({"label": "   ", "stages": [stage("A")]}, "REQUIRED"),
        ({"label": "Blank stage", "stages": [stage("  ")]}, "REQUIRED"),
        ({"label": "P1", "stages": [stage("A", "1.1")]}, "INVALID_PROBABILITY"),
        ({"label": "P2", "stages": [stage("A", "-0.1")]}, "INVALID_PROBABILITY"),
        ({"label": "P3", "stages": [stage("A", "likely")]}, "INVALID_PROBABILITY"),
        ({"label": "P4", "stages": [stage("A", "NaN")]}, "INVALID_PROBABILITY"),
        ({"label": "P5", "stages": [stage("A", 2)]}, "INVALID_PROBABILITY"),
        ({"label": "P6", "stages": [stage("A", None)]}, "REQUIRED"),
        ({"label": "P7", "stages": [stage("A", "0.5", "maybe")]}, "INVALID_IS_CLOSED"),
        ({"label": "P8", "stages": [{"label": "A"}]}, "REQUIRED"),
    ]
    for body, code in cases:
        assert error_code(client.post(BASE, json=body)) == code, body
    taken = client.post(BASE, json={"label": "X", "pipelineId": "default", "stages": [stage("A")]})
    assert_error(taken, 400, "VALIDATION_ERROR")
    for missing in ("label", "stages"):
        body = {"label": "M", "stages": [stage("A")]}
        del body[missing]
        assert (
            missing
            in assert_error(client.post(BASE, json=body), 400, "VALIDATION_ERROR")["message"]
        )
    # Numbers are read as probabilities too, and 0 and 1 are allowed.
    ok = client.post(
        BASE,
        json={"label": "Numbers", "stages": [stage("Zero", 0), stage("One", 1, True)]},
    )
    assert ok.status_code == 201, ok.text
    assert [hubspot_keys(s["metadata"]) for s in ok.json()["stages"]] == [
        {"isClosed": "false", "probability": "0.0"},
        {"isClosed": "true", "probability": "1.0"},
    ]
    # Renaming onto another pipeline's label is refused.
    clash = client.patch(f"{BASE}/{existing['id']}", json={"label": "Sales Pipeline"})
    assert error_code(clash) == "DUPLICATE_LABEL"
    names = [p["label"] for p in client.get(BASE).json()["results"]]
    # Ordered by displayOrder, then by age.
    assert names == ["Sales Pipeline", "Numbers", "Renewals"]


def test_replace_pipeline_with_put(client: TestClient) -> None:
    made = make_pipeline(client)
    ids = {s["label"]: s["id"] for s in made["stages"]}
    deal = make_deal(client, pipeline=made["id"], dealstage=ids["Committed"])

    # Stages are matched by id or by label; stages left out are archived.
    resp = client.put(
        f"{BASE}/{made['id']}",
        json={
            "label": "Renewals (new)",
            "displayOrder": 3,
            "stages": [
                stage("Open again", "0.2", stageId=ids["Open"], displayOrder=0),
                stage("Committed", "0.8", displayOrder=1),
                stage("Won", "1.0", "true", displayOrder=2),
            ],
        },
    )
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["label"] == "Renewals (new)"
    assert out["displayOrder"] == 3
    assert labels(out) == ["Open again", "Committed", "Won"]
    by_label = {s["label"]: s for s in out["stages"]}
    assert by_label["Open again"]["id"] == ids["Open"]
    assert by_label["Committed"]["id"] == ids["Committed"]
    assert by_label["Committed"]["metadata"]["probability"] == "0.8"
    assert by_label["Won"]["id"] not in ids.values()
    assert client.get(f"{BASE}/{made['id']}").json()["stages"] == out["stages"]
    assert_error(
        client.get(f"{BASE}/{made['id']}/stages/{ids['Churned']}"), 404, "OBJECT_NOT_FOUND"
    )

    # A stage holding a deal cannot be dropped.
    refused = client.put(
        f"{BASE}/{made['id']}", json={"label": "Renewals (new)", "stages": [stage("Open again")]}
    )
    assert error_code(refused) == "STAGE_NOT_EMPTY"
    assert labels(client.get(f"{BASE}/{made['id']}").json()) == ["Open again", "Committed", "Won"]

    # Once the deal has moved, every stage may be replaced by new ones.
    moved = client.patch(
        f"/crm/v3/objects/deals/{deal}", json={"properties": {"dealstage": by_label["Won"]["id"]}}
    )
    assert moved.status_code == 200, moved.text
    fresh = client.put(
        f"{BASE}/{made['id']}",
        json={"label": "Renewals (new)", "stages": [stage("Won"), stage("Alpha"), stage("Beta")]},
    )
    assert fresh.status_code == 200, fresh.text
    assert sorted(labels(fresh.json())) == ["Alpha", "Beta", "Won"]
    all_new = client.put(
        f"{BASE}/{made['id']}",
        json={"label": "Renewals (new)", "stages": [stage("Won"), stage("Gamma"), stage("Delta")]},
    )
    assert all_new.status_code == 200, all_new.text
    # Replacing the whole list with stages that are all new works too.
    away = client.patch(
        f"/crm/v3/objects/deals/{deal}",
        json={"properties": {"pipeline": "default", "dealstage": "qualifiedtobuy"}},
    )
    assert away.status_code == 200, away.text
    replaced = client.put(
        f"{BASE}/{made['id']}",
        json={"label": "Renewals (new)", "stages": [stage("New one"), stage("New two")]},
    )
    assert replaced.status_code == 200, replaced.text
    assert labels(replaced.json()) == ["New one", "New two"]
    assert_error(
        client.put(f"{BASE}/nosuch", json={"label": "x", "stages": [stage("A")]}),
        404,
        "OBJECT_NOT_FOUND",
    )


# --- stages -----------------------------------------------------------------------------


def test_stage_crud_and_unique_labels(client: TestClient) -> None:
    made = make_pipeline(client)
    url = f"{BASE}/{made['id']}/stages"
    added = client.post(url, json=stage("Negotiation", "0.6", displayOrder=2))
    assert added.status_code == 201, added.text
    new = added.json()
    assert set(new) == STAGE_KEYS
    assert (new["label"], hubspot_keys(new["metadata"])) == (
        "Negotiation",
        {"isClosed": "false", "probability": "0.6"},
    )
    assert new["id"] in [s["id"] for s in client.get(url).json()["results"]]

    assert error_code(client.post(url, json=stage("negotiation"))) == "DUPLICATE_LABEL"
    assert error_code(client.post(url, json=stage("Odd", "7"))) == "INVALID_PROBABILITY"
    # The same label in another pipeline is fine.
    assert client.post(f"{BASE}/default/stages", json=stage("Negotiation")).status_code == 201

    patched = client.patch(
        f"{url}/{new['id']}", json={"label": "Negotiating", "metadata": {"probability": "0.65"}}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["label"] == "Negotiating"
    assert hubspot_keys(patched.json()["metadata"]) == {"isClosed": "false", "probability": "0.65"}
    closed = client.patch(f"{url}/{new['id']}", json={"metadata": {"isClosed": "true"}}).json()
    assert hubspot_keys(closed["metadata"]) == {"isClosed": "true", "probability": "0.65"}
    assert error_code(client.patch(f"{url}/{new['id']}", json={"label": "Open"})) == (
        "DUPLICATE_LABEL"
    )
    for bad in ("1.5", "-1", "x"):
        resp = client.patch(f"{url}/{new['id']}", json={"metadata": {"probability": bad}})
        assert error_code(resp) == "INVALID_PROBABILITY"
    replaced = client.put(f"{url}/{new['id']}", json=stage("Final offer", "0.7", displayOrder=9))
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["label"], replaced.json()["displayOrder"]) == ("Final offer", 9)
    assert hubspot_keys(replaced.json()["metadata"]) == {"isClosed": "false", "probability": "0.7"}

    gone = client.delete(f"{url}/{new['id']}")
    assert gone.status_code == 204
    assert_error(client.get(f"{url}/{new['id']}"), 404, "OBJECT_NOT_FOUND")
    assert "Final offer" not in labels(client.get(f"{BASE}/{made['id']}").json())
    # Its label is free again.
    assert client.post(url, json=stage("Final offer")).status_code == 201
    # A stage id is only found in its own pipeline.
    assert_error(
        client.get(f"{BASE}/default/stages/{made['stages'][0]['id']}"), 404, "OBJECT_NOT_FOUND"
    )
    assert_error(client.post(f"{BASE}/nosuch/stages", json=stage("X")), 404, "OBJECT_NOT_FOUND")


def test_archiving_what_holds_deals_is_refused_clearly(client: TestClient) -> None:
    made = make_pipeline(client)
    first, second = made["stages"][0]["id"], made["stages"][1]["id"]
    deal = make_deal(client, pipeline=made["id"])  # lands in the first stage

    refused = client.delete(f"{BASE}/{made['id']}/stages/{first}")
    body = assert_error(refused, 400, "VALIDATION_ERROR")
    assert body["errors"][0]["code"] == "STAGE_NOT_EMPTY"
    assert "Open" in body["message"] and "1 deal" in body["message"]
    via_patch = client.patch(f"{BASE}/{made['id']}/stages/{first}", json={"archived": True})
    assert error_code(via_patch) == "STAGE_NOT_EMPTY"

    refused = client.delete(f"{BASE}/{made['id']}")
    body = assert_error(refused, 400, "VALIDATION_ERROR")
    assert body["errors"][0]["code"] == "PIPELINE_NOT_EMPTY"
    assert made["id"] in body["message"] and "1 deal" in body["message"]
    assert error_code(client.patch(f"{BASE}/{made['id']}", json={"archived": True})) == (
        "PIPELINE_NOT_EMPTY"
    )
    assert client.get(f"{BASE}/{made['id']}/stages/{first}").status_code == 200

    # An empty stage can go; then the deal moves and the rest can go too.
    assert client.delete(f"{BASE}/{made['id']}/stages/{second}").status_code == 204
    client.patch(f"/crm/v3/objects/deals/{deal}", json={"properties": {"pipeline": "default"}})
    refused_once_more = client.patch(
        f"/crm/v3/objects/deals/{deal}",
        json={"properties": {"pipeline": "default", "dealstage": "qualifiedtobuy"}},
    )
    assert refused_once_more.status_code == 200, refused_once_more.text
    assert client.delete(f"{BASE}/{made['id']}/stages/{first}").status_code == 204
    assert client.delete(f"{BASE}/{made['id']}").status_code == 204

    # The default pipeline's stages hold deals too.
    make_deal(client, dealstage="closedwon")
    assert error_code(client.delete(f"{BASE}/default/stages/closedwon")) == "STAGE_NOT_EMPTY"
    assert error_code(client.delete(f"{BASE}/default")) == "PIPELINE_NOT_EMPTY"
    # Archived deals do not hold a stage.
    archived_deal = make_deal(client, dealstage="contractsent")
    assert client.delete(f"/crm/v3/objects/deals/{archived_deal}").status_code == 204
    assert client.delete(f"{BASE}/default/stages/contractsent").status_code == 204
    # ... and cannot come back into a stage that no longer exists.
    restore = client.post(f"/revline/v1/objects/deals/{archived_deal}/restore")
    assert restore.status_code == 400, restore.text
    assert restore.json()["errors"][0]["context"] == {"propertyName": ["dealstage"]}
    assert client.get(f"/crm/v3/objects/deals/{archived_deal}").status_code == 404


def test_last_stage_cannot_be_archived(client: TestClient) -> None:
    made = client.post(BASE, json={"label": "Tiny", "stages": [stage("Only"), stage("Other")]})
    ids = [s["id"] for s in made.json()["stages"]]
    assert client.delete(f"{BASE}/{made.json()['id']}/stages/{ids[0]}").status_code == 204
    assert error_code(client.delete(f"{BASE}/{made.json()['id']}/stages/{ids[1]}")) == "LAST_STAGE"


def test_deals_follow_changes_to_their_stage(client: TestClient) -> None:
    deal = make_deal(client, dealstage="contractsent")
    other = make_deal(client, dealstage="qualifiedtobuy")
    resp = client.patch(
        f"{BASE}/default/stages/contractsent", json={"metadata": {"probability": "0.95"}}
    )
    assert resp.status_code == 200, resp.text
    wanted = "hs_deal_stage_probability,hs_is_closed,hs_is_closed_won,hs_is_closed_lost"
    got = client.get(
        f"/crm/v3/objects/deals/{deal}",
        params={"properties": wanted, "propertiesWithHistory": "hs_deal_stage_probability"},
    ).json()
    assert got["properties"]["hs_deal_stage_probability"] == "0.95"
    history = got["propertiesWithHistory"]["hs_deal_stage_probability"]
    assert [h["value"] for h in history] == ["0.95", "0.9"]
    assert history[0]["sourceType"] == "CALCULATED"
    untouched = client.get(f"/crm/v3/objects/deals/{other}", params={"properties": wanted}).json()[
        "properties"
    ]
    assert untouched["hs_deal_stage_probability"] == "0.4"

    # Turning the stage into a closed-won stage closes its deals as won.
    resp = client.patch(
        f"{BASE}/default/stages/contractsent",
        json={"metadata": {"probability": "1.0", "isClosed": "true"}},
    )
    assert resp.status_code == 200, resp.text
    props = client.get(f"/crm/v3/objects/deals/{deal}", params={"properties": wanted}).json()[
        "properties"
    ]
    assert props == {
        "hs_deal_stage_probability": "1",
        "hs_is_closed": "true",
        "hs_is_closed_won": "true",
        "hs_is_closed_lost": "false",
    }


# --- never a 500 ------------------------------------------------------------------------

HOSTILE: list[Any] = [
    None,
    True,
    -1,
    10**30,
    2**31,
    1.5,
    "",
    "x" * 300,
    "nul\x00",
    "\ud800",
    "default",
    "closedwon",
    [],
    [None],
    {},
    {"probability": {}},
    {"probability": [], "isClosed": []},
    {"probability": "1e400", "isClosed": None},
]


def _send(client: TestClient, method: str, url: str, payload: Any) -> httpx.Response:
    resp: httpx.Response = client.request(
        method, url, content=json.dumps(payload), headers={"Content-Type": "application/json"}
    )
    return resp


def _assert_not_500(resp: httpx.Response, what: Any) -> None:
    assert resp.status_code < 500, (what, resp.text[:300])
    if resp.status_code >= 400:
        assert set(resp.json()) >= ERROR_KEYS


TEXT_WRONG: list[Any] = [12, True, [], {}]
INT_WRONG: list[Any] = ["x", 1.5, [], {}]
BOOL_WRONG: list[Any] = ["maybe", 2, [], {}]


def test_wrong_json_types_are_a_400(client: TestClient) -> None:
    made = make_pipeline(client, pipelineId="target")
    stage_id = made["stages"][0]["id"]
    pipeline_fields: dict[str, list[Any]] = {
        "label": TEXT_WRONG,
        "displayOrder": INT_WRONG,
        "pipelineId": TEXT_WRONG,
        "stages": ["x", 1, {}, True, [1], ["a"], [[]]],
    }
    for field, values in pipeline_fields.items():
        for value in values:
            body = {"label": "Wrong", "stages": [stage("S")], field: value}
            assert_error(_send(client, "POST", BASE, body), 400, "VALIDATION_ERROR")
            if field != "pipelineId":
                resp = _send(client, "PUT", f"{BASE}/target", body)
                assert_error(resp, 400, "VALIDATION_ERROR")
    for field, values in (
        ("label", TEXT_WRONG),
        ("displayOrder", INT_WRONG),
        ("archived", BOOL_WRONG),
    ):
        for value in values:
            resp = _send(client, "PATCH", f"{BASE}/target", {field: value})
            assert_error(resp, 400, "VALIDATION_ERROR")
    stage_fields: dict[str, list[Any]] = {
        "label": TEXT_WRONG,
        "displayOrder": INT_WRONG,
        "metadata": ["x", 1, [], True],
        "stageId": TEXT_WRONG,
    }
    for field, values in stage_fields.items():
        for value in values:
            body = {**stage("T"), field: value}
            resp = _send(client, "POST", f"{BASE}/target/stages", body)
            assert_error(resp, 400, "VALIDATION_ERROR")
            resp = _send(client, "PUT", f"{BASE}/target/stages/{stage_id}", body)
            assert_error(resp, 400, "VALIDATION_ERROR")
            if field != "stageId":
                resp = _send(client, "PATCH", f"{BASE}/target/stages/{stage_id}", {field: value})
                assert_error(resp, 400, "VALIDATION_ERROR")
    unchanged = client.get(f"{BASE}/target").json()
    assert unchanged["label"] == "Renewals"
    assert labels(unchanged) == labels(made)


def test_garbage_never_causes_a_500(client: TestClient) -> None:
    made = make_pipeline(client, pipelineId="target")
    stage_id = made["stages"][0]["id"]
    for n, value in enumerate(HOSTILE):
        for field in ("label", "displayOrder", "stages", "pipelineId"):
            body = {"label": f"G{n}{field}", "stages": [stage(f"S{n}")], field: value}
            _assert_not_500(_send(client, "POST", BASE, body), ("POST", field, value))
            _assert_not_500(_send(client, "PUT", f"{BASE}/target", body), ("PUT", field, value))
        for field in ("label", "displayOrder", "archived"):
            _assert_not_500(
                _send(client, "PATCH", f"{BASE}/target", {field: value}), ("PATCH", field, value)
            )
        for field in ("label", "displayOrder", "metadata", "stageId"):
            body = {**stage(f"T{n}{field}"), field: value}
            _assert_not_500(
                _send(client, "POST", f"{BASE}/target/stages", body), ("stage", field, value)
            )
            _assert_not_500(
                _send(client, "PUT", f"{BASE}/target/stages/{stage_id}", body),
                ("stage PUT", field, value),
            )
        for field in ("label", "displayOrder", "metadata", "archived"):
            _assert_not_500(
                _send(client, "PATCH", f"{BASE}/target/stages/{stage_id}", {field: value}),
                ("stage PATCH", field, value),
            )
        # Stage lists with colliding or hostile ids.
        stages = [stage("A", stageId=value), stage("B", stageId=value)]
        _assert_not_500(
            _send(client, "POST", BASE, {"label": f"Ids{n}", "stages": stages}), ("ids", value)
        )
    not_objects: list[Any] = [None, [], "x", 1, True]
    for payload in not_objects:
        for method, url in (
            ("POST", BASE),
            ("PUT", f"{BASE}/target"),
            ("PATCH", f"{BASE}/target"),
            ("POST", f"{BASE}/target/stages"),
            ("PATCH", f"{BASE}/target/stages/{stage_id}"),
            ("PUT", f"{BASE}/target/stages/{stage_id}"),
        ):
            assert_error(_send(client, method, url, payload), 400, "VALIDATION_ERROR")
    for ident in ("\x00", "²", "x" * 5000):
        for method, url in (
            ("GET", f"{BASE}/{quote(ident, safe='')}"),
            ("DELETE", f"{BASE}/{quote(ident, safe='')}"),
            ("GET", f"{BASE}/target/stages/{quote(ident, safe='')}"),
            ("DELETE", f"{BASE}/target/stages/{quote(ident, safe='')}"),
        ):
            _assert_not_500(client.request(method, url), (method, ident))
    # The default pipeline is intact.
    default = client.get(f"{BASE}/default").json()
    assert [s["id"] for s in default["stages"]] == [s[0] for s in DEFAULT_STAGES]
