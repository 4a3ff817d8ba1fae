"""Authentication of every API call, and /crm/v3/owners."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from revline.auth import service as auth_service
from revline.errors import Conflict, NotFound, Unauthorized, ValidationError
from revline.kit.db import Database
from revline.models import ApiToken, User

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ERROR_KEYS = {"status", "message", "correlationId", "category", "errors", "context", "links"}
OWNER_KEYS = {
    "id",
    "email",
    "firstName",
    "lastName",
    "userId",
    "userIdIncludingInactive",
    "type",
    "createdAt",
    "updatedAt",
    "archived",
    "teams",
}

# One call of every kind; a missing or bad token must be refused before anything else.
PROTECTED: list[tuple[str, str, Any]] = [
    ("GET", "/crm/v3/objects/contacts", None),
    ("POST", "/crm/v3/objects/contacts", {"properties": {"email": "a@b.co"}}),
    ("POST", "/crm/v3/objects/contacts", "not even an object"),
    ("GET", "/crm/v3/objects/contacts/1", None),
    ("PATCH", "/crm/v3/objects/contacts/1", {"properties": {}}),
    ("DELETE", "/crm/v3/objects/contacts/1", None),
    ("POST", "/revline/v1/objects/contacts/1/restore", None),
    ("GET", "/crm/v3/objects/widgets", None),
    ("GET", "/crm/v3/properties/contacts", None),
    ("GET", "/crm/v3/properties/contacts/email", None),
    ("POST", "/crm/v3/properties/contacts", {"name": "x"}),
    ("DELETE", "/crm/v3/properties/contacts/email", None),
    ("GET", "/crm/v3/properties/contacts/groups", None),
    ("GET", "/crm/v3/pipelines/deals", None),
    ("POST", "/crm/v3/pipelines/deals", {"label": "x", "stages": []}),
    ("DELETE", "/crm/v3/pipelines/deals/default", None),
    ("GET", "/crm/v3/pipelines/deals/default/stages", None),
    ("GET", "/crm/v3/owners", None),
    ("GET", "/crm/v3/owners/", None),
    ("GET", "/crm/v3/owners/1", None),
]


def assert_error(resp: httpx.Response, status: int, category: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert set(body) >= ERROR_KEYS, body
    assert body["status"] == "error"
    assert body["category"] == category
    assert body["message"]
    assert re.fullmatch(r"[0-9a-f-]{36}", body["correlationId"])
    assert body["links"] == {}
    return body


def make_user(database: Database, email: str, **kwargs: Any) -> int:
    with database.unit_of_work() as session:
        return auth_service.create_user(session, email=email, **kwargs).id


# --- authentication ---------------------------------------------------------------------


def test_every_api_call_needs_a_valid_bearer_token(
    anon_client: TestClient, database: Database, token: str
) -> None:
    with database.unit_of_work() as session:
        issued = auth_service.create_token(session, name="soon revoked")
    with database.unit_of_work() as session:
        auth_service.revoke_token(session, issued.id)

    cases = {
        "missing": {},
        "empty": {"Authorization": ""},
        "wrong scheme": {"Authorization": f"Basic {token}"},
        "scheme only": {"Authorization": "Bearer"},
        "blank token": {"Authorization": "Bearer    "},
        "unknown token": {"Authorization": "Bearer pat-rl1-not-a-real-token"},
        "tampered token": {"Authorization": f"Bearer {token}x"},
        "revoked token": {"Authorization": f"Bearer {issued.token}"},
        "very long token": {"Authorization": "Bearer " + "x" * 10_000},
    }
    for what, headers in cases.items():
        for method, url, payload in PROTECTED:
            resp = anon_client.request(method, url, json=payload, headers=headers)
            body = assert_error(resp, 401, "INVALID_AUTHENTICATION")
            assert resp.headers["content-type"].startswith("application/json"), what
            assert body["errors"] == [] and body["context"] == {}, what
    missing = anon_client.get("/crm/v3/objects/contacts").json()
    assert "Bearer" in missing["message"]
    bad = anon_client.get(
        "/crm/v3/objects/contacts", headers={"Authorization": f"Bearer {issued.token}"}
    ).json()
    assert bad["subCategory"] == "INVALID_TOKEN"

    # The real token works, with any case of the scheme and stray spaces.
    for header in (f"Bearer {token}", f"bearer {token}", f"BEARER {token}", f"  Bearer {token} "):
        resp = anon_client.get("/crm/v3/objects/contacts", headers={"Authorization": header})
        assert resp.status_code == 200, (header, resp.text)
    # Health needs no token.
    assert anon_client.get("/health").json() == {"status": "ok"}


def test_revoking_a_token_stops_it_at_once(app: FastAPI, database: Database) -> None:
    with database.unit_of_work() as session:
        issued = auth_service.create_token(session, name="ci")
    assert issued.token.startswith(auth_service.TOKEN_PREFIX)
    with TestClient(app, headers={"Authorization": f"Bearer {issued.token}"}) as client:
        assert client.get("/crm/v3/objects/contacts").status_code == 200
        with database.unit_of_work() as session:
            auth_service.revoke_token(session, issued.id)
        assert_error(client.get("/crm/v3/objects/contacts"), 401, "INVALID_AUTHENTICATION")
        assert_error(
            client.post("/crm/v3/objects/contacts", json={"properties": {}}),
            401,
            "INVALID_AUTHENTICATION",
        )
    with database.unit_of_work() as session:
        rows = {t.id: t for t in auth_service.list_tokens(session)}
        assert rows[issued.id].revoked_at is not None
        # Only a digest is stored, never the secret.
        assert rows[issued.id].token_hash == auth_service.hash_token(issued.token)
        assert issued.token not in (rows[issued.id].token_hash, rows[issued.id].prefix)


def test_token_and_user_rules_in_the_service(database: Database) -> None:
    with database.unit_of_work() as session:
        with pytest.raises(ValidationError):
            auth_service.create_token(session, name="   ")
        with pytest.raises(NotFound):
            auth_service.create_token(session, name="x", user_id=424242)
        with pytest.raises(NotFound):
            auth_service.revoke_token(session, 424242)
        for bad in ({"email": "not-an-email"}, {"email": "a\x00@b.co"}):
            with pytest.raises(ValidationError):
                auth_service.create_user(session, **bad)
        with pytest.raises(ValidationError):
            auth_service.create_user(session, email="a@b.co", role="king")
        with pytest.raises(ValidationError):
            auth_service.create_user(session, email="a@b.co", owner_type="ROBOT")
        user = auth_service.create_user(session, email=" Rep@Example.com ", first_name="Rita")
        assert user.email == "rep@example.com"
        with pytest.raises(Conflict) as clash:
            auth_service.create_user(session, email="REP@example.com")
        assert f"Existing ID: {user.id}" in clash.value.message
        issued = auth_service.create_token(session, name="personal", user_id=user.id)
        principal = auth_service.authenticate(session, f"Bearer {issued.token}")
        assert (principal.token_name, principal.user_id) == ("personal", user.id)
        for header in (None, "", "Token abc", f"Bearer {issued.token[:-1]}"):
            with pytest.raises(Unauthorized):
                auth_service.authenticate(session, header)

    # last_used_at is kept, but written at most every few minutes.
    with database.unit_of_work() as session:
        row = session.get(ApiToken, issued.id)
        assert row is not None and row.last_used_at is not None
        first_use = row.last_used_at
    with database.unit_of_work() as session:
        auth_service.authenticate(session, f"Bearer {issued.token}")
    with database.unit_of_work() as session:
        row = session.get(ApiToken, issued.id)
        assert row is not None and row.last_used_at == first_use
        row.last_used_at = first_use - timedelta(hours=1)
    with database.unit_of_work() as session:
        auth_service.authenticate(session, f"Bearer {issued.token}")
    with database.unit_of_work() as session:
        row = session.get(ApiToken, issued.id)
        assert row is not None and row.last_used_at is not None
        assert row.last_used_at > first_use - timedelta(hours=1)


# --- owners -----------------------------------------------------------------------------


def test_owners_list_with_and_without_trailing_slash(
    client: TestClient, database: Database
) -> None:
    assert client.get("/crm/v3/owners").json() == {"results": []}
    rita = make_user(database, "rita@example.com", first_name="Rita", last_name="Rep", team="EMEA")
    queue = make_user(database, "inbound@example.com", owner_type="QUEUE")

    plain = client.get("/crm/v3/owners")
    slash = client.get("/crm/v3/owners/", follow_redirects=False)
    double = client.get("http://testserver//crm/v3/owners/", follow_redirects=False)
    json_get = client.get("/crm/v3/owners", headers={"Content-Type": "application/json"})
    for resp in (plain, slash, double, json_get):
        assert resp.status_code == 200, resp.text
        assert resp.json() == plain.json()
    results = plain.json()["results"]
    assert [o["id"] for o in results] == [str(rita), str(queue)]
    assert "paging" not in plain.json()
    owner = results[0]
    assert set(owner) == OWNER_KEYS
    assert owner["email"] == "rita@example.com"
    assert (owner["firstName"], owner["lastName"], owner["type"]) == ("Rita", "Rep", "PERSON")
    assert owner["userId"] == rita
    assert owner["archived"] is False
    assert ISO_MS.match(owner["createdAt"]) and ISO_MS.match(owner["updatedAt"])
    assert [(t["name"], t["primary"]) for t in owner["teams"]] == [("EMEA", True)]
    assert re.fullmatch(r"\d+", owner["teams"][0]["id"])
    assert results[1]["type"] == "QUEUE"
    assert (results[1]["firstName"], results[1]["lastName"]) == ("", "")
    assert results[1]["teams"] == []

    by_email = client.get("/crm/v3/owners", params={"email": "RITA@example.com"}).json()
    assert [o["id"] for o in by_email["results"]] == [str(rita)]
    assert client.get("/crm/v3/owners", params={"email": "nobody@example.com"}).json() == {
        "results": []
    }
    assert client.get("/crm/v3/owners", params={"email": "a\x00b"}).json() == {"results": []}


def test_owners_paging_and_reading_one(client: TestClient, database: Database) -> None:
    ids = [str(make_user(database, f"rep{i}@example.com")) for i in range(5)]
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    pages = 0
    while True:
        page = client.get("/crm/v3/owners/", params=params).json()
        pages += 1
        seen += [o["id"] for o in page["results"]]
        if "paging" not in page:
            break
        link = urlsplit(page["paging"]["next"]["link"])
        assert parse_qs(link.query)["after"] == [page["paging"]["next"]["after"]]
        params = {"limit": 2, "after": page["paging"]["next"]["after"]}
    assert (pages, seen) == (3, ids)
    assert len(client.get("/crm/v3/owners", params={"limit": 500}).json()["results"]) == 5
    for limit in ("0", "501", "-1", "x"):
        assert_error(client.get("/crm/v3/owners", params={"limit": limit}), 400, "VALIDATION_ERROR")
    for after in ("x", "²", "9" * 30):
        assert_error(client.get("/crm/v3/owners", params={"after": after}), 400, "VALIDATION_ERROR")

    one = client.get(f"/crm/v3/owners/{ids[2]}")
    assert one.status_code == 200, one.text
    assert one.json()["email"] == "rep2@example.com"
    assert client.get(f"/crm/v3/owners/{ids[2]}/").json() == one.json()
    assert client.get(f"/crm/v3/owners/{ids[2]}", params={"idProperty": "userId"}).json() == (
        one.json()
    )
    assert_error(
        client.get(f"/crm/v3/owners/{ids[2]}", params={"idProperty": "email"}),
        400,
        "VALIDATION_ERROR",
    )
    for missing in ("999999", "abc", "-1", "²", "9" * 30, "\x00"):
        resp = client.get(f"/crm/v3/owners/{quote(missing, safe='')}")
        body = assert_error(resp, 404, "OBJECT_NOT_FOUND")
        assert body["context"] == {"ownerId": [missing]}


def test_archived_owners(client: TestClient, database: Database) -> None:
    active = make_user(database, "active@example.com")
    gone = make_user(database, "gone@example.com")
    with database.unit_of_work() as session:
        user = session.get(User, gone)
        assert user is not None
        user.archived = True
    assert [o["id"] for o in client.get("/crm/v3/owners").json()["results"]] == [str(active)]
    archived = client.get("/crm/v3/owners", params={"archived": "true"}).json()["results"]
    assert [(o["id"], o["archived"]) for o in archived] == [(str(gone), True)]
    assert_error(client.get(f"/crm/v3/owners/{gone}"), 404, "OBJECT_NOT_FOUND")
    assert client.get(f"/crm/v3/owners/{gone}", params={"archived": "True"}).status_code == 200
    # Records cannot be given to an archived owner.
    resp = client.post(
        "/crm/v3/objects/contacts", json={"properties": {"hubspot_owner_id": str(gone)}}
    )
    body = assert_error(resp, 400, "VALIDATION_ERROR")
    assert body["errors"][0]["code"] == "INVALID_OWNER_ID"
    ok = client.post(
        "/crm/v3/objects/contacts", json={"properties": {"hubspot_owner_id": str(active)}}
    )
    assert ok.status_code == 201, ok.text
