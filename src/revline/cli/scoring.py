"""`revline scoring`: score models from JSON files, recomputes, a contact's score."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from revline.cli import scoring_backtest
from revline.cli.common import DatabaseUrl, console, fail, run_in_unit_of_work
from revline.errors import ErrorDetail, ValidationError
from revline.scoring import service
from revline.scoring.schemas import explanation_out, model_out

app = typer.Typer(
    help="Lead scoring: score models, recomputes, explanations.", no_args_is_help=True
)

ModelFile = Annotated[
    Path, typer.Argument(help="A JSON file holding the model (as the API takes it)")
]


def read_json(path: Path, what: str = "file") -> Any:
    """A JSON document from a file, or a 400-style error naming the file."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        fail(
            ValidationError(
                f"Cannot read {what} {path}: {error}",
                errors=[ErrorDetail(str(error), "INVALID_FILE", {"file": [str(path)]})],
            )
        )


def _summary(view: service.ModelView) -> None:
    m = view.model
    state = "active" if m.active else "draft"
    console.print(
        f"score model {m.id} {m.name} (v{m.version}, {state}) -> {m.score_property}",
        highlight=False,
    )
    if view.recompute is not None:
        r = view.recompute
        console.print(
            f"scored {r.scored} contacts: {r.changed} changed, {r.moved} moved forward in "
            "lifecycle",
            highlight=False,
        )


@app.command("list")
def list_models(database_url: DatabaseUrl = None) -> None:
    """List live score models."""

    def work(session: Any) -> None:
        table = Table("id", "name", "kind", "version", "active", "property", "rules", "recomputed")
        after = None
        while True:
            views, after = service.list_models(session, after=after, limit=100)
            for v in views:
                m = v.model
                table.add_row(
                    str(m.id),
                    m.name,
                    m.kind,
                    str(m.version),
                    "yes" if m.active else "no",
                    m.score_property,
                    str(len(v.definition.rules)),
                    m.last_recomputed_at.isoformat() if m.last_recomputed_at else "-",
                )
            if after is None:
                break
        console.print(table)

    run_in_unit_of_work(database_url, work)


@app.command("show")
def show(
    model: Annotated[str, typer.Argument(help="Model id or name")],
    database_url: DatabaseUrl = None,
) -> None:
    """Print a model as JSON."""

    def work(session: Any) -> None:
        console.print_json(json.dumps(model_out(service.get_model(session, model))))

    run_in_unit_of_work(database_url, work)


@app.command("create")
def create(file: ModelFile, database_url: DatabaseUrl = None) -> None:
    """Create a model from a JSON file; an active one scores every contact at once."""
    body = read_json(file)

    def work(session: Any) -> None:
        _summary(service.create_model(session, body))

    run_in_unit_of_work(database_url, work)


@app.command("update")
def update(
    model: Annotated[str, typer.Argument(help="Model id or name")],
    file: ModelFile,
    database_url: DatabaseUrl = None,
) -> None:
    """Change a model from a JSON file (the fields it holds); a new definition rescores."""
    body = read_json(file)

    def work(session: Any) -> None:
        _summary(service.update_model(session, model, body))

    run_in_unit_of_work(database_url, work)


@app.command("recompute")
def recompute(
    model: Annotated[str | None, typer.Argument(help="Model id or name")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every active model")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Recompute every contact's score under one active model, or all of them, now."""
    if (model is None) == (not all_):
        console.print("[red]error:[/red] give a model or --all (not both)")
        raise typer.Exit(code=1)

    def work(session: Any) -> None:
        if all_:
            results = service.recompute_all(session, cause="recompute")
        else:
            found = service.access_model(session, str(model))
            if not found.active:
                raise service.inactive(found)
            results = [service.recompute(session, found, cause="recompute")]
        for r in results:
            if r.problem is not None:
                console.print(f"[red]{r.name}: not scored:[/red] {r.problem}", highlight=False)
                continue
            console.print(
                f"{r.name}: scored {r.scored}, changed {r.changed}, moved {r.moved}",
                highlight=False,
            )

    run_in_unit_of_work(database_url, work)


@app.command("archive")
def archive(
    model: Annotated[str, typer.Argument(help="Model id or name")],
    database_url: DatabaseUrl = None,
) -> None:
    """Archive a model (its scores are cleared)."""

    def work(session: Any) -> None:
        service.archive_model(session, model)
        console.print(f"archived score model {model}", highlight=False)

    run_in_unit_of_work(database_url, work)


@app.command("explain")
def explain(
    contact_id: Annotated[str, typer.Argument(help="Contact id")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """A contact's score under every active model, rule by rule."""

    def work(session: Any) -> None:
        results = [explanation_out(e) for e in service.explain(session, contact_id)]
        if as_json:
            console.print_json(json.dumps(results))
            return
        for r in results:
            if r["problem"] is not None:
                console.print(
                    f"[red]{r['model']}: not scored:[/red] {r['problem']}", highlight=False
                )
                continue
            label = f" ({r['label']})" if r["label"] else ""
            console.print(f"{r['model']}: {r['score']:g}{label}", highlight=False)
            for rule in r["rules"]:
                console.print(
                    f"  {rule['points']:>8g}  {rule['name']}: {rule['why']}", highlight=False
                )

    run_in_unit_of_work(database_url, work)


scoring_backtest.register(app)
