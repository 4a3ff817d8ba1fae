"""`revline rates` and `revline currency` against a temporary SQLite file."""

from __future__ import annotations

from pathlib import Path

from tests.cli_support import run


def test_rates_and_home_currency_from_the_cli(db_url: str, tmp_path: Path) -> None:
    result = run("currency", "home", "--database-url", db_url)
    assert (result.exit_code, result.output.strip()) == (0, "Home currency: USD")
    result = run("currency", "home", "chf", "--database-url", db_url)
    assert (result.exit_code, result.output.strip()) == (0, "Home currency set to CHF")
    result = run("currency", "home", "EURO", "--database-url", db_url)
    assert result.exit_code == 1 and "not a three-letter" in result.output

    bad = tmp_path / "bad.csv"
    bad.write_text("currency,effective_from,rate\nEUR,2026-01-01,0.95\nGBP,2026-02-30,0\n")
    result = run("rates", "load", str(bad), "--database-url", db_url)
    assert result.exit_code == 1, result.output
    assert "2 problem(s) in the CSV; no rate was stored" in result.output
    assert "line 3, effective_from: '2026-02-30' is not a valid date" in result.output
    assert "line 3, rate: '0' is not a positive number" in result.output
    assert "EUR" not in run("rates", "list", "--database-url", db_url).output

    good = tmp_path / "good.csv"
    good.write_text(
        "currency,effective_from,rate\nEUR,2026-01-01,1.05\nEUR,2025-01-01,1.1\nGBP,2026-01-01,0.9\n"
    )
    result = run("rates", "load", str(good), "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert "Loaded 3 rate(s) (3 new, 0 replaced) for EUR, GBP; 0 deal(s) recomputed" in (
        result.output
    )
    result = run("rates", "list", "--currency", "eur", "--database-url", db_url)
    assert result.exit_code == 0, result.output
    lines = [line.split("│")[3:5] for line in result.output.splitlines() if "EUR" in line]
    assert [[c.strip() for c in line] for line in lines] == [
        ["2025-01-01", "1.1"],
        ["2026-01-01", "1.05"],
    ]
    assert "rate (per 1 CHF)" in result.output

    result = run("currency", "home", "USD", "--database-url", db_url)
    assert result.exit_code == 1 and "while 3 exchange rate(s) exist" in result.output
    assert (
        run("rates", "load", str(tmp_path / "missing.csv"), "--database-url", db_url).exit_code == 1
    )
