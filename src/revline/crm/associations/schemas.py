"""The v4 associations API contract: request bodies and HubSpot's response shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from revline.crm.associations.service import (
    BatchRead,
    DirectedLink,
    PairLabels,
    Target,
    TypeInfo,
)
from revline.errors import RevlineError
from revline.kit.time import iso_ms

MAX_BATCH = 1000


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, populate_by_name=True)


class SpecIn(_In):
    associationCategory: str
    associationTypeId: int

    def pair(self) -> tuple[str, int]:
        return (self.associationCategory, self.associationTypeId)


class ObjectIdIn(_In):
    id: str


class FetchIn(_In):
    id: str
    after: str | None = None


class BatchReadIn(_In):
    inputs: list[FetchIn] = Field(max_length=MAX_BATCH)


class DefaultPostIn(_In):
    from_: ObjectIdIn = Field(alias="from")
    to: ObjectIdIn


class BatchDefaultIn(_In):
    inputs: list[DefaultPostIn] = Field(max_length=MAX_BATCH)


class MultiPostIn(_In):
    from_: ObjectIdIn = Field(alias="from")
    to: ObjectIdIn
    types: list[SpecIn]


class BatchMultiPostIn(_In):
    inputs: list[MultiPostIn] = Field(max_length=MAX_BATCH)


class MultiArchiveIn(_In):
    from_: ObjectIdIn = Field(alias="from")
    to: list[ObjectIdIn]


class BatchMultiArchiveIn(_In):
    inputs: list[MultiArchiveIn] = Field(max_length=MAX_BATCH)


class LabelCreateIn(_In):
    label: str
    name: str
    inverseLabel: str | None = None


class LabelUpdateIn(_In):
    associationTypeId: int
    label: str
    inverseLabel: str | None = None


# --- responses --------------------------------------------------------------------------


def type_out(info: TypeInfo) -> dict[str, Any]:
    return {"category": info.category, "typeId": info.type_id, "label": info.label}


def labels_collection_out(infos: list[TypeInfo]) -> dict[str, Any]:
    return {"results": [type_out(i) for i in infos]}


def target_out(target: Target) -> dict[str, Any]:
    return {
        "toObjectId": target.to_id,
        "associationTypes": [
            {"category": t.category, "typeId": t.type_id, "label": t.label} for t in target.types
        ],
    }


def default_link_out(link: DirectedLink) -> dict[str, Any]:
    return {
        "from": {"id": str(link.from_id)},
        "to": {"id": str(link.to_id)},
        "associationSpec": {
            "associationCategory": link.category,
            "associationTypeId": link.type_id,
        },
    }


def pair_labels_out(pair: PairLabels) -> dict[str, Any]:
    return {
        "fromObjectTypeId": pair.from_type.type_id,
        "fromObjectId": pair.from_id,
        "toObjectTypeId": pair.to_type.type_id,
        "toObjectId": pair.to_id,
        "labels": pair.labels,
    }


def batch_read_out(item: BatchRead, paging: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "from": {"id": str(item.from_id)},
        "to": [target_out(t) for t in item.targets],
    }
    out.update(paging)
    return out


def error_out(error: RevlineError) -> dict[str, Any]:
    out: dict[str, Any] = {
        "status": "error",
        "category": error.category,
        "message": error.message,
        "context": error.context,
        "errors": [e.as_dict() for e in error.errors],
        "links": {},
    }
    if error.sub_category:
        out["subCategory"] = error.sub_category
    return out


def batch_out(
    results: list[dict[str, Any]],
    errors: list[RevlineError],
    started_at: datetime,
    completed_at: datetime,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": iso_ms(started_at),
        "completedAt": iso_ms(completed_at),
    }
    if errors:
        out["numErrors"] = len(errors)
        out["errors"] = [error_out(e) for e in errors]
    return out
