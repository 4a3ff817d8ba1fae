"""Guards against N+1 queries: reading a page costs the same number of SQL statements
whether it holds 5 records or 100."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from starlette.testclient import TestClient

from revline.crm.associations import service as associations
from revline.crm.associations.service import AssociationSpec
from revline.crm.object_types import COMPANIES, CONTACTS
from revline.crm.records import service as records
from revline.kit.db import Database


@contextmanager
def counting(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", _count)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", _count)


def seed(database: Database, n: int) -> None:
    with database.unit_of_work() as s:
        company = records.create_record(s, COMPANIES, {"name": "Acme", "domain": "acme.example"})
        for i in range(n):
            contact = records.create_record(
                s, CONTACTS, {"email": f"p{i}@acme.example", "firstname": f"P{i}"}
            )
            associations.associate(
                s, "contacts", contact.id, AssociationSpec("companies", company.id, 279)
            )
            records.update_record(s, CONTACTS, str(contact.id), {"email": f"q{i}@acme.example"})


def statements_for(database: Database, call: Any) -> int:
    call()  # warm up: the first request of a token also stamps its last use
    with counting(database) as seen:
        resp = call()
    assert resp.status_code == 200, resp.text
    return len(seen)


def test_list_with_associations_and_history_is_not_n_plus_1(
    client: TestClient, database: Database
) -> None:
    seed(database, 110)

    def page(limit: int) -> Any:
        def call() -> Any:
            resp = client.get(
                "/crm/v3/objects/contacts",
                params={
                    "limit": limit,
                    "associations": "companies",
                    "propertiesWithHistory": "email",
                },
            )
            assert len(resp.json()["results"]) == limit
            assert "associations" in resp.json()["results"][-1]
            return resp

        return call

    small, large = statements_for(database, page(5)), statements_for(database, page(100))
    assert large == small, (small, large)


def test_search_is_not_n_plus_1(client: TestClient, database: Database) -> None:
    seed(database, 110)

    def page(limit: int) -> Any:
        def call() -> Any:
            resp = client.post(
                "/crm/v3/objects/contacts/search",
                json={
                    "filterGroups": [
                        {
                            "filters": [
                                {
                                    "propertyName": "email",
                                    "operator": "CONTAINS_TOKEN",
                                    "value": "*@acme.example",
                                }
                            ]
                        }
                    ],
                    "query": "p",
                    "sorts": ["-createdate"],
                    "properties": ["email", "firstname"],
                    "limit": limit,
                },
            )
            assert len(resp.json()["results"]) == limit
            return resp

        return call

    small, large = statements_for(database, page(5)), statements_for(database, page(100))
    assert large == small, (small, large)
    # Authentication, the property catalog, the page and the count: a handful, not dozens.
    assert large <= 8, large
