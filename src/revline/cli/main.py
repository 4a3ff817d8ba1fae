"""`revline` commands: serve, db, users, tokens, lifecycle, contacts, duplicates,
routing, worker, jobs, rates, currency, quotas, forecast, pipelines, deals, import, events,
segments, scoring, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from revline.auth import service as auth_service
from revline.cli import contacts as contacts_cli
from revline.cli import deals as deals_cli
from revline.cli import duplicates as duplicates_cli
from revline.cli import events as events_cli
from revline.cli import forecast as forecast_cli
from revline.cli import imports as imports_cli
from revline.cli import lifecycle as lifecycle_cli
from revline.cli import money as money_cli
from revline.cli import pipelines as pipelines_cli
from revline.cli import routing as routing_cli
from revline.cli import scoring as scoring_cli
from revline.cli import scoring_predictive as predictive_cli
from revline.cli import segments as segments_cli
from revline.cli import worker as worker_cli
from revline.cli.common import DatabaseUrl, console, fail, make_settings, open_database
from revline.config import Settings
from revline.errors import RevlineError
from revline.logging import configure
from revline.setup import upgrade_database

app = typer.Typer(help="Revline: a self-hosted CRM for teams that sell.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Users (who are also the CRM's owners).", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(lifecycle_cli.app, name="lifecycle")
app.add_typer(contacts_cli.app, name="contacts")
app.add_typer(duplicates_cli.app, name="duplicates")
app.add_typer(routing_cli.app, name="routing")
app.add_typer(worker_cli.app, name="worker")
app.add_typer(worker_cli.jobs_app, name="jobs")
app.add_typer(forecast_cli.quotas_app, name="quotas")
app.add_typer(forecast_cli.app, name="forecast")
app.add_typer(money_cli.rates_app, name="rates")
app.add_typer(money_cli.currency_app, name="currency")
app.add_typer(pipelines_cli.app, name="pipelines")
app.add_typer(deals_cli.app, name="deals")
app.add_typer(imports_cli.app, name="import")
app.add_typer(events_cli.app, name="events")
app.add_typer(segments_cli.app, name="segments")
app.add_typer(scoring_cli.app, name="scoring")
# `revline scoring predictive ...`: the predictive score, a sub-group of scoring.
scoring_cli.app.add_typer(predictive_cli.app, name="predictive")


@app.command()
def serve(
    database_url: DatabaseUrl = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Run the API server (migrating the database first unless REVLINE_AUTO_MIGRATE=false)."""
    import uvicorn

    from revline.app import create_app

    settings = make_settings(database_url, host=host, port=port)
    configure(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
    )


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Apply every pending migration and create the workspace defaults."""
    settings = make_settings(database_url)
    db = open_database(settings)
    upgrade_database(db)
    db.dispose()
    console.print(f"Database is up to date: {db.engine.url.render_as_string(hide_password=True)}")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Login email; also the owner's email.")],
    first_name: Annotated[str | None, typer.Option()] = None,
    last_name: Annotated[str | None, typer.Option()] = None,
    role: Annotated[
        str, typer.Option(help="admin, sales_manager, sales_rep or marketing")
    ] = "sales_rep",
    team: Annotated[str | None, typer.Option(help="Team name (created if new).")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a user, who can then own records."""
    db = open_database(make_settings(database_url))
    try:
        with db.unit_of_work() as session:
            user = auth_service.create_user(
                session,
                email=email,
                first_name=first_name,
                last_name=last_name,
                role=role,
                team=team,
            )
            console.print(f"Created user {user.id} <{user.email}> (owner id {user.id})")
    except RevlineError as error:
        fail(error)


