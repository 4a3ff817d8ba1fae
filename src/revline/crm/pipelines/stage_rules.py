"""Stage rules kept beside HubSpot's stage metadata: the properties a deal needs to enter a
stage, the days after which a deal in it counts as stuck, and its forecast category.

They travel in the stage's ``metadata`` map as strings, like ``probability`` and
``isClosed`` (``"requiredProperties": "amount,closedate"``, ``"rotDays": "14"``,
``"forecastCategory": "COMMIT"``), so HubSpot clients keep working and Revline clients set
them with the same calls."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from revline.crm.deals.history import CUMULATIVE, ENTERED, EXITED, LATEST
from revline.crm.object_types import DEALS
from revline.crm.properties import service as properties
from revline.errors import ErrorDetail, ValidationError
from revline.models import PipelineStage

FORECAST_CATEGORIES = ("PIPELINE", "BEST_CASE", "COMMIT", "CLOSED", "OMIT")
LOST_REASON = "closed_lost_reason"
MAX_ROT_DAYS = 3650


@dataclass(frozen=True)
class StageRules:
    required_properties: list[str]
    rot_days: int | None
    forecast_category: str | None


def default_forecast_category(probability: Decimal | None, closed: bool, won: bool) -> str:
    """The category of a stage that names none: closed won counts as CLOSED, closed lost is
    left out (OMIT); open stages go by probability (>= 0.9 COMMIT, >= 0.6 BEST_CASE, else
    PIPELINE), which maps HubSpot's default stages the way its forecast tool does."""
    if closed:
        return "CLOSED" if won else "OMIT"
    p = probability or Decimal(0)
    if p >= Decimal("0.9"):
        return "COMMIT"
    if p >= Decimal("0.6"):
        return "BEST_CASE"
    return "PIPELINE"


def stage_forecast_category(stage: PipelineStage) -> str:
    closed = stage.is_closed
    won = closed and stage.probability is not None and stage.probability >= 1
    return stage.forecast_category or default_forecast_category(stage.probability, closed, won)


def _bad(message: str, code: str, field: str, value: str) -> ValidationError:
    return ValidationError(message, errors=[ErrorDetail(message, code, {field: [value]})])


def parse_stage_rules(
    session: Session,
    meta: dict[str, Any],
    *,
    closed: bool,
    won: bool,
    current: StageRules | None,
    where: str,
) -> StageRules:
    """Read the rule keys of a stage's metadata. Keys left out keep their ``current`` value;
    a new lost stage requires ``closed_lost_reason`` unless its metadata says otherwise."""
    if current is None:
        required = [LOST_REASON] if closed and not won else []
        current = StageRules(required, None, None)
    required = list(current.required_properties)
    if "requiredProperties" in meta:
        raw = meta["requiredProperties"]
        names = raw if isinstance(raw, list) else str(raw or "").split(",")
        required = []
        catalog = properties.load_catalog(session, DEALS)
        for name in (str(n).strip() for n in names):
            if not name:
                continue
            prop = catalog.by_name.get(name)
            if prop is None or prop.calculated:
                raise _bad(
                    f"{where}: metadata.requiredProperties names '{name}', which is not a "
                    "deal property a user can set",
                    "INVALID_PROPERTY",
                    "requiredProperties",
                    name,
                )
            if name not in required:
                required.append(name)
    rot_days = current.rot_days
    if "rotDays" in meta:
        raw_days = str(meta["rotDays"] if meta["rotDays"] is not None else "").strip()
        if raw_days == "":
            rot_days = None
        elif not raw_days.isdigit() or not 1 <= int(raw_days) <= MAX_ROT_DAYS:
            raise _bad(
                f"{where}: metadata.rotDays must be a whole number of days from 1 to "
                f"{MAX_ROT_DAYS}, or empty, got '{raw_days}'",
                "INVALID_ROT_DAYS",
                "rotDays",
                raw_days,
            )
        else:
            rot_days = int(raw_days)
    category = current.forecast_category
    if "forecastCategory" in meta:
        raw_cat = str(meta["forecastCategory"] or "").strip().upper()
        if raw_cat == "":
            category = None
        elif raw_cat not in FORECAST_CATEGORIES:
            raise _bad(
                f"{where}: metadata.forecastCategory must be one of "
                f"{', '.join(FORECAST_CATEGORIES)}, got '{raw_cat}'",
                "INVALID_FORECAST_CATEGORY",
                "forecastCategory",
                raw_cat,
            )
        else:
            category = raw_cat
    return StageRules(required, rot_days, category)


def rules_of(stage: PipelineStage) -> StageRules:
    return StageRules(
        list(stage.required_properties or []), stage.rot_days, stage.forecast_category
    )


def apply_rules(stage: PipelineStage, rules: StageRules) -> None:
    stage.required_properties = list(rules.required_properties)
    stage.rot_days = rules.rot_days
    stage.forecast_category = rules.forecast_category


def metadata_of(stage: PipelineStage) -> dict[str, str]:
    """The rule keys as they appear in the stage's metadata."""
    out: dict[str, str] = {}
    if stage.required_properties:
        out["requiredProperties"] = ",".join(stage.required_properties)
    if stage.rot_days is not None:
        out["rotDays"] = str(stage.rot_days)
    out["forecastCategory"] = stage_forecast_category(stage)
    return out


def define_time_properties(session: Session, stage_id: str, stage_label: str) -> None:
    """The four read-only time-in-stage properties of a deal stage (HubSpot's v2 names)."""
    what = [
        (ENTERED, "Date entered", "datetime", "date", "When the deal last entered"),
        (EXITED, "Date exited", "datetime", "date", "When the deal last left"),
        (LATEST, "Latest time in", "number", "number", "Milliseconds of the last finished stay in"),
        (
            CUMULATIVE,
            "Cumulative time in",
            "number",
            "number",
            "Milliseconds of all finished stays in",
        ),
    ]
    for pattern, label, type_, field_type, description in what:
        properties.define_calculated_property(
            session,
            DEALS,
            name=pattern.format(stage_id),
            label=f"{label} '{stage_label}'",
            type=type_,
            field_type=field_type,
            description=f"{description} the stage {stage_label} ({stage_id}).",
        )


def define_missing_time_properties(session: Session, stages: list[tuple[str, str]]) -> None:
    """Define the time-in-stage properties of the stages (id, label) that lack them."""
    known = properties.load_catalog(session, DEALS).by_name
    for stage_id, label in stages:
        if ENTERED.format(stage_id) not in known:
            define_time_properties(session, stage_id, label)
