"""`revline quotas` and `revline forecast` against a temporary SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_support import run


@pytest.fixture
def db_url(db_url: str) -> str:
    """The migrated file, with two reps in one team."""
    url = db_url
    for email, team in (("ann@example.com", "East"), ("ben@example.com", "East")):
        made = run("users", "create", "--email", email, "--team", team, "--database-url", url)
        assert made.exit_code == 0, made.output
    return url


def test_quotas_set_list_and_load(db_url: str, tmp_path: Path) -> None:
    ok = run(
        "quotas", "set", "--owner", "ann@example.com", "--period", "2026-Q4",
        "--amount", "150000", "--database-url", db_url,
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "2026-Q4, 150000.00" in ok.output
    team = run(
        "quotas", "set", "--team", "East", "--period", "2026-11", "--amount", "90000",
        "--database-url", db_url,
    )  # fmt: skip
    assert team.exit_code == 0, team.output
    unknown = run(
        "quotas", "set", "--team", "Nowhere", "--period", "2026-Q4", "--amount", "1",
        "--database-url", db_url,
    )  # fmt: skip
    assert unknown.exit_code == 1
    assert "Team Nowhere does not exist" in unknown.output

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "owner_email,team,period,amount\n"
        "ben@example.com,,2026-Q4,50000\n"
        "nobody@example.com,,2026-Q4,1\n"
        ",East,2026-Q9,1\n"
    )
    refused = run("quotas", "load", str(bad), "--database-url", db_url)
    assert refused.exit_code == 1
    assert "2 bad row(s); nothing was stored" in refused.output
    assert "line 3" in refused.output and "line 4" in refused.output

    good = tmp_path / "good.csv"
    good.write_text("owner_email,team,period,amount\nben@example.com,,2026-Q4,50000\n")
    loaded = run("quotas", "load", str(good), "--database-url", db_url)
    assert loaded.exit_code == 0, loaded.output
    assert "Loaded 1 quota(s)" in loaded.output

    listed = run("quotas", "list", "--period", "2026-Q4", "--database-url", db_url)
    assert listed.exit_code == 0, listed.output
    assert "150000.00" in listed.output and "50000.00" in listed.output
    assert "90000.00" in listed.output  # the team's November row belongs to the quarter


def test_forecast_show_snapshot_and_accuracy(db_url: str) -> None:
    run(
        "quotas", "set", "--owner", "ann@example.com", "--period", "2026-Q4",
        "--amount", "100000", "--database-url", db_url,
    )  # fmt: skip
    shown = run(
        "forecast", "show", "--period", "2026-Q4", "--group-by", "team", "--database-url", db_url
    )
    assert shown.exit_code == 0, shown.output
    assert "East" in shown.output and "100000.00" in shown.output
    assert "appointmentscheduled" not in shown.output  # stages by label
    bad = run("forecast", "show", "--period", "Q4", "--database-url", db_url)
    assert bad.exit_code == 1 and "period must be a quarter" in bad.output

    snap = run("forecast", "snapshot", "--date", "2025-02-01", "--database-url", db_url)
    assert snap.exit_code == 0, snap.output
    assert "Stored 6 snapshot row(s) for 2025-02-01" in snap.output  # total x 3 x 2 periods
    assert (
        run("forecast", "snapshot", "--date", "2025-13-01", "--database-url", db_url).exit_code == 1
    )

    acc = run("forecast", "accuracy", "--period", "2025-Q1", "--database-url", db_url)
    assert acc.exit_code == 0, acc.output
    assert "Snapshot days: 2025-02-01" in acc.output
    early = run("forecast", "accuracy", "--period", "2999-Q1", "--database-url", db_url)
    assert early.exit_code == 1 and "has not ended" in early.output
