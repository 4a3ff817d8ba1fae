"""Write rules for lifecycle stage and lead status, applied while a contact or company is
validated (so a refused write names the property in the usual 400)."""

from __future__ import annotations

from revline.crm.lifecycle import lead_status, stages
from revline.crm.properties.builtins import stage_date_property
from revline.crm.records.context import WriteContext


def prepare_stage(ctx: WriteContext) -> None:
    """Forward only: an explicit write may move a record to a later stage, or clear it; a
    move to an earlier stage is refused until the stage has been cleared. Entering a stage
    stamps its date-entered property unless an earlier entry already did."""
    if "lifecyclestage" not in ctx.values:
        return
    new = ctx.values["lifecyclestage"]
    old = None if ctx.current is None else ctx.current.get("lifecyclestage")
    if new is None or new == old:
        return
    assert isinstance(new, str)
    if new in stages.archived_of(ctx.catalog):
        ctx.problem(
            "lifecyclestage",
            "STAGE_ARCHIVED",
            f"Lifecycle stage '{new}' is archived; records can no longer enter it",
        )
        return
    rank = stages.rank_of(ctx.catalog)
    if isinstance(old, str) and rank.get(old, -1) > rank.get(new, -1):
        ctx.problem(
            "lifecyclestage",
            "LIFECYCLE_BACKWARD",
            f"Lifecycle stages only move forward: '{new}' comes before the current stage "
            f"'{old}'. Clear the stage first (set it to an empty value), then set '{new}'",
        )
        return
    stamp = stage_date_property(new)
    if ctx.catalog.get(stamp) is not None and (ctx.current or {}).get(stamp) is None:
        ctx.values[stamp] = ctx.at


def prepare_lead_status(ctx: WriteContext) -> None:
    """A status that asks for a disqualification reason cannot be set without one; the
    status group follows the status."""
    touched_status = lead_status.PROPERTY in ctx.values
    if not touched_status and lead_status.REASON_PROPERTY not in ctx.values:
        return
    config = lead_status.load_config(ctx.session)
    status = ctx.effective(lead_status.PROPERTY)
    if touched_status and status is not None:
        old = None if ctx.current is None else ctx.current.get(lead_status.PROPERTY)
        if status != old and status in lead_status.archived_statuses(ctx.catalog):
            ctx.problem(
                lead_status.PROPERTY,
                "STATUS_ARCHIVED",
                f"Lead status '{status}' is archived; it can no longer be set",
            )
            return
    if status in config.reason_required and ctx.effective(lead_status.REASON_PROPERTY) is None:
        reasons = ctx.catalog.get(lead_status.REASON_PROPERTY)
        shown = ", ".join(str(o["value"]) for o in reasons.options) if reasons else ""
        ctx.problem(
            lead_status.REASON_PROPERTY,
            "REQUIRED",
            f"Lead status '{status}' needs a disqualification reason "
            f"({lead_status.REASON_PROPERTY}: one of {shown})",
        )
        return
    if touched_status and ctx.catalog.get(lead_status.GROUP_PROPERTY) is not None:
        ctx.values[lead_status.GROUP_PROPERTY] = config.group_of(
            status if isinstance(status, str) else None
        )
