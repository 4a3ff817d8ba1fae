"""The `revline` command line against a temporary SQLite file."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from revline import demo
from revline.app import create_app
from revline.config import Settings
from tests.cli_support import run

# Wide enough that rich never wraps a line we look at.
TOKEN = re.compile(r"pat-rl1-[A-Za-z0-9_-]+")


@pytest.fixture
def api(db_url: str) -> Iterator[TestClient]:
    application = create_app(Settings(database_url=db_url, auto_migrate=False))
    with TestClient(application) as client:
        yield client
    application.state.db.dispose()


def _get(client: TestClient, token: str, path: str) -> int:
    return int(client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code)


def test_db_upgrade_is_repeatable(db_url: str) -> None:
    result = run("db", "upgrade", "--database-url", db_url)
    assert result.exit_code == 0, result.output


def test_users_create_and_list(db_url: str) -> None:
    result = run(
        "users", "create", "--email", "Ada@Example.com", "--first-name", "Ada",
        "--last-name", "Lovelace", "--role", "sales_manager", "--team", "Enterprise",
        "--database-url", db_url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created user" in result.output and "<ada@example.com>" in result.output

    again = run("users", "create", "--email", "ada@example.com", "--database-url", db_url)
    assert again.exit_code == 1
    assert "error:" in again.output
    assert "already exists" in again.output

    bad_role = run("users", "create", "--email", "bob@example.com", "--role", "boss",
                   "--database-url", db_url)  # fmt: skip
    assert bad_role.exit_code == 1
    assert "role must be one of" in bad_role.output

    run("users", "create", "--email", "bob@example.com", "--database-url", db_url)
    listed = run("users", "list", "--database-url", db_url)
    assert listed.exit_code == 0, listed.output
    assert "ada@example.com" in listed.output and "Ada Lovelace" in listed.output
    assert "sales_manager" in listed.output
    assert "bob@example.com" in listed.output and "sales_rep" in listed.output


def test_tokens_create_list_and_revoke(db_url: str, api: TestClient) -> None:
    created = run("tokens", "create", "--name", "ci", "--database-url", db_url)
    assert created.exit_code == 0, created.output
    token = created.output.strip()
    assert TOKEN.fullmatch(token), created.output  # bare, so scripts can capture it

    assert _get(api, token, "/crm/v3/objects/contacts") == 200
    assert _get(api, token + "x", "/crm/v3/objects/contacts") == 401

    listed = run("tokens", "list", "--database-url", db_url)
    assert listed.exit_code == 0, listed.output
    assert "ci" in listed.output and token[:14] in listed.output
    assert token not in listed.output  # never the secret

    line = next(row for row in listed.output.splitlines() if token[:14] in row)
    token_id = re.findall(r"\d+", line)[0]
    revoked = run("tokens", "revoke", token_id, "--database-url", db_url)
    assert revoked.exit_code == 0, revoked.output
    assert f"Token {token_id} revoked" in revoked.output
    assert _get(api, token, "/crm/v3/objects/contacts") == 401

    missing = run("tokens", "revoke", "999", "--database-url", db_url)
    assert missing.exit_code == 1
    assert "does not exist" in missing.output


def test_tokens_for_a_user(db_url: str, api: TestClient) -> None:
    run("users", "create", "--email", "rep@example.com", "--database-url", db_url)
    created = run("tokens", "create", "--name", "rep", "--user-email", "rep@example.com",
                  "--database-url", db_url)  # fmt: skip
    assert created.exit_code == 0, created.output
    assert _get(api, created.output.strip(), "/crm/v3/owners") == 200

    unknown = run("tokens", "create", "--name", "x", "--user-email", "nobody@example.com",
                  "--database-url", db_url)  # fmt: skip
    assert unknown.exit_code == 1
    assert "no user with email nobody@example.com" in unknown.output


def test_demo_builds_a_workspace_and_prints_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default demo is sized for people (2,000 contacts); a small one keeps this test quick.
    monkeypatch.setattr(
        demo, "generate", functools.partial(demo.generate, scale=0.04, today=date(2025, 6, 2))
    )
    url = f"sqlite:///{tmp_path / 'demo.db'}"

    first = run("demo", "--no-serve", "--reset", "--seed", "3", "--database-url", url)
    assert first.exit_code == 0, first.output
    assert "Demo workspace (seed 3" in first.output
    assert "API token:" in first.output
    token = TOKEN.search(first.output)
    assert token is not None

    application = create_app(Settings(database_url=url, auto_migrate=False))
    with TestClient(application, headers={"Authorization": f"Bearer {token.group()}"}) as c:
        deals = c.get("/crm/v3/objects/deals", params={"limit": 100}).json()["results"]
        assert len(deals) >= 7
        owners = c.get("/crm/v3/owners").json()["results"]
        assert any(o["email"].endswith("@revline.example") for o in owners)
    application.state.db.dispose()

    again = run("demo", "--no-serve", "--database-url", url)
    assert again.exit_code == 0, again.output
    assert "already there" in again.output
    assert TOKEN.search(again.output)

    fresh = run("demo", "--no-serve", "--reset", "--seed", "3", "--database-url", url)
    assert fresh.exit_code == 0, fresh.output
    assert "already there" not in fresh.output
    assert "Demo workspace (seed 3" in fresh.output


def test_lifecycle_stages_and_lead_statuses_from_the_cli(db_url: str) -> None:
    result = run(
        "lifecycle",
        "add-stage",
        "trial",
        "Trial",
        "--before",
        "opportunity",
        "--database-url",
        db_url,
    )
    assert result.exit_code == 0, result.output
    assert "hs_lifecyclestage_trial_date" in result.output
    result = run("lifecycle", "rename-stage", "trial", "Free trial", "--database-url", db_url)
    assert result.exit_code == 0 and "Free trial" in result.output
    order = [
        "subscriber",
        "lead",
        "trial",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
        "customer",
        "evangelist",
        "other",
    ]
    result = run("lifecycle", "reorder-stages", *order, "--database-url", db_url)
    assert result.exit_code == 0, result.output
    listed = run("lifecycle", "stages", "--database-url", db_url).output
    rows = [[c.strip() for c in line.split("│")] for line in listed.splitlines() if "│" in line]
    assert [r[2] for r in rows] == order, listed
    result = run("lifecycle", "archive-stage", "trial", "--database-url", db_url)
    assert result.exit_code == 0 and "yes" in result.output
    bad = run("lifecycle", "reorder-stages", "lead", "--database-url", db_url)
    assert bad.exit_code == 1 and "every lifecycle stage" in bad.output

    result = run(
        "lifecycle",
        "add-lead-status",
        "NURTURING",
        "Nurturing",
        "--group",
        "working",
        "--database-url",
        db_url,
    )
    assert result.exit_code == 0 and "NURTURING" in result.output
    result = run(
        "lifecycle", "set-lead-status-group", "NURTURING", "open", "--database-url", db_url
    )
    assert result.exit_code == 0, result.output
    bad = run("lifecycle", "set-lead-status-group", "NURTURING", "later", "--database-url", db_url)
    assert bad.exit_code == 1 and "group must be one of" in bad.output

    result = run(
        "lifecycle", "settings", "--set", "dealCreatedToOpportunity=false", "--database-url", db_url
    )
    assert result.exit_code == 0 and "dealCreatedToOpportunity: off" in result.output
    assert "dealWonToCustomer: on" in run("lifecycle", "settings", "--database-url", db_url).output
    bad = run("lifecycle", "settings", "--set", "nope=true", "--database-url", db_url)
    assert bad.exit_code == 1


def test_convert_a_contact_from_the_cli(db_url: str, api: TestClient) -> None:
    token = TOKEN.search(run("tokens", "create", "--name", "t", "--database-url", db_url).output)
    assert token is not None
    headers = {"Authorization": f"Bearer {token.group(0)}"}
    resp = api.post(
        "/crm/v3/objects/contacts",
        json={"properties": {"email": "ada@initech.example", "company": "Initech"}},
        headers=headers,
    )
    contact = resp.json()["id"]
    result = run(
        "contacts", "convert", contact, "--deal", "--amount", "5000", "--database-url", db_url
    )
    assert result.exit_code == 0, result.output
    assert "company: " in result.output and "(created)" in result.output
    assert "lifecycle stage: opportunity, lead status: OPEN_DEAL" in result.output
    again = run("contacts", "convert", contact, "--deal", "--database-url", db_url)
    assert again.exit_code == 0 and "already converted" in again.output
    missing = run("contacts", "convert", "999999", "--database-url", db_url)
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_duplicate_scan_and_merge_from_the_cli(db_url: str, api: TestClient) -> None:
    token = TOKEN.search(run("tokens", "create", "--name", "d", "--database-url", db_url).output)
    assert token is not None
    headers = {"Authorization": f"Bearer {token.group(0)}"}
    ids = []
    for email in ("mei.ling@gmail.com", "meiling+news@gmail.com", "other@example.org"):
        resp = api.post(
            "/crm/v3/objects/contacts", json={"properties": {"email": email}}, headers=headers
        )
        ids.append(resp.json()["id"])
    result = run("duplicates", "scan", "--object", "contacts", "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert "3 contacts scanned" in result.output and "1 clusters (2 records)" in result.output
    assert f"{ids[0]}, {ids[1]}" in result.output and "email_normalized" in result.output
    merged = run("duplicates", "scan", "--merge", "--database-url", db_url)
    assert merged.exit_code == 0 and "Merged 1 records" in merged.output
    again = run("duplicates", "scan", "--database-url", db_url)
    assert "2 contacts scanned" in again.output and "0 clusters" in again.output
    bad = run("duplicates", "scan", "--object", "calls", "--database-url", db_url)
    assert bad.exit_code == 1


def test_routing_from_the_cli(db_url: str, api: TestClient, tmp_path: Path) -> None:
    for i in range(2):
        assert (
            run(
                "users",
                "create",
                "--email",
                f"r{i}@x.example",
                "--team",
                "Inside",
                "--database-url",
                db_url,
            ).exit_code
            == 0
        )
    spec = tmp_path / "rule.json"
    spec.write_text(json.dumps({"name": "Inside sales", "team": "Inside", "method": "round_robin"}))
    result = run("routing", "add", str(spec), "--database-url", db_url)
    assert result.exit_code == 0 and "Added routing rule" in result.output, result.output
    assert "Inside sales" in run("routing", "rules", "--database-url", db_url).output
    assert (
        "is unavailable"
        in run("routing", "availability", "1", "--unavailable", "--database-url", db_url).output
    )
    token = TOKEN.search(run("tokens", "create", "--name", "r", "--database-url", db_url).output)
    assert token is not None
    resp = api.post(
        "/crm/v3/objects/contacts",
        json={"properties": {"email": "new@x.example", "hs_lead_status": "NEW"}},
        headers={"Authorization": f"Bearer {token.group(0)}"},
    )
    assert resp.status_code == 201
    owner = api.get(
        f"/crm/v3/objects/contacts/{resp.json()['id']}?properties=hubspot_owner_id",
        headers={"Authorization": f"Bearer {token.group(0)}"},
    ).json()["properties"]["hubspot_owner_id"]
    assert owner == "2"
    table = run("routing", "workload", "--database-url", db_url).output
    assert "NEW 1" in table
    spec.write_text(json.dumps({"name": "x", "team": "Nope"}))
    assert run("routing", "add", str(spec), "--database-url", db_url).exit_code == 1
    spec.write_text("not json")
    assert run("routing", "add", str(spec), "--database-url", db_url).exit_code == 1
