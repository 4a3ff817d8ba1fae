"""`revline lifecycle`: the lifecycle stages, lead statuses and sync settings.

Each command runs in one unit of work; ``session`` is that unit's session, handed straight to
the services (the CLI itself runs no SQL)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from revline.cli.common import DatabaseUrl, console, run_in_unit_of_work
from revline.crm.lifecycle import lead_status, service, stages
from revline.crm.lifecycle import settings as lifecycle_settings

app = typer.Typer(help="Lifecycle stages, lead statuses and sync rules.", no_args_is_help=True)


def _print_stages(found: list[stages.Stage]) -> None:
    table = Table("#", "value", "label", "archived", "date property")
    for s in found:
        table.add_row(
            str(s.display_order), s.value, s.label, "yes" if s.archived else "", s.date_property
        )
    console.print(table)


@app.command("stages")
def list_stages(database_url: DatabaseUrl = None) -> None:
    """List the lifecycle stages in order."""
    run_in_unit_of_work(database_url, lambda s: _print_stages(stages.list_stages(s)))


@app.command("add-stage")
def add_stage(
    value: Annotated[str, typer.Argument(help="Internal value, e.g. trial")],
    label: Annotated[str, typer.Argument(help="Label shown to users")],
    before: Annotated[str | None, typer.Option(help="Insert before this stage")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a lifecycle stage (last, or before another)."""
    run_in_unit_of_work(
        database_url, lambda s: _print_stages(stages.add_stage(s, value, label, before=before))
    )


@app.command("rename-stage")
def rename_stage(
    value: Annotated[str, typer.Argument()],
    label: Annotated[str, typer.Argument(help="New label")],
    database_url: DatabaseUrl = None,
) -> None:
    """Give a stage a new label (its value, held by records, stays)."""
    run_in_unit_of_work(
        database_url, lambda s: _print_stages(stages.update_stage(s, value, label=label))
    )


@app.command("reorder-stages")
def reorder_stages(
    order: Annotated[list[str], typer.Argument(help="Every stage value, in the new order")],
    database_url: DatabaseUrl = None,
) -> None:
    """Put the stages in a new order."""
    run_in_unit_of_work(
        database_url, lambda s: _print_stages(stages.reorder_stages(s, list(order)))
    )


@app.command("archive-stage")
def archive_stage(
    value: Annotated[str, typer.Argument()], database_url: DatabaseUrl = None
) -> None:
    """Archive a stage: records keep it, nothing new enters it."""
    run_in_unit_of_work(
        database_url, lambda s: _print_stages(stages.update_stage(s, value, archived=True))
    )


@app.command("restore-stage")
def restore_stage(
    value: Annotated[str, typer.Argument()], database_url: DatabaseUrl = None
) -> None:
    """Bring an archived stage back."""
    run_in_unit_of_work(
        database_url, lambda s: _print_stages(stages.update_stage(s, value, archived=False))
    )


def _print_statuses(session: Any) -> None:
    table = Table("value", "label", "group", "needs reason", "archived")
    for st in lead_status.list_statuses(session):
        table.add_row(
            st.value,
            st.label,
            st.group,
            "yes" if st.requires_reason else "",
            "yes" if st.archived else "",
        )
    console.print(table)


@app.command("lead-statuses")
def lead_statuses(database_url: DatabaseUrl = None) -> None:
    """List the lead statuses with their groups."""
    run_in_unit_of_work(database_url, _print_statuses)


@app.command("add-lead-status")
def add_lead_status(
    value: Annotated[str, typer.Argument(help="Internal value, e.g. NURTURING")],
    label: Annotated[str, typer.Argument()],
    group: Annotated[str, typer.Option(help="open, working, converted or not_converted")] = "open",
    requires_reason: Annotated[
        bool, typer.Option(help="Setting it needs a disqualification reason")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a lead status."""

    def work(session: Any) -> None:
        lead_status.add_status(session, value, label, group=group, requires_reason=requires_reason)
        _print_statuses(session)

    run_in_unit_of_work(database_url, work)


@app.command("set-lead-status-group")
def set_lead_status_group(
    value: Annotated[str, typer.Argument()],
    group: Annotated[str, typer.Argument(help="open, working, converted or not_converted")],
    database_url: DatabaseUrl = None,
) -> None:
    """Move a lead status to another group (contacts holding it follow)."""

    def work(session: Any) -> None:
        service.update_lead_status(session, value, {"group": group})
        _print_statuses(session)

    run_in_unit_of_work(database_url, work)


@app.command("settings")
def settings(
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="name=true|false, e.g. dealCreatedToOpportunity=false"),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Show the lifecycle sync rules, or switch them with --set."""

    def work(session: Any) -> None:
        current = lifecycle_settings.load(session)
        if set_:
            changes: dict[str, object] = {}
            for item in set_:
                name, _, value = item.partition("=")
                lowered = value.strip().lower()
                changes[name.strip()] = {"true": True, "false": False}.get(lowered, value)
            current = lifecycle_settings.update(session, changes)
        for name, on in lifecycle_settings.to_api(current).items():
            console.print(f"{name}: {'on' if on else 'off'}")

    run_in_unit_of_work(database_url, work)
