"""What every command shares: settings from options, the database, error output."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from revline.config import Settings
from revline.errors import RevlineError
from revline.kit.db import Database

# Piped or captured output is not cut to rich's default 80 columns: tables stay whole.
console = Console() if sys.stdout.isatty() else Console(width=200)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="REVLINE_DATABASE_URL",
        help="SQLAlchemy URL; default: sqlite:///revline.db",
    ),
]


def make_settings(database_url: str | None, **extra: object) -> Settings:
    values: dict[str, object] = {k: v for k, v in extra.items() if v is not None}
    if database_url:
        values["database_url"] = database_url
    return Settings(**values)  # type: ignore[arg-type]


def open_database(settings: Settings) -> Database:
    return Database(settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def fail(error: RevlineError) -> NoReturn:
    console.print(f"[red]error:[/red] {error.message}")
    raise typer.Exit(code=1)


def run_in_unit_of_work(database_url: str | None, work: Callable[[Any], None]) -> None:
    """Run ``work(session)`` in one unit of work; a refused operation prints its reason and
    exits with status 1."""
    db = open_database(make_settings(database_url))
    try:
        with db.unit_of_work() as session:
            work(session)
    except RevlineError as error:
        fail(error)
    finally:
        db.dispose()
