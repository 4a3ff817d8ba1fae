"""`revline events`: maintenance of tracked events.

Each command runs in one unit of work; ``session`` is that unit's session, handed straight to
the services (the CLI itself runs no SQL)."""

from __future__ import annotations

from typing import Any

import typer

from revline.cli.common import DatabaseUrl, console, run_in_unit_of_work
from revline.events import service

app = typer.Typer(help="Tracked events: retention.", no_args_is_help=True)


@app.command("prune")
def prune(database_url: DatabaseUrl = None) -> None:
    """Delete raw events older than the retention setting now (daily counts and segment
    entries and exits stay)."""

    def work(session: Any) -> None:
        result = service.apply_retention(session)
        if result.retention_days is None:
            console.print("No retention is set (retentionDays is null): nothing deleted.")
            return
        assert result.cutoff is not None
        console.print(
            f"Deleted {result.deleted} event(s) that occurred before "
            f"{result.cutoff.date().isoformat()} (retention {result.retention_days} days).",
            highlight=False,
        )

    run_in_unit_of_work(database_url, work)
