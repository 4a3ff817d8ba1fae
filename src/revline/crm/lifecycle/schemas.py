"""API shapes of the lifecycle endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from revline.crm.lifecycle.lead_status import LeadStatus
from revline.crm.lifecycle.service import Count, LifecycleEvent
from revline.crm.lifecycle.stages import Stage
from revline.kit.time import iso_ms


class _Body(BaseModel):
    # Values are checked by the services, so each bad field gets its own named 400.
    model_config = ConfigDict(extra="ignore")


class StageIn(_Body):
    value: Any = None
    label: Any = None
    before: Any = None


class StagePatchIn(_Body):
    label: Any = None
    archived: Any = None


class StageOrderIn(_Body):
    order: Any = None


class LeadStatusIn(_Body):
    value: Any = None
    label: Any = None
    group: Any = "open"
    requiresReason: Any = False


class LeadStatusPatchIn(_Body):
    label: Any = None
    group: Any = None
    requiresReason: Any = None
    archived: Any = None


def stage_out(stage: Stage) -> dict[str, Any]:
    return {
        "value": stage.value,
        "label": stage.label,
        "displayOrder": stage.display_order,
        "archived": stage.archived,
        "dateProperty": stage.date_property,
    }


def lead_status_out(status: LeadStatus) -> dict[str, Any]:
    return {
        "value": status.value,
        "label": status.label,
        "displayOrder": status.display_order,
        "archived": status.archived,
        "group": status.group,
        "requiresReason": status.requires_reason,
    }


def count_out(count: Count) -> dict[str, Any]:
    return {"value": count.value, "label": count.label, "count": count.count, **count.extra}


def event_out(event: LifecycleEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "from": event.from_stage,
        "to": event.to_stage,
        "changedAt": iso_ms(event.changed_at),
        "source": event.source,
        "sourceId": event.source_id,
        "userId": None if event.user_id is None else str(event.user_id),
    }
