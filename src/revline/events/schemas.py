"""The API contract of events: how events, definitions, settings and timeline items look."""

from __future__ import annotations

from typing import Any

from revline.events.service import (
    DefinitionView,
    EventSettings,
    Identified,
    IngestResult,
    RetentionResult,
    StoredEvent,
)
from revline.events.timeline import TimelineItem
from revline.kit.time import iso_ms


def event_out(e: StoredEvent) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(e.id),
        "type": e.event_type,
        "occurredAt": iso_ms(e.occurred_at),
        "contactId": None if e.contact_id is None else str(e.contact_id),
        "anonymousId": e.anonymous_id,
        "properties": e.properties,
        "idempotencyKey": e.idempotency_key,
    }
    if e.duplicate:
        out["duplicate"] = True
    return out


def batch_out(result: IngestResult) -> dict[str, Any]:
    """HubSpot's batch shape, plus how many events were stored and how many repeated."""
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": [event_out(e) for e in result.results],
        "numStored": result.stored,
        "numDuplicates": result.duplicates,
        "startedAt": iso_ms(result.started_at),
        "completedAt": iso_ms(result.completed_at),
    }
    if result.errors:
        body["numErrors"] = len(result.errors)
        body["errors"] = [
            {
                "status": "error",
                "category": e.category,
                "message": e.message,
                "context": e.context,
                "errors": [d.as_dict() for d in e.errors],
                "links": {},
            }
            for e in result.errors
        ]
    return body


def definition_out(d: DefinitionView) -> dict[str, Any]:
    return {
        "name": d.name,
        "label": d.label,
        "description": d.description,
        "keyProperty": d.key_property,
        "properties": d.properties,
        "builtin": d.builtin,
        "archived": d.archived,
        "createdAt": None if d.created_at is None else iso_ms(d.created_at),
        "updatedAt": None if d.updated_at is None else iso_ms(d.updated_at),
    }


def settings_out(s: EventSettings) -> dict[str, Any]:
    return {
        "createContactsForUnknownEmail": s.create_contacts_for_unknown_email,
        "retentionDays": s.retention_days,
    }


def identified_out(i: Identified) -> dict[str, Any]:
    return {
        "anonymousId": i.anonymous_id,
        "contactId": str(i.contact_id),
        "eventsAttributed": i.events_attributed,
        "new": i.new,
    }


def retention_out(r: RetentionResult) -> dict[str, Any]:
    return {
        "retentionDays": r.retention_days,
        "cutoff": None if r.cutoff is None else iso_ms(r.cutoff),
        "deleted": r.deleted,
    }


def timeline_item_out(item: TimelineItem) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "timestamp": iso_ms(item.timestamp),
        "id": str(item.id),
        **item.fields,
    }
