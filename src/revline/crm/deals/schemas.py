"""The API contract of the deal side."""

from __future__ import annotations

from typing import Any

from revline.crm.deals.service import StageHistory
from revline.crm.properties.values import format_number
from revline.kit.time import iso_ms


def stage_history_out(found: StageHistory) -> dict[str, Any]:
    return {
        "dealId": str(found.deal_id),
        "transitions": [
            {
                "fromPipeline": t.from_pipeline,
                "fromStage": t.from_stage,
                "toPipeline": t.to_pipeline,
                "toStage": t.to_stage,
                "changedAt": iso_ms(t.changed_at),
                "sourceType": t.source_type,
                "sourceId": t.source_id,
                "userId": None if t.user_id is None else str(t.user_id),
            }
            for t in found.transitions
        ],
        "stages": [
            {
                "stageId": s.stage,
                "pipelineId": s.pipeline,
                "dateEntered": iso_ms(s.date_entered),
                "dateExited": None if s.date_exited is None else iso_ms(s.date_exited),
                "latestTimeInMs": format_number(s.latest_time_in_ms),
                "cumulativeTimeInMs": format_number(s.cumulative_time_in_ms),
                "entries": s.entries,
                "current": s.current,
            }
            for s in found.stages
        ],
    }
