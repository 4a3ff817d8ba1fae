"""`revline scoring backtest` and `revline scoring suggest-points`: test-drive a score model
against what happened after a past day, and let the outcomes suggest its points."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from revline.cli.common import DatabaseUrl, console, run_in_unit_of_work
from revline.errors import ErrorDetail, ValidationError
from revline.scoring import backtest as backtests


def _backtest_points() -> Any:
    """Imported when first needed: scikit-learn takes a second and 100 MB to load, which
    a server answering other requests, or any other command, should not pay."""
    from revline.scoring import backtest_points as loaded

    return loaded


ModelName = Annotated[str | None, typer.Option("--model", help="A stored score model's name or id")]
ModelFileOption = Annotated[
    Path | None,
    typer.Option("--file", help="A JSON file holding a draft model (as the API takes it)"),
]
OutcomeJson = Annotated[
    str,
    typer.Option(
        "--outcome-json",
        help='The outcome, e.g. \'{"lifecycleStage": "opportunity", "withinDays": 90}\'',
    ),
]
ReferenceDate = Annotated[
    str | None,
    typer.Option(
        "--reference-date",
        help="YYYY-MM-DD: score as at the start of this day (may be left out for a property "
        "outcome: then as of now)",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the full answer as JSON")]


def _problem(option: str, message: str) -> ValidationError:
    return ValidationError(
        f"{option}: {message}", errors=[ErrorDetail(message, "INVALID_OPTION", {option: []})]
    )


def _json_file(path: Path, option: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise _problem(option, f"cannot read {path}: {error}") from None


def _model(name: str | None, file: Path | None, names: tuple[str, str]) -> Any:
    """The request's model object from a name or a file (exactly one)."""
    if (name is None) == (file is None):
        raise _problem(names[0], f"give {names[0]} or {names[1]} (one of them)")
    if name is not None:
        return {"model": name}
    assert file is not None
    return _json_file(file, names[1])


