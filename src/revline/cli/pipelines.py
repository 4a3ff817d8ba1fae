"""`revline pipelines`: the health of a deal pipeline (counts, amounts, time in stage,
conversion and the pipeline's KPIs). The CLI runs no SQL: it calls the analytics service."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from revline.analytics import service
from revline.analytics.schemas import pipeline_health_out
from revline.cli.common import DatabaseUrl, console, run_in_unit_of_work
from revline.kit.time import utcnow

app = typer.Typer(help="Deal pipeline reports.", no_args_is_help=True)


def _or_dash(value: Any) -> str:
    return "-" if value is None else str(value)


@app.command("health")
def health(
    pipeline_id: Annotated[str, typer.Argument(help="Pipeline id, e.g. default")],
    date_from: Annotated[
        str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: 90 days ago)")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default: today)")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Only deals of this owner id")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Per-stage figures and the pipeline's win rate, deal size, cycle and velocity."""

    def work(session: Any) -> None:
        found = service.pipeline_health(
            session, pipeline_id, date_from=date_from, date_to=date_to, owner=owner, now=utcnow()
        )
        body = pipeline_health_out(found)
        console.print(
            f"{body['label']} ({body['pipelineId']}), {body['from']} to {body['to']}, "
            f"amounts in {body['currency']}"
        )
        table = Table(
            "stage", "deals", "amount", "weighted", "avg days", "median days", "entered", "conv."
        )
        for s in body["stages"]:
            table.add_row(
                s["label"],
                str(s["count"]),
                s["amount"],
                s["weightedAmount"],
                _or_dash(s["averageDaysInStage"]),
                _or_dash(s["medianDaysInStage"]),
                _or_dash(s["entered"]),
                _or_dash(s["conversionRate"]),
            )
        console.print(table)
        t = body["totals"]
        for label, key in (("Open now", "open"), ("New", "new"), ("Won", "won"), ("Lost", "lost")):
            console.print(f"{label}: {t[key]['count']} deals, {t[key]['amount']}")
        console.print(f"Win rate: {_or_dash(t['winRate'])}")
        console.print(f"Average won deal: {_or_dash(t['averageWonAmount'])}")
        console.print(f"Average sales cycle (days): {_or_dash(t['averageSalesCycleDays'])}")
        console.print(f"Pipeline velocity per day: {_or_dash(t['velocityPerDay'])}")

    run_in_unit_of_work(database_url, work)
