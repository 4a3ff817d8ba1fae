"""Deals: a stage must belong to the deal's pipeline; entering a stage needs the properties
the stage requires; closing stamps the close date; stage-derived fields (probability, closed
flags, forecast category, weighted amount, time in stage) are kept in step."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from revline.crm import matching
from revline.crm.deals import history
from revline.crm.money import service as money
from revline.crm.pipelines import service as pipelines
from revline.crm.pipelines import stage_rules
from revline.crm.properties.values import parse_datetime
from revline.crm.records.context import WriteContext
from revline.models import PipelineStage

CENT = Decimal("0.01")


def prepare(ctx: WriteContext) -> None:
    if ctx.creating or "dealname" in ctx.values:
        ctx.values.update(matching.deal_keys(ctx.effective("dealname")))
    money.check_deal_currency(ctx)
    stage = _stage_rules(ctx)
    _forecast_fields(ctx, stage)
    # Last: the money rules read the closed flag and probability the stage rules set.
    money.apply_to_deal(ctx)


def _stage_rules(ctx: WriteContext) -> PipelineStage | None:
    """Check and apply the rules of the deal's stage; the stage the deal will be in (None
    when the write is refused or leaves stage and pipeline alone)."""
    touched = ctx.creating or "pipeline" in ctx.values or "dealstage" in ctx.values
    if not touched:
        return None
    pipeline_id = ctx.effective("pipeline")
    if ctx.creating and pipeline_id is None:
        pipeline_id = pipelines.DEFAULT_PIPELINE_ID
        ctx.values["pipeline"] = pipeline_id
    if pipeline_id is None:
        ctx.problem("pipeline", "REQUIRED", "A deal must be in a pipeline")
        return None
    pipeline = pipelines.get_pipeline(ctx.session, str(pipeline_id))
    if pipeline is None or pipeline.archived or pipeline.object_type != "deals":
        ctx.problem("pipeline", "INVALID_OPTION", f"Pipeline '{pipeline_id}' does not exist")
        return None
    stages = pipelines.live_stages(pipeline)
    stage_id = ctx.effective("dealstage")
    if ctx.creating and stage_id is None and stages:
        stage_id = stages[0].id
        ctx.values["dealstage"] = stage_id
    if stage_id is None:
        ctx.problem("dealstage", "REQUIRED", "A deal must be in a stage")
        return None
    stage = next((s for s in stages if s.id == stage_id), None)
    if stage is None:
        allowed = ", ".join(s.id for s in stages)
        ctx.problem(
            "dealstage",
            "INVALID_OPTION",
            f"Stage '{stage_id}' does not belong to pipeline '{pipeline.id}' "
            f"(its stages: {allowed})",
        )
        return None
    closed, won, lost = pipelines.stage_outcome(stage)
    ctx.values["hs_deal_stage_probability"] = (
        stage.probability if stage.probability is not None else Decimal(0)
    )
    ctx.values["hs_is_closed"] = closed
    ctx.values["hs_is_closed_won"] = won
    ctx.values["hs_is_closed_lost"] = lost
    previous = None if ctx.current is None else ctx.current.get("dealstage")
    if previous == stage.id:
        return stage
    # The deal enters ``stage`` now: creation, a move, a pipeline move or a reopening.
    was_closed = bool(ctx.current and ctx.current.get("hs_is_closed"))
    if closed and not was_closed and "closedate" not in ctx.values:
        ctx.values["closedate"] = ctx.at
    _check_required(ctx, stage)
    _enter_stage(ctx, previous, stage.id)
    return stage


def _check_required(ctx: WriteContext, stage: PipelineStage) -> None:
    for name in stage.required_properties or []:
        if name not in ctx.catalog.by_name or ctx.has_problem(name):
            continue
        value = ctx.effective(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            ctx.problem(
                name,
                "REQUIRED_FOR_STAGE",
                f"{name} is required to enter the stage '{stage.label}' ({stage.id})",
            )


def _enter_stage(ctx: WriteContext, previous: Any, stage_id: str) -> None:
    """Time-in-stage values: close the stay in the stage being left, open the new one."""
    at = ctx.at
    known = ctx.catalog.by_name
    if previous is not None and ctx.current is not None:
        # Values kept in the custom document arrive as their API strings.
        entered = ctx.current.get("hs_v2_date_entered_current_stage") or ctx.current.get(
            history.ENTERED.format(previous)
        )
        if isinstance(entered, str):
            entered = parse_datetime(entered)
        raw_cumulative = ctx.current.get(history.CUMULATIVE.format(previous))
        cumulative = None if raw_cumulative in (None, "") else Decimal(str(raw_cumulative))
        for name, value in history.leave_stage(str(previous), entered, cumulative, at).items():
            if name in known:
                ctx.values[name] = value
    if history.ENTERED.format(stage_id) in known:
        ctx.values[history.ENTERED.format(stage_id)] = at
    ctx.values["hs_v2_date_entered_current_stage"] = at


def effective_probability(ctx: WriteContext) -> Decimal | None:
    """The deal's own forecast probability when set, else its stage's."""
    manual = ctx.effective("hs_forecast_probability")
    if manual is not None:
        return Decimal(manual)
    stage_probability = ctx.effective("hs_deal_stage_probability")
    return None if stage_probability is None else Decimal(stage_probability)


def _forecast_fields(ctx: WriteContext, stage: PipelineStage | None) -> None:
    manual_probability = ctx.values.get("hs_forecast_probability")
    if isinstance(manual_probability, Decimal) and not Decimal(0) <= manual_probability <= 1:
        ctx.problem(
            "hs_forecast_probability",
            "INVALID_PROBABILITY",
            f"must be between 0 and 1, got {manual_probability}",
        )
        return
    relevant = {
        "amount",
        "dealstage",
        "pipeline",
        "hs_forecast_probability",
        "hs_manual_forecast_category",
    }
    if not ctx.creating and not relevant & ctx.values.keys():
        return
    if stage is None:
        stage_id = ctx.effective("dealstage")
        stage = pipelines.get_stage(ctx.session, str(stage_id)) if stage_id else None
    if stage is None:
        return
    closed, won, _ = pipelines.stage_outcome(stage)
    manual = ctx.effective("hs_manual_forecast_category")
    if manual == "CLOSED" and not won:
        ctx.problem(
            "hs_manual_forecast_category",
            "INVALID_FORECAST_CATEGORY",
            "CLOSED is the category of closed won deals; it cannot be set by hand",
        )
        return
    if closed:
        # The outcome decides: won deals count as CLOSED, lost ones are left out.
        category = "CLOSED" if won else "OMIT"
    else:
        category = manual or stage_rules.stage_forecast_category(stage)
    ctx.values["hs_forecast_category"] = category
    amount = ctx.effective("amount")
    probability = effective_probability(ctx)
    ctx.values["hs_projected_amount"] = (
        None
        if amount is None or probability is None
        else (Decimal(amount) * probability).quantize(CENT, ROUND_HALF_UP)
    )
