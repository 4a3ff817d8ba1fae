"""Guards on query plans: the statements behind batch writes, lists and searches use the
indexes built for them instead of scanning every record.

SQLite plans without statistics on a fresh database, so its plan depends on the schema and
the SQL alone and can be asserted. PostgreSQL chooses by cost from statistics; what can be
asserted there is that every statement is planned with its actual parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from revline.kit.db import Database


@contextmanager
def captured(database: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def _keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_a: Any) -> None:
        seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", _keep)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", _keep)


def plans(database: Database, seen: list[tuple[str, Any]], table: str) -> list[str]:
    """The SQLite plan lines of every SELECT on ``table`` among ``seen``."""
    lines: list[str] = []
    with database.engine.connect() as conn:
        for statement, parameters in seen:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            if f"FROM {table}" not in statement:
                continue
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            lines.append(" | ".join(str(r[-1]) for r in rows))
    return lines


def contacts(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "properties": {
                "email": f"person{i}@plans.example",
                "lastname": f"Person{i}",
                "lifecyclestage": "lead",
                "createdate": f"2025-{1 + i % 12:02d}-15T10:00:00Z",
            }
        }
        for i in range(start, start + n)
    ]


def sqlite_only(database: Database) -> None:
    if database.dialect != "sqlite":
        pytest.skip("plans are asserted on SQLite; PostgreSQL plans by statistics")


def test_batch_unique_check_uses_the_partial_unique_index(
    client: TestClient, database: Database
) -> None:
    sqlite_only(database)
    client.post("/crm/v3/objects/contacts/batch/create", json={"inputs": contacts(100)})
    with captured(database) as seen:
        resp = client.post(
            "/crm/v3/objects/contacts/batch/create", json={"inputs": contacts(100, 100)}
        )
    assert resp.status_code == 201, resp.text
    checks = [p for p in plans(database, seen, "contacts") if "email IN" in p or "email=" in p]
    assert checks, plans(database, seen, "contacts")
    assert all("uq_contacts_email_active" in p for p in checks), checks


def test_lists_and_date_searches_never_scan_by_the_archived_flag(
    client: TestClient, database: Database
) -> None:
    sqlite_only(database)
    client.post("/crm/v3/objects/contacts/batch/create", json={"inputs": contacts(100)})
    with captured(database) as seen:
        assert client.get("/crm/v3/objects/contacts", params={"limit": 10}).status_code == 200
        resp = client.post(
            "/crm/v3/objects/contacts/search",
            json={
                "filterGroups": [
                    {
                        "filters": [
                            {
                                "propertyName": "createdate",
                                "operator": "BETWEEN",
                                "value": "2025-03-01T00:00:00Z",
                                "highValue": "2025-03-31T23:59:59Z",
                            }
                        ]
                    }
                ],
                "sorts": ["createdate"],
            },
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["total"] == 9
    found = plans(database, seen, "contacts")
    assert found
    for plan in found:
        # A list page walks the primary key in order and stops at the limit ("SCAN
        # contacts" with no sort step); nothing reaches for the archived flag.
        assert "ix_contacts_archived" not in plan, plan
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
    date_search = [p for p in found if "created_at" in p]
    assert date_search, found
    assert all("SEARCH contacts USING INDEX ix_contacts_created_at" in p for p in date_search)


def test_postgresql_plans_each_statement_with_its_parameters(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"


def test_broad_searches_are_answered_from_the_live_index(
    client: TestClient, database: Database
) -> None:
    """A match on a fifth of the records (lifecycle stage IN two values) is counted and paged
    from the partial live index without reading the table."""
    sqlite_only(database)
    client.post("/crm/v3/objects/contacts/batch/create", json={"inputs": contacts(100)})
    with captured(database) as seen:
        resp = client.post(
            "/crm/v3/objects/contacts/search",
            json={
                "filterGroups": [
                    {
                        "filters": [
                            {
                                "propertyName": "lifecyclestage",
                                "operator": "IN",
                                "values": ["lead", "customer"],
                            }
                        ]
                    }
                ],
                "limit": 10,
            },
        )
    assert resp.status_code == 200, resp.text
    assert resp.json()["total"] == 100
    statements = [(sql, params) for sql, params in seen if "lifecyclestage IN" in sql]
    assert len(statements) == 2  # the page and the count
    # Only terms the partial index covers (its own columns and archived = 0): one more
    # column, such as merged_into_id, would send every match to the table (30 times slower
    # on a million contacts).
    assert all("merged_into_id" not in sql.split("WHERE", 1)[1] for sql, _ in statements)
    found = plans(database, statements, "contacts")
    assert all(
        p.startswith("SEARCH contacts USING INDEX ix_contacts_lifecyclestage_created")
        for p in found
    ), found
