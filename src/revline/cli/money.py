"""`revline rates` and `revline currency`: exchange rates and the home currency.

Each command runs in one unit of work; ``session`` is that unit's session, handed straight to
the services (the CLI itself runs no SQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from revline.cli.common import DatabaseUrl, console, make_settings, open_database
from revline.crm.money import service
from revline.crm.properties.values import format_number
from revline.errors import RevlineError

rates_app = typer.Typer(help="Exchange rates to the home currency.", no_args_is_help=True)
currency_app = typer.Typer(help="The workspace's home currency.", no_args_is_help=True)


def _run(database_url: str | None, work: Any) -> None:
    """Run ``work(session)`` in one unit of work; a refusal prints its reason and each of its
    details (the bad rows of a CSV), then exits with status 1."""
    db = open_database(make_settings(database_url))
    try:
        with db.unit_of_work() as session:
            work(session)
    except RevlineError as error:
        console.print(f"[red]error:[/red] {error.message}", soft_wrap=True)
        for detail in error.errors:
            console.print(f"  {detail.message}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from None
    finally:
        db.dispose()


@rates_app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="CSV with the header currency,effective_from,rate")],
    database_url: DatabaseUrl = None,
) -> None:
    """Load a CSV of rates: every row is checked first, and a bad row stores nothing."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        console.print(f"[red]error:[/red] cannot read {file}: {exc}")
        raise typer.Exit(code=1) from exc

    def work(session: Any) -> None:
        result = service.import_rates_csv(session, data)
        console.print(
            f"Loaded {result.rows} rate(s) ({result.created} new, {result.replaced} replaced) "
            f"for {', '.join(result.currencies)}; {result.recomputed_deals} deal(s) recomputed",
            highlight=False,
        )

    _run(database_url, work)


@rates_app.command("list")
def list_rates(
    currency: Annotated[str | None, typer.Option(help="Only this currency, e.g. EUR")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List the exchange rates by currency and date."""

    def work(session: Any) -> None:
        home = service.home_currency(session)
        table = Table("id", "currency", "effective from", f"rate (per 1 {home})")
        after = None
        while True:
            page = service.list_rates(session, currency=currency, after=after, limit=1000)
            for r in page.items:
                table.add_row(
                    str(r.id), r.currency, r.effective_from.isoformat(), format_number(r.rate)
                )
            if page.next_after is None:
                break
            after = page.next_after
        console.print(table)

    _run(database_url, work)


@currency_app.command("home")
def home(
    code: Annotated[str | None, typer.Argument(help="New home currency, e.g. EUR")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Show the home currency, or set it (refused while exchange rates exist)."""

    def work(session: Any) -> None:
        if code is None:
            console.print(f"Home currency: {service.home_currency(session)}", highlight=False)
        else:
            console.print(
                f"Home currency set to {service.set_home_currency(session, code)}",
                highlight=False,
            )

    _run(database_url, work)
