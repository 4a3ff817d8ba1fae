"""`revline pipelines health` and `revline deals stuck` against a temporary SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from revline.crm.object_types import DEALS
from revline.crm.pipelines import service as pipelines
from revline.crm.records import service as records
from revline.kit.db import Database
from tests.cli_support import run


def test_pipeline_health_from_the_cli(db_url: str) -> None:
    db = Database(db_url)
    with db.unit_of_work() as session:
        won = records.create_record(
            session,
            DEALS,
            {"dealname": "Won", "amount": "1200"},
            now=datetime(2026, 1, 2, tzinfo=UTC),
        )
        records.update_record(
            session,
            DEALS,
            str(won.id),
            {"dealstage": "closedwon"},
            now=datetime(2026, 1, 8, tzinfo=UTC),
        )
    db.dispose()
    result = run(
        "pipelines",
        "health",
        "default",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--database-url",
        db_url,
    )
    assert result.exit_code == 0, result.output
    assert "Sales Pipeline (default), 2026-01-01 to 2026-01-31, amounts in USD" in result.output
    assert "Won: 1 deals, 1200.00" in result.output
    assert "Win rate: 1.0000" in result.output
    assert "Average sales cycle (days): 6.0" in result.output
    # No open deals: velocity is 0 per day.
    assert "Pipeline velocity per day: 0.00" in result.output

    bad = run(
        "pipelines",
        "health",
        "default",
        "--from",
        "2026-02-01",
        "--to",
        "2026-01-01",
        "--database-url",
        db_url,
    )
    assert bad.exit_code == 1
    assert "must not be after" in bad.output
    missing = run("pipelines", "health", "nope", "--database-url", db_url)
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_stuck_deals_from_the_cli(db_url: str) -> None:
    db = Database(db_url)
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        records.create_record(
            session,
            DEALS,
            {"dealname": "Stale", "amount": "99"},
            now=now - timedelta(days=30, hours=1),
        )
    db.dispose()
    assert run("deals", "stuck", "--database-url", db_url).output.startswith("No stuck deals.")

    db = Database(db_url)
    with db.unit_of_work() as session:
        pipelines.update_stage(
            session,
            "deals",
            "default",
            "appointmentscheduled",
            label=None,
            display_order=None,
            metadata={"rotDays": "10"},
            archived=None,
        )
    db.dispose()
    result = run("deals", "stuck", "--pipeline", "default", "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert "Stale" in result.output
    assert "30.0" in result.output and "10.0 (rot_days)" in result.output
    assert "Qualified To Buy (qualifiedtobuy): only 0 stays" in result.output
    bad = run("deals", "stuck", "--owner", "me", "--database-url", db_url)
    assert bad.exit_code == 1 and "owner must be an owner id" in bad.output
