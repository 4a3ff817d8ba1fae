"""`revline segments`: list segments and rebuild their membership."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from revline.cli.common import DatabaseUrl, console, run_in_unit_of_work
from revline.segments import service

app = typer.Typer(help="Segments (lists) of contacts.", no_args_is_help=True)


@app.command("list")
def list_segments(database_url: DatabaseUrl = None) -> None:
    """List live segments with their size."""

    def work(session: Any) -> None:
        table = Table("id", "name", "kind", "size", "time-based", "last rebuilt")
        after = None
        while True:
            views, after = service.list_segments(session, after=after, limit=500)
            for v in views:
                s = v.segment
                table.add_row(
                    str(s.id),
                    s.name,
                    s.kind,
                    str(v.size),
                    "yes" if s.time_based else "no",
                    s.last_rebuilt_at.isoformat() if s.last_rebuilt_at else "-",
                )
            if after is None:
                break
        console.print(table)

    run_in_unit_of_work(database_url, work)


@app.command("rebuild")
def rebuild(
    segment_id: Annotated[str | None, typer.Argument(help="The segment to rebuild")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Rebuild every live segment")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Rebuild one segment (and the segments built on it), or all of them, now."""
    if (segment_id is None) == (not all_):
        console.print("[red]error:[/red] give a segment id or --all (not both)")
        raise typer.Exit(code=1)

    def work(session: Any) -> None:
        for d in service.rebuild(session, None if all_ else segment_id):
            console.print(
                f"segment {d.segment_id} ({d.name}): {d.entered} entered, {d.exited} exited",
                highlight=False,
            )

    run_in_unit_of_work(database_url, work)
