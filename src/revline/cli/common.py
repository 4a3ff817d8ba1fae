"""What every command shares: settings from options, the database, error output."""

from __future__ import annotations

import sys
from typing import Annotated

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


def fail(error: RevlineError) -> None:
    console.print(f"[red]error:[/red] {error.message}")
    raise typer.Exit(code=1)
