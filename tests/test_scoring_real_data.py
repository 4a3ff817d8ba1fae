"""The real-data how-to (docs/how-to/score-real-leads.md), step by step through the CLI on
the X Education leads: import, a hand-made rule model test-driven against the recorded
outcome, suggested points, and the predictive score with and without the post-contact
columns. The AUCs the how-to reports are checked to the second decimal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from revline.kit.db import Database
from tests.cli_support import run

ROOT = Path(__file__).resolve().parent.parent
LEADS = ROOT.parent / "shared" / "datasets" / "x-education-leads" / "Leads.csv"
EXAMPLES = ROOT / "docs" / "examples"
OUTCOME = json.dumps({"property": "xe_converted", "operator": "EQ", "value": "true"})
POST_CONTACT = [
    "xe_tags",
    "xe_lead_quality",
    "xe_lead_profile",
    "xe_asymmetrique_activity_index",
    "xe_asymmetrique_profile_index",
    "xe_asymmetrique_activity_score",
    "xe_asymmetrique_profile_score",
    "xe_last_notable_activity",
]
IDS = ["xe_prospect_id", "xe_lead_number"]


def cli(url: str, *args: str) -> str:
    result = run(*args, "--database-url", url)
    assert result.exit_code == 0, result.output
    return result.output


def test_scoring_the_x_education_leads(database: Database, tmp_path: Path) -> None:
    if not LEADS.exists():
        pytest.skip(f"the X Education data set is not at {LEADS}")
    url = database.url
    cli(
        url,
        "import",
        "contacts",
        str(LEADS),
        "--mapping",
        str(EXAMPLES / "x-education-mapping.yaml"),
    )

    # A hand-made formula, as a draft, test-driven against the recorded outcome.
    cli(url, "scoring", "create", str(EXAMPLES / "x-education-rule-model.json"))
    answer = json.loads(
        cli(
            url,
            "scoring",
            "backtest",
            "--model",
            "xe_handmade",
            "--outcome-json",
            OUTCOME,
            "--json",
        )
    )
    assert answer["asOfNow"] is True
    assert answer["population"] == {"size": 9240, "converted": 3561, "baseRate": 0.3854}
    model = answer["model"]
    assert model["auc"] == pytest.approx(0.80, abs=0.005)
    assert model["topDecileLift"] == pytest.approx(2.45, abs=0.01)
    tiers = {t["label"]: t["conversionRate"] for t in model["labels"]}
    assert tiers["A"] > 0.9 > tiers["B"] > 0.6 > 0.3 > tiers["C"]

    # Data-driven points beat the hand-made ones on held-out leads.
    saved = tmp_path / "suggested.json"
    answer = json.loads(
        cli(
            url,
            "scoring",
            "suggest-points",
            "--model",
            "xe_handmade",
            "--outcome-json",
            OUTCOME,
            "--save",
            str(saved),
            "--json",
        )
    )
    held_out = answer["heldOutAuc"]
    assert held_out["current"] == pytest.approx(0.80, abs=0.01)
    assert held_out["suggested"] == pytest.approx(0.83, abs=0.01)
    assert held_out["improvement"] > 0.02
    assert json.loads(saved.read_text())["active"] is False

    # The predictive score with the sales team's notes: too good to be true, and flagged.
    leaky = json.loads(
        cli(url, "scoring", "predictive", "train", "--outcome", OUTCOME, "--no-activate", "--json")
    )
    assert leaky["metrics"]["auc"]["mean"] > 0.97
    assert any("xe_tags" in w for w in map(json.dumps, leaky["metrics"]["warnings"]))

    # Without them (and without the ids), an honest score.
    excluded = [arg for name in POST_CONTACT + IDS for arg in ("--exclude", name)]
    honest = json.loads(
        cli(url, "scoring", "predictive", "train", "--outcome", OUTCOME, *excluded, "--json")
    )
    assert honest["metrics"]["auc"]["mean"] == pytest.approx(0.89, abs=0.01)
    assert not honest["metrics"]["warnings"]
    boosted = json.loads(
        cli(
            url,
            "scoring",
            "predictive",
            "train",
            "--outcome",
            OUTCOME,
            *excluded,
            "--algorithm",
            "gradient_boosting",
            "--no-activate",
            "--json",
        )
    )
    assert boosted["metrics"]["auc"]["mean"] == pytest.approx(0.90, abs=0.01)
