"""`revline scoring predictive`: train the predictive score, list its versions, activate one,
score every contact again."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from revline.cli.common import DatabaseUrl, console, run_in_unit_of_work
from revline.errors import ErrorDetail, ValidationError


def _predictive() -> Any:
    """Imported when first needed: scikit-learn takes a second and 100 MB to load, which
    a server answering other requests, or any other command, should not pay."""
    from revline.scoring import predictive as loaded

    return loaded


app = typer.Typer(help="The predictive lead score.", no_args_is_help=True)


def _outcome(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        message = f"outcome: not JSON ({exc})"
        raise ValidationError(
            message, errors=[ErrorDetail(message, "INVALID_OUTCOME", {"field": ["outcome"]})]
        ) from None


def _print_metrics(document: dict[str, Any]) -> None:
    metrics = document["metrics"]
    auc = metrics["auc"]
    console.print(
        f"version {document['version']} ({document['algorithm']}, seed {document['seed']}): "
        f"{metrics['rows']} rows, {metrics['positives']} reached the outcome "
        f"({metrics['positiveRate']:.1%}), reference date {metrics['referenceDate']}",
        highlight=False,
    )
    folds = ", ".join(f"{a:.3f}" for a in auc["folds"])
    console.print(f"ROC AUC {auc['mean']:.3f} (folds: {folds})", highlight=False)
    for warning in document["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning['message']}", highlight=False)
    table = Table("field", "column", "value", "weight / importance")
    for f in metrics["topFeatures"]:
        strength = f.get("weight", f.get("importance"))
        table.add_row(f["field"], f["column"], f["value"] or "", f"{strength:+.4f}")
    console.print(table)


def _print_scoring(document: dict[str, Any]) -> None:
    scoring = document.get("scoring")
    if scoring is None:
        console.print(f"version {document['version']} is stored, not active", highlight=False)
        return
    cutoffs = ", ".join(f"{c['tier']} >= {c['minScore']}" for c in scoring["tierCutoffs"])
    console.print(
        f"version {scoring['version']} is active: scored {scoring['scored']} contacts, "
        f"{scoring['changed']} changed (tiers: {cutoffs or '-'})",
        highlight=False,
    )


def _emit(document: dict[str, Any], as_json: bool, *, metrics: bool) -> None:
    if as_json:
        print(json.dumps(document, indent=2))
        return
    if metrics:
        _print_metrics(document)
    _print_scoring(document)


@app.command("train")
def train(
    outcome: Annotated[
        str,
        typer.Option(
            help='The outcome as JSON: \'{"lifecycleStage": "opportunity", "withinDays": 90}\', '
            '\'{"closedWonDeal": true}\' or \'{"property": "x", "operator": "EQ", "value": "1"}\''
        ),
    ],
    algorithm: Annotated[
        str | None, typer.Option(help="logistic_regression (default) or gradient_boosting")
    ] = None,
    include: Annotated[
        list[str] | None, typer.Option(help="Use only these fields (repeat the option).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Leave these fields out (repeat the option).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default 42).")] = None,
    c: Annotated[
        float | None, typer.Option("--c", "-C", help="Inverse regularisation (default 1.0).")
    ] = None,
    activate: Annotated[
        bool, typer.Option("--activate/--no-activate", help="Make it active and score.")
    ] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the stored model as JSON.")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Train a new version: prints ROC AUC, leakage warnings and the top features."""

    def work(session: Any) -> None:
        trained = _predictive().train(
            session,
            outcome=_outcome(outcome),
            algorithm=algorithm,
            include=include,
            exclude=exclude,
            seed=seed,
            c=c,
            activate=activate,
        )
        document = _predictive().model_document(trained.model)
        if trained.scoring is not None:
            document["scoring"] = _predictive().summary_document(trained.scoring)
        _emit(document, as_json, metrics=True)

    run_in_unit_of_work(database_url, work)


@app.command("models")
def models(
    as_json: Annotated[bool, typer.Option("--json", help="Print the versions as JSON.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """List the trained versions, newest first."""

    def work(session: Any) -> None:
        documents: list[dict[str, Any]] = []
        after = None
        while True:
            page = _predictive().list_models(session, after=after, limit=_predictive().MAX_LIMIT)
            documents += [_predictive().model_document(m) for m in page.items]
            after = page.next_after
            if after is None:
                break
        if as_json:
            print(json.dumps(documents, indent=2))
            return
        table = Table("version", "active", "algorithm", "outcome", "rows", "AUC", "warnings")
        for d in documents:
            table.add_row(
                str(d["version"]),
                "yes" if d["active"] else "",
                d["algorithm"],
                json.dumps(d["outcome"]),
                str(d["metrics"]["rows"]),
                f"{d['metrics']['auc']['mean']:.3f}",
                str(len(d["warnings"])),
            )
        console.print(table)

    run_in_unit_of_work(database_url, work)


@app.command("activate")
def activate(
    version: Annotated[str, typer.Argument(help="The version to make active")],
    database_url: DatabaseUrl = None,
) -> None:
    """Make a version the active one and score every contact with it."""

    def work(session: Any) -> None:
        model, summary = _predictive().activate(session, version)
        document = _predictive().model_document(model)
        document["scoring"] = _predictive().summary_document(summary)
        _print_scoring(document)

    run_in_unit_of_work(database_url, work)


@app.command("score")
def score(database_url: DatabaseUrl = None) -> None:
    """Score every contact again with the active version."""

    def work(session: Any) -> None:
        model, summary = _predictive().rescore(session)
        document = _predictive().model_document(model)
        document["scoring"] = _predictive().summary_document(summary)
        _print_scoring(document)

    run_in_unit_of_work(database_url, work)
