"""Report statements run side by side still read one state of the database."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from revline.kit.db import Database
from revline.kit.db.parallel import run_side_by_side

NOW = "2026-01-01 00:00:00"


def _add_contact(database: Database, email: str) -> None:
    with database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO contacts (email, custom, created_at, updated_at, archived) "
                "VALUES (:e, '{}', :t, :t, false)"
            ),
            {"e": email, "t": NOW},
        )


def _count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM contacts")).scalar_one())


def test_reads_give_their_results_in_order(database: Database) -> None:
    _add_contact(database, "a@x.example")
    with database.unit_of_work() as session:
        results = run_side_by_side(session, [_count, lambda s: "second", _count])
    assert results == [1, "second", 1]


def test_reads_share_the_callers_snapshot(database: Database) -> None:
    """A write committed while the reads run is seen by none of them: each read works on
    the state of the moment they were started."""
    if database.dialect != "postgresql":
        pytest.skip("SQLite runs the reads in the caller's transaction, which holds the lock")
    _add_contact(database, "a@x.example")

    def late_count(session: Session) -> int:
        time.sleep(0.5)  # the other read commits its write meanwhile
        return _count(session)

    def write_elsewhere(_session: Session) -> str:
        _add_contact(database, "b@x.example")
        return "written"

    with database.unit_of_work() as session:
        results = run_side_by_side(session, [late_count, write_elsewhere])
    assert results == [1, "written"]
    with database.unit_of_work() as session:
        assert _count(session) == 2
