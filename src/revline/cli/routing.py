"""`revline routing`: owner routing rules, owner availability and workload."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from revline.cli.common import DatabaseUrl, console, run_in_unit_of_work
from revline.crm.routing import service
from revline.crm.routing.service import RuleInput

app = typer.Typer(help="Owner routing: rules, availability, workload.", no_args_is_help=True)


def _print_rules(session: Any) -> None:
    table = Table("id", "object", "#", "name", "when", "conditions", "team", "method", "active")
    for r in service.list_rules(session):
        when = r.trigger if r.trigger == "created" else f"stage {r.trigger_stage}"
        conditions = "; ".join(
            f"{c['propertyName']} {c['operator']} {c.get('value', c.get('values', ''))}"
            for c in r.conditions
        )
        table.add_row(
            str(r.id),
            r.object_type,
            str(r.position),
            r.name,
            when,
            conditions or "(any)",
            str(r.team_id),
            r.method,
            "yes" if r.active else "no",
        )
    console.print(table)


@app.command("rules")
def rules(database_url: DatabaseUrl = None) -> None:
    """List routing rules in the order they are tried."""
    run_in_unit_of_work(database_url, _print_rules)


@app.command("add")
def add(
    file: Annotated[Path, typer.Argument(help="A JSON rule, as POST /revline/v1/routing-rules")],
    database_url: DatabaseUrl = None,
) -> None:
    """Add a routing rule from a JSON file."""
    try:
        body = json.loads(file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        console.print(f"[red]error:[/red] cannot read {file}: {exc}")
        raise typer.Exit(code=1) from exc
    if not isinstance(body, dict):
        console.print("[red]error:[/red] the file must hold one JSON object")
        raise typer.Exit(code=1)

    def work(session: Any) -> None:
        rule = service.create_rule(session, RuleInput(**service.rule_changes(body)))
        console.print(f"Added routing rule {rule.id} ({rule.name})")
        _print_rules(session)

    run_in_unit_of_work(database_url, work)


@app.command("availability")
def availability(
    owner_id: Annotated[str, typer.Argument()],
    available: Annotated[bool, typer.Option("--available/--unavailable")] = True,
    database_url: DatabaseUrl = None,
) -> None:
    """Mark an owner available or unavailable for routing."""

    def work(session: Any) -> None:
        user = service.set_availability(session, owner_id, available)
        state = "available" if user.available else "unavailable"
        console.print(f"Owner {user.id} is {state} for routing")

    run_in_unit_of_work(database_url, work)


@app.command("workload")
def workload(database_url: DatabaseUrl = None) -> None:
    """Open leads and open deals per owner."""

    def work(session: Any) -> None:
        table = Table("owner", "open leads", "by lead status", "open deals", "open amount")
        for w in service.workload(session):
            table.add_row(
                str(w.owner_id),
                str(w.open_leads_total),
                ", ".join(f"{k} {v}" for k, v in sorted(w.open_leads.items())),
                str(w.open_deals_total),
                str(w.open_amount),
            )
        console.print(table)

    run_in_unit_of_work(database_url, work)
