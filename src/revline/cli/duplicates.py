"""`revline duplicates`: find (and merge) duplicate records across the database."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from revline.cli.common import DatabaseUrl, console, fail, make_settings, open_database
from revline.crm.duplicates import service
from revline.crm.records.context import WriteSource
from revline.errors import RevlineError

app = typer.Typer(help="Duplicate contacts, companies and deals.", no_args_is_help=True)


@app.command("scan")
def scan(
    object_type: Annotated[
        str, typer.Option("--object", help="contacts, companies or deals")
    ] = "contacts",
    min_score: Annotated[
        float, typer.Option(help="Pairs scoring at least this are duplicates")
    ] = service.LIKELY,
    merge: Annotated[
        bool, typer.Option("--merge", help="Merge each cluster into its oldest record")
    ] = False,
    show: Annotated[int, typer.Option(help="Clusters to list")] = 20,
    database_url: DatabaseUrl = None,
) -> None:
    """List clusters of likely duplicates (blocking keys, not all pairs)."""
    db = open_database(make_settings(database_url))
    started = time.perf_counter()
    try:
        ot = service.duplicate_type(object_type)
        with db.unit_of_work() as session:
            result = service.scan(session, ot, min_score=min_score)
            merged = 0
            if merge and result.clusters:
                merged = service.merge_clusters(
                    session, ot, result.clusters, source=WriteSource("CRM_UI", "duplicates", None)
                )
    except RevlineError as error:
        fail(error)
        return
    finally:
        db.dispose()
    seconds = time.perf_counter() - started
    in_clusters = sum(len(c.ids) for c in result.clusters)
    console.print(
        f"{result.records:,} {result.object_type} scanned in {seconds:.1f} s: "
        f"{result.pairs_compared:,} pairs compared, {len(result.clusters):,} clusters "
        f"({in_clusters:,} records)"
    )
    if result.clusters:
        table = Table("records", "score", "rules")
        for cluster in result.clusters[:show]:
            table.add_row(
                ", ".join(str(i) for i in cluster.ids),
                f"{cluster.score:.0f}",
                ", ".join(cluster.rules),
            )
        console.print(table)
    if merge:
        console.print(f"Merged {merged:,} records into the oldest of their cluster.")