def _outcome(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise _problem("--outcome-json", f"not JSON: {error}") from None


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _print_report(title: str, report: dict[str, Any]) -> None:
    d = report["distribution"]
    console.print(
        f"[bold]{title}[/bold]: {report['name']} ({'stored' if report['stored'] else 'draft'}, "
        f"{report['kind']})",
        highlight=False,
    )
    auc = _number(report["auc"]) if report["auc"] is not None else f"- ({report['aucNote']})"
    lift = (
        _number(report["topDecileLift"])
        if report["topDecileLift"] is not None
        else f"- ({report['topDecileLiftNote']})"
    )
    console.print(f"  AUC {auc}   top-decile lift {lift}", highlight=False)
    console.print(
        f"  scores: min {d['min']:g}, p25 {d['p25']:g}, median {d['median']:g}, mean "
        f"{d['mean']:g}, p75 {d['p75']:g}, p90 {d['p90']:g}, max {d['max']:g}",
        highlight=False,
    )
    for t in report["thresholds"]:
        console.print(
            f"  >= {t['minScore']:g} ({t['lifecycleStage']}): {t['contacts']} contacts, "
            f"{t['converted']} converted ({_percent(t['conversionRate'])})",
            highlight=False,
        )
    for tier in report["labels"]:
        console.print(
            f"  label {tier['label'] or '(none)'}: {tier['contacts']} contacts, "
            f"{tier['converted']} converted ({_percent(tier['conversionRate'])})",
            highlight=False,
        )
    table = Table("decile", "contacts", "converted", "rate", "scores")
    for row in report["deciles"]:
        span = "-" if row["minScore"] is None else f"{row['minScore']:g} - {row['maxScore']:g}"
        table.add_row(
            str(row["decile"]),
            str(row["contacts"]),
            str(row["converted"]),
            _percent(row["conversionRate"]),
            span,
        )
    console.print(table)
    misses = report["misses"]
    console.print(f"  misses: {misses['total']} ({misses['rule']})", highlight=False)
    for m in misses["contacts"]:
        who = m["email"] or m["name"] or ""
        console.print(f"    {m['id']:>8}  {m['score']:>8g}  {who}", highlight=False)


def _warnings(answer: dict[str, Any]) -> None:
    for w in answer["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {w['message']}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``backtest`` and ``suggest-points`` to the ``revline scoring`` commands."""

    @app.command("backtest")
    def backtest(
        outcome_json: OutcomeJson,
        reference_date: ReferenceDate = None,
        model: ModelName = None,
        file: ModelFileOption = None,
        compare: Annotated[
            str | None, typer.Option("--compare", help="A stored model to compare with")
        ] = None,
        compare_file: Annotated[
            Path | None, typer.Option("--compare-file", help="A draft model file to compare with")
        ] = None,
        misses_limit: Annotated[
            int, typer.Option("--misses-limit", help="Misses listed per model (1-500)")
        ] = backtests.DEFAULT_MISSES,
        as_json: AsJson = False,
        database_url: DatabaseUrl = None,
    ) -> None:
        """Score a past day's population under a model and measure who converted after."""

        def work(session: Any) -> None:
            body: dict[str, Any] = {
                "model": _model(model, file, ("--model", "--file")),
                "outcome": _outcome(outcome_json),
                "missesLimit": misses_limit,
            }
            if reference_date is not None:
                body["referenceDate"] = reference_date
            if compare is not None or compare_file is not None:
                body["compareWith"] = _model(compare, compare_file, ("--compare", "--compare-file"))
            answer = backtests.backtest(session, body).to_api()
            if as_json:
                console.print_json(json.dumps(answer))
                return
            p = answer["population"]
            console.print(
                f"reference date {answer['referenceDate'] or 'now'}, outcome: "
                f"{answer['outcomeDescription']}",
                highlight=False,
            )
            console.print(
                f"population {p['size']}, converted {p['converted']} (base rate "
                f"{_percent(p['baseRate'])})",
                highlight=False,
            )
            _warnings(answer)
            _print_report("model", answer["model"])
            if "compareWith" in answer:
                _print_report("compared with", answer["compareWith"])
                c = answer["comparison"]
                top = c["convertedInTopDecile"]
                console.print(
                    f"AUC difference {_number(c['aucDifference'])}; converted in the top decile: "
                    f"{top['model']} vs {top['compareWith']} ({top['both']} in both)",
                    highlight=False,
                )

        run_in_unit_of_work(database_url, work)

    @app.command("suggest-points")
    def suggest_points(
        outcome_json: OutcomeJson,
        reference_date: ReferenceDate = None,
        model: ModelName = None,
        file: ModelFileOption = None,
        test_share: Annotated[
            float, typer.Option("--test-share", help="Held-out share of the population, 0.1-0.5")
        ] = backtests.DEFAULT_TEST_SHARE,
        seed: Annotated[
            int, typer.Option("--seed", help="Seed of the stratified split")
        ] = backtests.DEFAULT_SEED,
        save: Annotated[
            Path | None,
            typer.Option("--save", help="Write the suggested model (JSON) to this file"),
        ] = None,
        as_json: AsJson = False,
        database_url: DatabaseUrl = None,
    ) -> None:
        """Fit each rule's points on a past day's outcomes and print them beside the current
        ones, with the held-out AUC of both."""

        def work(session: Any) -> None:
            body: dict[str, Any] = {
                "model": _model(model, file, ("--model", "--file")),
                "outcome": _outcome(outcome_json),
                "testShare": test_share,
                "seed": seed,
            }
            if reference_date is not None:
                body["referenceDate"] = reference_date
            answer = _backtest_points().suggest_points(session, body).to_api()
            if save is not None and answer["suggestedModel"] is not None:
                save.write_text(json.dumps(answer["suggestedModel"], indent=2) + "\n")
            if as_json:
                console.print_json(json.dumps(answer))
                return
            p = answer["population"]
            split = answer["split"]
            console.print(
                f"population {p['size']}, converted {p['converted']}; trained on "
                f"{split['training']['contacts']}, held out {split['heldOut']['contacts']} "
                f"(seed {split['seed']})",
                highlight=False,
            )
            _warnings(answer)
            table = Table("rule", "group", "current", "suggested", "coefficient", "note")
            for r in answer["rules"]:
                table.add_row(
                    r["name"],
                    r["group"],
                    f"{r['currentPoints']:g}",
                    str(r["suggestedPoints"]),
                    f"{r['coefficient']:g}",
                    r["note"] or "",
                )
            console.print(table)
            auc = answer["heldOutAuc"]
            console.print(
                f"held-out AUC: current {_number(auc['current'])}, suggested "
                f"{_number(auc['suggested'])}, improvement {_number(auc['improvement'])}",
                highlight=False,
            )
            if save is not None:
                if answer["suggestedModel"] is None:
                    console.print("nothing saved: there is no suggested model", highlight=False)
                else:
                    console.print(f"suggested model written to {save}", highlight=False)

        run_in_unit_of_work(database_url, work)
