"""`revline import`: load records from CSV files described by a mapping file."""

from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from revline.cli.common import DatabaseUrl, console, fail, make_settings, open_database
from revline.errors import RevlineError
from revline.imports.mapping import load_contact_mapping, load_mapping
from revline.imports.plan import REJECTED, Problem, plan_contact_import, plan_import
from revline.imports.service import (
    CHUNK_SIZE,
    ContactImportResult,
    ImportInterrupted,
    ImportResult,
    LoadResult,
    run_contact_import,
    run_import,
)
from revline.kit.time import utcnow

app = typer.Typer(help="Import records from CSV files.", no_args_is_help=True)

REPORT_COLUMNS = ("line", "source_id", "level", "code", "field", "reason")
_SHOWN = 50


def _write_report(path: Path, problems: list[Problem]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(REPORT_COLUMNS)
        for p in sorted(problems, key=lambda p: (p.line, p.level)):
            out.writerow((p.line, p.source_id, p.level, p.code, p.field, p.reason))


def _print_problems(problems: list[Problem]) -> None:
    if not problems:
        return
    table = Table("line", "source id", "level", "code", "field", "reason")
    ordered = sorted(problems, key=lambda p: (p.level != REJECTED, p.line))
    for p in ordered[:_SHOWN]:
        table.add_row(str(p.line), p.source_id, p.level, p.code, p.field, p.reason)
    console.print(table)
    if len(problems) > _SHOWN:
        console.print(f"... and {len(problems) - _SHOWN} more (see --report for every row)")


def _counts(problems: list[Problem], level: str) -> str:
    by_code = Counter(p.code for p in problems if p.level == level)
    return ", ".join(f"{code} {n}" for code, n in sorted(by_code.items())) or "none"


def _print_summary(result: LoadResult, seconds: float) -> None:
    table = Table("", "count", show_header=False)
    rows: list[tuple[str, int]] = [
        ("rows in the file", result.rows),
        ("rows loaded", result.loaded),
        ("rows rejected", result.rejected_rows),
    ]
    if isinstance(result, ImportResult):
        rows += _deal_counts(result)
    elif isinstance(result, ContactImportResult):
        rows += _contact_counts(result)
    rows.append(("units of work committed", result.chunks_committed))
    for label, n in rows:
        table.add_row(label, str(n))
    console.print(table)
    console.print(f"rejected by reason: {_counts(result.problems, REJECTED)}")
    console.print(f"warnings by reason: {_counts(result.problems, 'warning')}")
    console.print(f"took {seconds:.1f} s")


def _deal_counts(result: ImportResult) -> list[tuple[str, int]]:
    return [
        ("owners created", result.owners_created),
        ("teams created", result.teams_created),
        ("companies created", result.companies_created),
        ("companies updated", result.companies_updated),
        ("deals created", result.deals_created),
        ("deals updated", result.deals_updated),
        ("stage transitions written", result.transitions),
    ]


def _contact_counts(result: ContactImportResult) -> list[tuple[str, int]]:
    return [
        ("property groups created", int(result.group_created)),
        ("properties created", result.properties_created),
        ("enumeration options added", result.options_added),
        ("contacts created", result.contacts_created),
        ("contacts updated", result.contacts_updated),
        ("lifecycle stages kept (already further)", result.stages_kept),
    ]


@app.command("deals")
def deals(
    file: Annotated[Path, typer.Argument(help="The CSV file of deals (one row per deal).")],
    mapping: Annotated[Path, typer.Option("--mapping", help="The YAML mapping file.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and report; write nothing.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Write every rejected or warned row to this CSV file."),
    ] = None,
    chunk_size: Annotated[
        int, typer.Option(min=1, help="Deal writes per committed unit of work.")
    ] = CHUNK_SIZE,
    database_url: DatabaseUrl = None,
) -> None:
    """Create owners, teams, companies and deals (with their stage history) from a CSV file."""
    started = time.monotonic()
    now = utcnow()
    try:
        plan = plan_import(load_mapping(mapping), file, now=now)
    except RevlineError as error:
        fail(error)
        return
    if report is not None:
        _write_report(report, plan.problems)
    _print_problems(plan.problems)
    if dry_run:
        loadable = plan.rows - len(plan.rejected)
        console.print(
            f"Dry run: {plan.rows} rows, {loadable} would be loaded, "
            f"{len(plan.rejected)} rejected ({_counts(plan.problems, REJECTED)}); "
            f"{len(plan.owners)} owners, {len(plan.companies)} companies. Nothing was written."
        )
        return
    db = open_database(make_settings(database_url))
    try:
        result = run_import(plan, db.unit_of_work, now=now, chunk_size=chunk_size)
    except ImportInterrupted as error:
        _print_summary(error.result, time.monotonic() - started)
        console.print(f"[red]error:[/red] {error.message}")
        console.print("Re-running the same command is safe: loaded deals are updated, not copied.")
        raise typer.Exit(code=1) from None
    except RevlineError as error:
        fail(error)
        return
    finally:
        db.dispose()
    refused = result.problems[len(plan.problems) :]
    if refused:
        _print_problems(refused)
        if report is not None:
            _write_report(report, result.problems)
    _print_summary(result, time.monotonic() - started)


@app.command("contacts")
def contacts(
    file: Annotated[Path, typer.Argument(help="The CSV file of contacts (one row per contact).")],
    mapping: Annotated[Path, typer.Option("--mapping", help="The YAML mapping file.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row and report; write nothing.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Write every rejected row to this CSV file."),
    ] = None,
    chunk_size: Annotated[
        int, typer.Option(min=1, help="Contact writes per committed unit of work.")
    ] = CHUNK_SIZE,
    database_url: DatabaseUrl = None,
) -> None:
    """Create or update contacts (and the properties the mapping defines) from a CSV file."""
    started = time.monotonic()
    now = utcnow()
    try:
        plan = plan_contact_import(load_contact_mapping(mapping), file)
    except RevlineError as error:
        fail(error)
        return
    if report is not None:
        _write_report(report, plan.problems)
    _print_problems(plan.problems)
    if dry_run:
        created = sum(1 for p in plan.properties if p.spec.type is not None)
        console.print(
            f"Dry run: {plan.rows} rows, {plan.rows - plan.rejected_rows} would be loaded, "
            f"{plan.rejected_rows} rejected ({_counts(plan.problems, REJECTED)}); "
            f"{len(plan.properties)} columns mapped ({created} with a property definition). "
            "Nothing was written."
        )
        return
    db = open_database(make_settings(database_url))
    try:
        result = run_contact_import(plan, db.unit_of_work, now=now, chunk_size=chunk_size)
    except ImportInterrupted as error:
        _print_summary(error.result, time.monotonic() - started)
        console.print(f"[red]error:[/red] {error.message}")
        console.print(
            "Re-running the same command is safe: loaded contacts are updated, not copied."
        )
        raise typer.Exit(code=1) from None
    except RevlineError as error:
        fail(error)
        return
    finally:
        db.dispose()
    refused = result.problems[len(plan.problems) :]
    if refused:
        _print_problems(refused)
        if report is not None:
            _write_report(report, result.problems)
    _print_summary(result, time.monotonic() - started)