@users_app.command("list")
def users_list(database_url: DatabaseUrl = None) -> None:
    """List users."""
    db = open_database(make_settings(database_url))
    table = Table("id", "email", "name", "role")
    with db.unit_of_work() as session:
        for u in auth_service.list_users(
            session, archived=False, after_id=None, limit=10_000, email=None
        ):
            table.add_row(
                str(u.id), u.email, f"{u.first_name or ''} {u.last_name or ''}".strip(), u.role
            )
    console.print(table)


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Option(help="What the token is for.")],
    user_email: Annotated[str | None, typer.Option(help="Act as this user.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an API token and print it (it is shown only once)."""
    db = open_database(make_settings(database_url))
    try:
        with db.unit_of_work() as session:
            user_id = None
            if user_email:
                user = auth_service.get_user_by_email(session, user_email)
                if user is None:
                    console.print(f"[red]error:[/red] no user with email {user_email}")
                    raise typer.Exit(code=1)
                user_id = user.id
            issued = auth_service.create_token(session, name=name, user_id=user_id)
    except RevlineError as error:
        fail(error)
    # Printed bare on stdout so scripts can capture it: TOKEN=$(revline tokens create ...)
    print(issued.token)


@tokens_app.command("list")
def tokens_list(database_url: DatabaseUrl = None) -> None:
    """List API tokens (never their secrets)."""
    db = open_database(make_settings(database_url))
    table = Table("id", "name", "prefix", "created", "last used", "revoked")
    with db.unit_of_work() as session:
        for t in auth_service.list_tokens(session):
            table.add_row(
                str(t.id),
                t.name,
                t.prefix + "…",
                t.created_at.isoformat(),
                t.last_used_at.isoformat() if t.last_used_at else "",
                t.revoked_at.isoformat() if t.revoked_at else "",
            )
    console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(token_id: int, database_url: DatabaseUrl = None) -> None:
    """Revoke an API token by id."""
    db = open_database(make_settings(database_url))
    try:
        with db.unit_of_work() as session:
            auth_service.revoke_token(session, token_id)
    except RevlineError as error:
        fail(error)
    console.print(f"Token {token_id} revoked")


@app.command()
def demo(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="REVLINE_DEMO_DATABASE_URL",
            help="Where the demo lives; default: sqlite:///revline-demo.db",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the demo when it is ready.")
    ] = True,
    reset: Annotated[bool, typer.Option(help="Start from an empty SQLite demo file.")] = False,
    scale: Annotated[
        float, typer.Option(hidden=True, min=0.01, max=10.0, help="Size factor (1 = full).")
    ] = 1.0,
) -> None:
    """Create a workspace with realistic demo data, then serve it and print a token."""
    import uvicorn

    from revline import demo as demo_data
    from revline.app import create_app

    url = database_url or "sqlite:///revline-demo.db"
    settings = Settings(database_url=url, host=host, port=port)
    if reset and settings.is_sqlite:
        path = Path(url.split("sqlite:///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    db = open_database(settings)
    upgrade_database(db)
    with db.unit_of_work() as session:
        already = demo_data.has_demo_data(session)
    if already:
        console.print("Demo data is already there; reusing it (use --reset to start over).")
    else:
        with Progress(
            TextColumn("{task.description:<14}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(step, total=total)
                bar.update(tasks[step], completed=done, total=total)

            with db.unit_of_work() as session:
                summary = demo_data.generate(session, seed=seed, progress=progress, scale=scale)
        console.print(summary.describe())
    with db.unit_of_work() as session:
        issued = auth_service.create_token(session, name="demo")
    base = f"http://{host}:{port}"
    # soft_wrap: the token and the curl line must stay copy-pasteable at any terminal width.
    console.print(f"\nRevline demo at [bold]{base}[/bold]  (API docs: {base}/docs)", soft_wrap=True)
    console.print(f"API token: [bold]{issued.token}[/bold]", soft_wrap=True)
    console.print(
        f'Try: curl -H "Authorization: Bearer {issued.token}" '
        f'"{base}/crm/v3/objects/contacts?limit=3"',
        soft_wrap=True,
    )
    if serve_after:
        configure(settings.log_level)
        uvicorn.run(create_app(settings, db=db), host=host, port=port, log_level="warning")


def main() -> None:
    app()
