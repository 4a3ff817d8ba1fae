"""The records API contract: request bodies and the HubSpot response shapes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from revline.crm.records.service import RecordView
from revline.kit.time import iso_ms


class RecordCreateIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    properties: dict[str, Any]
    associations: list[Any] | None = None


class RecordUpdateIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    properties: dict[str, Any]


def record_out(view: RecordView) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(view.id),
        "properties": view.properties,
        "createdAt": iso_ms(view.created_at),
        "updatedAt": iso_ms(view.updated_at),
        "archived": view.archived,
    }
    if view.archived_at is not None:
        out["archivedAt"] = iso_ms(view.archived_at)
    if view.history is not None:
        out["propertiesWithHistory"] = {
            name: [
                {
                    "value": h.value if h.value is not None else "",
                    "timestamp": iso_ms(h.timestamp),
                    "sourceType": h.source_type,
                    **({"sourceId": h.source_id} if h.source_id else {}),
                    **({"updatedByUserId": h.user_id} if h.user_id is not None else {}),
                }
                for h in entries
            ]
            for name, entries in view.history.items()
        }
    if view.associations is not None and view.associations:
        out["associations"] = {
            to_type: {
                "results": [{"id": str(link.to_id), "type": link.type_name} for link in links]
            }
            for to_type, links in view.associations.items()
        }
    return out
