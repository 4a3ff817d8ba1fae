"""`revline quotas` and `revline forecast`: quotas, the forecast table, snapshots, accuracy."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from revline.cli.common import DatabaseUrl, console, run_in_unit_of_work
from revline.forecasting import accuracy as accuracy_service
from revline.forecasting import quotas as quota_service
from revline.forecasting import service
from revline.forecasting.quotas import QuotaView
from revline.forecasting.service import money_text
from revline.kit.time import utcnow

quotas_app = typer.Typer(
    help="Quotas per owner and team per month or quarter.", no_args_is_help=True
)
app = typer.Typer(help="The forecast: figures, snapshots, accuracy.", no_args_is_help=True)


def _print_quotas(found: list[QuotaView]) -> None:
    table = Table("id", "subject", "period", "amount")
    for q in found:
        table.add_row(
            str(q.id), f"{q.subject_type} {q.subject_id}", q.period.text, money_text(q.amount)
        )
    console.print(table)


@quotas_app.command("set")
def quotas_set(
    period: Annotated[str, typer.Option(help="A quarter (2026-Q4) or a month (2026-11).")],
    amount: Annotated[str, typer.Option(help="In the home currency, like 150000.")],
    owner: Annotated[str | None, typer.Option(help="Owner id or email.")] = None,
    team: Annotated[str | None, typer.Option(help="Team name.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Set (create or replace) the quota of an owner or a team."""

    def work(session: Any) -> None:
        q = quota_service.set_quota_by_name(
            session, owner=owner, team=team, period=period, amount=amount
        )
        console.print(
            f"Quota {q.id}: {q.subject_type} {q.subject_id}, {q.period.text}, "
            f"{money_text(q.amount)}"
        )

    run_in_unit_of_work(database_url, work)


@quotas_app.command("list")
def quotas_list(
    period: Annotated[str | None, typer.Option(help="Only this period (and its months).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List stored quotas."""
    run_in_unit_of_work(
        database_url,
        lambda session: _print_quotas(quota_service.list_quotas(session, period=period)),
    )


@quotas_app.command("load")
def quotas_load(
    file: Annotated[Path, typer.Argument(help="CSV: owner_email or team, period, amount")],
    database_url: DatabaseUrl = None,
) -> None:
    """Load quotas from a CSV file: every row is stored, or none when a row is bad."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        console.print(f"[red]error:[/red] cannot read {file}: {exc}")
        raise typer.Exit(code=1) from exc

    def work(session: Any) -> None:
        count = quota_service.load_quotas_csv(session, text)
        console.print(f"Loaded {count} quota(s)")

    run_in_unit_of_work(database_url, work)


_COLUMNS = (
    ("quota", "quota"),
    ("closedWon", "closed won"),
    ("commit", "commit"),
    ("bestCase", "best case"),
    ("pipeline", "pipeline"),
    ("weightedForecast", "weighted fc"),
    ("dataDrivenForecast", "data-driven fc"),
    ("gapToQuota", "gap"),
    ("coverage", "coverage"),
)


@app.command("show")
def show(
    period: Annotated[str, typer.Option(help="A quarter (2026-Q4) or a month (2026-11).")],
    group_by: Annotated[str, typer.Option("--group-by", help="owner, team or pipeline")] = "owner",
    pipeline: Annotated[str | None, typer.Option(help="Only deals of this pipeline.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Show the forecast of a period per group, with both projections side by side."""

    def work(session: Any) -> None:
        found = service.forecast_from_query(
            session, period=period, group_by=group_by, pipeline=pipeline
        )
        table = Table(group_by, *(title for _, title in _COLUMNS), title=f"Forecast {period}")
        rows = [(g.label, g.figures.as_dict()) for g in found.groups]
        rows.append(("Total", found.total.as_dict()))
        for label, figures in rows:
            table.add_row(label, *(figures[key] or "" for key, _ in _COLUMNS))
        console.print(table)
        rates = Table("pipeline", "stage", "configured", "historical", "sample", "used")
        for r in found.win_rates:
            rates.add_row(
                r.pipeline,
                r.label,
                str(r.configured),
                "" if r.historical is None else str(r.historical),
                str(r.closed_deals),
                r.used,
            )
        console.print(rates)

    run_in_unit_of_work(database_url, work)


@app.command("snapshot")
def snapshot(
    day: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD; default: today (UTC).")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Store the day's forecast of the current quarter and month (replacing that day's)."""
    try:
        today = date.fromisoformat(day) if day else utcnow().date()
    except ValueError as exc:
        console.print(f"[red]error:[/red] --date must be YYYY-MM-DD, not '{day}'")
        raise typer.Exit(code=1) from exc

    def work(session: Any) -> None:
        count = service.take_snapshots(session, today)
        console.print(f"Stored {count} snapshot row(s) for {today.isoformat()}")

    run_in_unit_of_work(database_url, work)


@app.command("accuracy")
def accuracy(
    period: Annotated[str, typer.Option(help="A period that has ended, like 2026-Q3.")],
    group_by: Annotated[str, typer.Option("--group-by", help="owner, team or pipeline")] = "owner",
    database_url: DatabaseUrl = None,
) -> None:
    """How accurate each forecast method was for a period that has ended."""

    def work(session: Any) -> None:
        found = accuracy_service.accuracy(
            session, period=period, group_by=group_by, today=utcnow().date()
        )
        days = ", ".join(d.isoformat() for d in found.snapshot_days) or "none"
        console.print(f"Snapshot days: {days}")
        table = Table(
            group_by,
            "actual",
            "method",
            "first",
            "midpoint",
            "last",
            "MAPE %",
            "best",
            title=f"Forecast accuracy {found.period.text}",
        )
        for g in [*found.groups, found.total]:
            for m in g.methods:
                table.add_row(
                    g.label,
                    money_text(g.actual),
                    m.method,
                    *(
                        "" if p is None else money_text(p.forecast)
                        for p in (m.first, m.midpoint, m.last)
                    ),
                    ""
                    if m.mean_absolute_percentage_error is None
                    else str(m.mean_absolute_percentage_error),
                    "*" if g.most_accurate == m.method else "",
                )
        console.print(table)

    run_in_unit_of_work(database_url, work)
