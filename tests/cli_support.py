"""Running ``revline`` commands in tests: one runner, wide output, no database from the
environment (each test names its own)."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from revline.cli.main import app

runner = CliRunner(env={"COLUMNS": "200", "REVLINE_DATABASE_URL": None})


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))
