"""Merging two records of one type (HubSpot's POST /crm/v3/objects/{type}/merge).

The primary survives with its id. Values it lacks are filled from the merged record, the
merged record's links and property history move to it, and the merged row stays behind,
archived, with ``merged_into_id`` pointing at the primary so that its id still answers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.orm import Session

from revline.crm import signals
from revline.crm.associations import service as associations
from revline.crm.object_types import ObjectType
from revline.crm.properties import service as properties
from revline.crm.properties.service import Catalog, PropertyDef
from revline.crm.properties.values import format_value
from revline.crm.records import merge_repository as merge_repo
from revline.crm.records import repository as repo
from revline.crm.records import service as records
from revline.crm.records.context import WriteSource
from revline.crm.records.service import RecordView
from revline.errors import ErrorDetail, NotFound, ValidationError
from revline.kit.pagination import parse_id
from revline.kit.time import utcnow
from revline.models import RecordMerge

MERGEABLE = ("contacts", "companies", "deals")
MERGE_SOURCE = "MERGE"
# Columns that describe the record rather than hold a value worth carrying over.
_NOT_VALUES = frozenset({"id", "created_at", "updated_at"})


def _invalid(message: str, field: str, value: object) -> ValidationError:
    return ValidationError(
        message,
        errors=[ErrorDetail(message, "INVALID_MERGE", {field: [str(value)]})],
        context={field: [str(value)]},
    )


def _parse(field: str, raw: object) -> int:
    ident = parse_id(str(raw)) if raw is not None else None
    if ident is None:
        raise _invalid(f"{field} must be a record id, not '{raw}'", field, raw)
    return ident


def _value(prop: PropertyDef, row: RowMapping) -> str | None:
    raw: Any = row[prop.column] if prop.column is not None else (row["custom"] or {}).get(prop.name)
    return format_value(raw, prop.type)


def _mergeable(prop: PropertyDef) -> bool:
    return not (prop.read_only_value or prop.calculated or prop.column in _NOT_VALUES)


def _values(catalog: Catalog, row: RowMapping) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, prop in catalog.by_name.items():
        value = _value(prop, row)
        if value not in (None, ""):
            out[name] = str(value)
    return out


def _gaps_to_fill(
    ot: ObjectType, catalog: Catalog, primary: RowMapping, merged: dict[str, str]
) -> dict[str, str]:
    """Values the primary lacks (null or empty) that the merged record has."""
    fill = {
        name: value
        for name, value in merged.items()
        if _mergeable(catalog.by_name[name])
        and _value(catalog.by_name[name], primary) in (None, "")
    }
    if ot.name == "deals":
        # A stage only means something in its pipeline: the two travel together.
        if "dealstage" in fill and "pipeline" in merged:
            fill["pipeline"] = merged["pipeline"]
        elif "pipeline" in fill:
            del fill["pipeline"]
    return fill


def _load(
    session: Session, ot: ObjectType, primary_id: int, merged_id: int
) -> tuple[RowMapping, RowMapping]:
    rows = merge_repo.lock_rows(session, ot, [primary_id, merged_id])
    primary, merged = rows.get(primary_id), rows.get(merged_id)
    if merged is None:
        raise NotFound(
            f"{ot.singular.title()} {merged_id} (objectIdToMerge) does not exist",
            context={"objectIdToMerge": [str(merged_id)]},
        )
    if merged["merged_into_id"] is not None:
        raise _invalid(
            f"{ot.singular.title()} {merged_id} was already merged into {merged['merged_into_id']}",
            "objectIdToMerge",
            merged_id,
        )
    if merged["archived"]:
        raise _invalid(
            f"{ot.singular.title()} {merged_id} is archived; restore it before merging",
            "objectIdToMerge",
            merged_id,
        )
    if primary is None:
        raise NotFound(
            f"{ot.singular.title()} {primary_id} (primaryObjectId) does not exist",
            context={"primaryObjectId": [str(primary_id)]},
        )
    if primary["archived"]:
        raise _invalid(
            f"{ot.singular.title()} {primary_id} is archived and cannot absorb another record",
            "primaryObjectId",
            primary_id,
        )
    return primary, merged


def _survivor(session: Session, ot: ObjectType, ident: int) -> int:
    """Follow earlier merges, so that merging into a merged id merges into its survivor."""
    for _ in range(16):
        row = repo.rows_by_id(session, ot, [ident], archived=None).get(ident)
        if row is None or row["merged_into_id"] is None:
            return ident
        ident = int(row["merged_into_id"])
    return ident


def merge_records(
    session: Session,
    ot: ObjectType,
    primary_raw: object,
    merged_raw: object,
    *,
    source: WriteSource | None = None,
) -> RecordView:
    """Merge ``merged_raw`` into ``primary_raw`` and answer the primary as it is now."""
    source = source or WriteSource()
    if ot.name not in MERGEABLE:
        raise _invalid(
            f"Records of type {ot.name} cannot be merged (only {', '.join(MERGEABLE)})",
            "objectType",
            ot.name,
        )
    primary_id = _survivor(session, ot, _parse("primaryObjectId", primary_raw))
    merged_id = _parse("objectIdToMerge", merged_raw)
    if primary_id == merged_id:
        raise _invalid(
            f"A {ot.singular} cannot be merged into itself ({merged_id})",
            "objectIdToMerge",
            merged_id,
        )
    primary, merged = _load(session, ot, primary_id, merged_id)
    catalog = properties.load_catalog(session, ot)
    snapshot = _values(catalog, merged)
    fill = _gaps_to_fill(ot, catalog, primary, snapshot)
    now = utcnow()

    # The merged row steps aside first: its unique values (email, domain) are then free
    # for the primary to take, and for later creates.
    repo.update_row(
        session,
        ot,
        merged_id,
        {"archived": True, "archived_at": now, "updated_at": now, "merged_into_id": primary_id},
    )
    merge_repo.repoint_merged(session, ot, merged_id, primary_id)
    moved_links = associations.move_edges(session, ot.name, merged_id, primary_id)
    moved_history = merge_repo.move_history(session, ot.name, merged_id, primary_id)
    moved_events = (
        merge_repo.move_events(session, merged_id, primary_id) if ot.name == "contacts" else 0
    )
    records.update_record(
        session,
        ot,
        str(primary_id),
        dict(fill),
        source=WriteSource(MERGE_SOURCE, f"merged:{merged_id}", source.user_id),
        now=now,
    )
    if ot.name == "contacts":
        # The merged contact leaves every segment; the survivor now holds both histories.
        signals.contacts_changed(session, ids=[primary_id, merged_id], properties=["*"])
    merge_repo.add_merge(
        session,
        RecordMerge(
            object_type=ot.name,
            primary_id=primary_id,
            merged_id=merged_id,
            merged_at=now,
            source_type=source.source_type,
            source_id=source.source_id,
            user_id=source.user_id,
            snapshot={
                "properties": snapshot,
                "createdAt": format_value(merged["created_at"], "datetime"),
                "filled": sorted(fill),
                "associationsMoved": moved_links,
                "historyRowsMoved": moved_history,
                "eventsMoved": moved_events,
            },
        ),
    )
    return records.access_record(
        session, ot, str(primary_id), properties_=[*ot.default_properties, *sorted(fill)]
    )


def list_merges(session: Session, ot: ObjectType, primary_id: int) -> list[RecordMerge]:
    """The merges a record absorbed, oldest first."""
    return list(merge_repo.merges_into(session, ot.name, primary_id))
