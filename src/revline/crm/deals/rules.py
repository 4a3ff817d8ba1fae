"""Deals: a stage must belong to the deal's pipeline; stage-derived fields are kept in step."""

from __future__ import annotations

from decimal import Decimal

from revline.crm import matching
from revline.crm.money import service as money
from revline.crm.pipelines import service as pipelines
from revline.crm.records.context import WriteContext


def prepare(ctx: WriteContext) -> None:
    _stage_rules(ctx)
    # Last: the money rules read the closed flag and probability the stage rules set.
    money.apply_to_deal(ctx)


def _stage_rules(ctx: WriteContext) -> None:
    if ctx.creating or "dealname" in ctx.values:
        ctx.values.update(matching.deal_keys(ctx.effective("dealname")))
    money.check_deal_currency(ctx)

    touched = ctx.creating or "pipeline" in ctx.values or "dealstage" in ctx.values
    if not touched:
        return
    pipeline_id = ctx.effective("pipeline")
    if ctx.creating and pipeline_id is None:
        pipeline_id = pipelines.DEFAULT_PIPELINE_ID
        ctx.values["pipeline"] = pipeline_id
    if pipeline_id is None:
        ctx.problem("pipeline", "REQUIRED", "A deal must be in a pipeline")
        return
    pipeline = pipelines.get_pipeline(ctx.session, str(pipeline_id))
    if pipeline is None or pipeline.archived or pipeline.object_type != "deals":
        ctx.problem("pipeline", "INVALID_OPTION", f"Pipeline '{pipeline_id}' does not exist")
        return
    stages = pipelines.live_stages(pipeline)
    stage_id = ctx.effective("dealstage")
    if ctx.creating and stage_id is None and stages:
        stage_id = stages[0].id
        ctx.values["dealstage"] = stage_id
    if stage_id is None:
        ctx.problem("dealstage", "REQUIRED", "A deal must be in a stage")
        return
    stage = next((s for s in stages if s.id == stage_id), None)
    if stage is None:
        allowed = ", ".join(s.id for s in stages)
        ctx.problem(
            "dealstage",
            "INVALID_OPTION",
            f"Stage '{stage_id}' does not belong to pipeline '{pipeline.id}' "
            f"(its stages: {allowed})",
        )
        return
    closed, won, lost = pipelines.stage_outcome(stage)
    ctx.values["hs_deal_stage_probability"] = (
        stage.probability if stage.probability is not None else Decimal(0)
    )
    ctx.values["hs_is_closed"] = closed
    ctx.values["hs_is_closed_won"] = won
    ctx.values["hs_is_closed_lost"] = lost
