"""Engagements: every activity needs ``hs_timestamp`` (for tasks it is the due date)."""

from __future__ import annotations

from revline.crm.records.context import WriteContext


def prepare(ctx: WriteContext) -> None:
    if ctx.effective("hs_timestamp") is None and not ctx.has_problem("hs_timestamp"):
        ctx.problem(
            "hs_timestamp", "REQUIRED", f"hs_timestamp is required for {ctx.object_type.name}"
        )
    start, end = ctx.effective("hs_meeting_start_time"), ctx.effective("hs_meeting_end_time")
    if start is not None and end is not None and end < start:
        ctx.problem(
            "hs_meeting_end_time",
            "INVALID_RANGE",
            "hs_meeting_end_time is before hs_meeting_start_time",
        )
