"""The segments API contract: request bodies and response shapes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from revline.crm.records.schemas import record_out
from revline.errors import ErrorDetail
from revline.kit.time import iso_ms
from revline.segments.service import (
    ContactSegments,
    Diff,
    ListChange,
    Member,
    Preview,
    SegmentView,
)


class SegmentIn(BaseModel):
    """Types are checked by the service, so a bad value is a 400 naming its field."""

    model_config = ConfigDict(extra="forbid")

    name: Any = None
    kind: Any = "dynamic"
    conditions: Any = None


class SegmentUpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Any = None
    conditions: Any = None


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conditions: Any = None
    limit: Any = 10
    properties: list[str] | None = None


class IdsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: Any = None


def segment_out(view: SegmentView) -> dict[str, Any]:
    s = view.segment
    out: dict[str, Any] = {
        "id": str(s.id),
        "name": s.name,
        "kind": s.kind,
        "conditions": s.conditions,
        "dependencies": s.dependencies,
        "timeBased": s.time_based,
        "size": view.size,
        "createdAt": iso_ms(s.created_at),
        "updatedAt": iso_ms(s.updated_at),
        "lastRebuiltAt": iso_ms(s.last_rebuilt_at) if s.last_rebuilt_at else None,
        "archived": s.archived,
    }
    return out


def diff_out(diff: Diff) -> dict[str, Any]:
    return {
        "segmentId": str(diff.segment_id),
        "name": diff.name,
        "entered": diff.entered,
        "exited": diff.exited,
    }


def member_out(member: Member) -> dict[str, Any]:
    return {**record_out(member.record), "enteredAt": iso_ms(member.entered_at)}


def preview_out(result: Preview) -> dict[str, Any]:
    return {"total": result.total, "results": [record_out(v) for v in result.items]}


def _error_out(error: ErrorDetail) -> dict[str, Any]:
    return {"message": error.message, "code": error.code, "context": error.context}


def list_change_out(change: ListChange, verb: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "status": "COMPLETE",
        verb: [str(i) for i in change.changed],
        "unchanged": [str(i) for i in change.unchanged],
    }
    if change.errors:
        out["numErrors"] = len(change.errors)
        out["errors"] = [_error_out(e) for e in change.errors]
    return out


def contact_segments_out(found: ContactSegments) -> dict[str, Any]:
    return {
        "results": [
            {
                "segmentId": str(m.segment_id),
                "name": m.name,
                "kind": m.kind,
                "enteredAt": iso_ms(m.entered_at),
            }
            for m in found.memberships
        ],
        "history": [
            {
                "segmentId": str(c.segment_id),
                "segmentName": c.segment_name,
                "change": c.kind,
                "at": iso_ms(c.at),
            }
            for c in found.history
        ],
    }
