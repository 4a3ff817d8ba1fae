"""The properties API contract."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from revline.crm.properties.service import PropertyDef
from revline.kit.time import iso_ms
from revline.models import PropertyGroup


class OptionIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str
    value: str
    hidden: bool = False
    displayOrder: int | None = None
    description: str | None = None


class PropertyCreateIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=100)
    label: str = Field(min_length=1, max_length=255)
    type: str
    fieldType: str
    groupName: str
    description: str = ""
    options: list[OptionIn] = []
    displayOrder: int = -1
    hasUniqueValue: bool = False
    hidden: bool = False
    formField: bool = False


class PropertyUpdateIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str | None = Field(default=None, min_length=1, max_length=255)
    type: str | None = None
    fieldType: str | None = None
    groupName: str | None = None
    description: str | None = None
    options: list[OptionIn] | None = None
    displayOrder: int | None = None
    hidden: bool | None = None
    formField: bool | None = None

    def changes(self) -> dict[str, Any]:
        names = {
            "fieldType": "field_type",
            "groupName": "group_name",
            "displayOrder": "display_order",
            "formField": "form_field",
        }
        out: dict[str, Any] = {}
        for key in self.model_fields_set:
            value = getattr(self, key)
            if key == "options" and value is not None:
                value = [o.model_dump(exclude_none=True) for o in value]
            if value is None:
                continue
            out[names.get(key, key)] = value
        return out


class GroupCreateIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=100)
    label: str = Field(min_length=1, max_length=255)
    displayOrder: int = -1


class GroupUpdateIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str | None = Field(default=None, min_length=1, max_length=255)
    displayOrder: int | None = None


def property_out(p: PropertyDef) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": p.name,
        "label": p.label,
        "type": p.type,
        "fieldType": p.field_type,
        "description": p.description,
        "groupName": p.group_name,
        "options": [
            {
                "label": o["label"],
                "value": o["value"],
                "hidden": bool(o.get("hidden", False)),
                "displayOrder": int(o.get("displayOrder", i)),
                **({"description": o["description"]} if o.get("description") else {}),
            }
            for i, o in enumerate(p.options)
        ],
        "displayOrder": p.display_order,
        "calculated": p.calculated,
        "externalOptions": False,
        "hasUniqueValue": p.has_unique_value,
        "hidden": p.hidden,
        "hubspotDefined": p.hubspot_defined,
        "formField": p.form_field,
        "modificationMetadata": {
            "archivable": not p.hubspot_defined,
            "readOnlyDefinition": p.read_only_definition,
            "readOnlyValue": p.read_only_value,
        },
        "createdAt": iso_ms(p.created_at),
        "updatedAt": iso_ms(p.updated_at),
        "archived": p.archived,
    }
    if p.archived_at is not None:
        out["archivedAt"] = iso_ms(p.archived_at)
    return out


def group_out(g: PropertyGroup) -> dict[str, Any]:
    return {
        "name": g.name,
        "label": g.label,
        "displayOrder": g.display_order,
        "archived": g.archived,
    }
