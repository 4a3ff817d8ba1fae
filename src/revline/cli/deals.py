"""`revline deals`: open deals stuck in their stage. The CLI runs no SQL: it calls the
analytics service."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from revline.analytics import service
from revline.analytics.schemas import stuck_deals_out
from revline.cli.common import DatabaseUrl, console, run_in_unit_of_work
from revline.kit.time import utcnow

app = typer.Typer(help="Deal reports.", no_args_is_help=True)


@app.command("stuck")
def stuck(
    owner: Annotated[str | None, typer.Option(help="Only deals of this owner id")] = None,
    pipeline: Annotated[str | None, typer.Option(help="Only this pipeline id")] = None,
    limit: Annotated[int, typer.Option(help="At most this many deals (1 to 500)")] = 100,
    database_url: DatabaseUrl = None,
) -> None:
    """Open deals in their stage for longer than its rot days or the won deals' p75."""

    def work(session: Any) -> None:
        found = service.stuck_deals(
            session, owner=owner, pipeline=pipeline, limit=limit, now=utcnow()
        )
        body = stuck_deals_out(found)
        if not body["results"]:
            console.print("No stuck deals.")
        else:
            table = Table("id", "deal", "owner", "stage", "amount", "days", "threshold", "why")
            for r in body["results"]:
                table.add_row(
                    r["id"],
                    r["name"] or "",
                    r["ownerId"] or "",
                    r["stageLabel"],
                    r["amount"] or "",
                    r["daysInStage"],
                    f"{r['thresholdDays']} ({r['thresholdSource']})",
                    r["reason"],
                )
            console.print(table)
        if "paging" in body:
            console.print(f"More deals: raise --limit (showing the first {limit}).")
        for t in body["thresholds"]:
            if t["days"] is None:
                console.print(f"{t['label']} ({t['stageId']}): {t['note']}")

    run_in_unit_of_work(database_url, work)
