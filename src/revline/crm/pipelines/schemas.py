"""The pipelines API contract."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from revline.crm.pipelines import stage_rules
from revline.crm.pipelines.service import StageInput
from revline.kit.time import iso_ms
from revline.models import Pipeline, PipelineStage


class StageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str = Field(min_length=1, max_length=255)
    displayOrder: int = 0
    metadata: dict[str, Any] = {}
    stageId: str | None = None

    def to_input(self) -> StageInput:
        return StageInput(self.label, self.displayOrder, self.metadata, self.stageId)


class PipelineIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str = Field(min_length=1, max_length=255)
    displayOrder: int = 0
    stages: list[StageIn]
    pipelineId: str | None = Field(default=None, max_length=64)


class PipelinePatchIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str | None = Field(default=None, min_length=1, max_length=255)
    displayOrder: int | None = None
    archived: bool | None = None


class StagePatchIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str | None = Field(default=None, min_length=1, max_length=255)
    displayOrder: int | None = None
    metadata: dict[str, Any] | None = None
    archived: bool | None = None


def _prob(value: Decimal) -> str:
    """Probabilities read like HubSpot's: "0.2", "1.0", "0.0", or as precise as stored."""
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def stage_out(s: PipelineStage) -> dict[str, Any]:
    metadata: dict[str, str] = {"isClosed": "true" if s.is_closed else "false"}
    if s.probability is not None:
        metadata["probability"] = _prob(s.probability)
    metadata.update(stage_rules.metadata_of(s))
    out: dict[str, Any] = {
        "id": s.id,
        "label": s.label,
        "displayOrder": s.display_order,
        "metadata": metadata,
        "createdAt": iso_ms(s.created_at),
        "updatedAt": iso_ms(s.updated_at),
        "archived": s.archived,
        "writePermissions": s.write_permissions,
    }
    if s.archived_at is not None:
        out["archivedAt"] = iso_ms(s.archived_at)
    return out


def pipeline_out(p: Pipeline) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": p.id,
        "label": p.label,
        "displayOrder": p.display_order,
        "stages": [stage_out(s) for s in p.stages if not s.archived],
        "createdAt": iso_ms(p.created_at),
        "updatedAt": iso_ms(p.updated_at),
        "archived": p.archived,
    }
    if p.archived_at is not None:
        out["archivedAt"] = iso_ms(p.archived_at)
    return out
