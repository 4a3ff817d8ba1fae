"""A contact's timeline: its events (segment entries and exits included), the engagements
linked to it, its property, lifecycle and score changes and the stage changes of its deals,
merged newest first into one paged list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from revline.errors import ErrorDetail, ValidationError
from revline.events import timeline_repository as repo
from revline.events.service import check_limit, resolve_contact
from revline.events.timeline_repository import Cursor
from revline.kit.pagination import Page

KINDS = (
    "event",
    "engagement",
    "property_change",
    "lifecycle_change",
    "deal_stage_change",
    "score_change",
)
MAX_LIMIT = 500
# What each engagement is called in one line: the column its object type shows by default.
_SUMMARY = {
    "CALL": ("calls", "hs_call_title"),
    "EMAIL": ("emails", "hs_email_subject"),
    "MEETING": ("meetings", "hs_meeting_title"),
    "NOTE": ("notes", "hs_note_body"),
    "TASK": ("tasks", "hs_task_subject"),
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TimelineItem:
    kind: str
    timestamp: datetime
    id: int
    fields: dict[str, Any]

    @property
    def key(self) -> tuple[datetime, str, int]:
        return (self.timestamp, self.kind, self.id)


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def encode_cursor(item: TimelineItem) -> str:
    return f"{_micros(item.timestamp)}.{item.kind}.{item.id}"


def _bad_cursor(after: str) -> ValidationError:
    return ValidationError(
        f"'after' must be a cursor returned by a previous page, not '{after[:100]}'",
        errors=[ErrorDetail("invalid cursor", "INVALID_CURSOR", {"field": ["after"]})],
    )


def parse_cursor(after: str | None) -> Cursor | None:
    if not after:
        return None
    parts = after.split(".")
    if len(parts) != 3 or parts[1] not in KINDS:
        raise _bad_cursor(after)
    micros, kind, ident = parts
    if not (micros.isdigit() and ident.isdigit()) or len(micros) > 18 or len(ident) > 19:
        raise _bad_cursor(after)
    try:
        at = _EPOCH + timedelta(microseconds=int(micros))
    except OverflowError:
        raise _bad_cursor(after) from None
    return at, kind, int(ident)


def parse_kinds(raw: list[str]) -> list[str]:
    if not raw:
        return list(KINDS)
    unknown = [k for k in raw if k not in KINDS]
    if unknown:
        raise ValidationError(
            f"types may hold {', '.join(KINDS)}; not {', '.join(u[:50] for u in unknown)}",
            errors=[ErrorDetail("unknown item kind", "INVALID_TYPES", {"field": ["types"]})],
        )
    return raw


def _fetch(
    session: Session, kind: str, contact_id: int, cursor: Cursor | None, n: int
) -> list[TimelineItem]:
    if kind == "event":
        return [
            TimelineItem(
                "event",
                e.occurred_at,
                e.id,
                {
                    "eventType": e.event_type,
                    "properties": dict(e.properties or {}),
                    "anonymousId": e.anonymous_id,
                    "source": e.source,
                },
            )
            for e in repo.events(session, contact_id, cursor, n)
        ]
    if kind == "engagement":
        out = []
        for eng, at in repo.engagements(session, contact_id, cursor, n):
            object_type, column = _SUMMARY.get(eng.engagement_type, (eng.engagement_type, ""))
            out.append(
                TimelineItem(
                    "engagement",
                    at,
                    eng.id,
                    {
                        "objectType": object_type,
                        "summary": getattr(eng, column, None) if column else None,
                        "ownerId": None
                        if eng.hubspot_owner_id is None
                        else str(eng.hubspot_owner_id),
                    },
                )
            )
        return out
    if kind == "property_change":
        return [
            TimelineItem(
                "property_change",
                h.changed_at,
                h.id,
                {
                    "propertyName": h.name,
                    "value": h.value,
                    "sourceType": h.source_type,
                    "sourceId": h.source_id,
                },
            )
            for h in repo.property_changes(session, contact_id, cursor, n)
        ]
    if kind == "lifecycle_change":
        return [
            TimelineItem(
                "lifecycle_change",
                c.changed_at,
                c.id,
                {"fromStage": c.from_stage, "toStage": c.to_stage, "source": c.source},
            )
            for c in repo.lifecycle_changes(session, contact_id, cursor, n)
        ]
    if kind == "score_change":
        return [
            TimelineItem(
                "score_change",
                c.changed_at,
                c.id,
                {
                    "model": name or "predictive",
                    "oldScore": None if c.old_score is None else float(c.old_score),
                    "newScore": None if c.new_score is None else float(c.new_score),
                    "oldLabel": c.old_label,
                    "newLabel": c.new_label,
                    "cause": c.cause,
                    "causeDetail": c.cause_detail,
                },
            )
            for c, name in repo.score_changes(session, contact_id, cursor, n)
        ]
    return [
        TimelineItem(
            "deal_stage_change",
            t.changed_at,
            t.id,
            {
                "dealId": str(t.deal_id),
                "fromPipeline": t.from_pipeline,
                "fromStage": t.from_stage,
                "toPipeline": t.to_pipeline,
                "toStage": t.to_stage,
            },
        )
        for t in repo.deal_stage_changes(session, contact_id, cursor, n)
    ]


def contact_timeline(
    session: Session,
    contact_raw: str,
    *,
    kinds: list[str] | None = None,
    limit: int = 50,
    after: str | None = None,
) -> Page[TimelineItem]:
    """One page of the contact's timeline (a merged id answers its survivor's)."""
    check_limit(limit, MAX_LIMIT)
    wanted = parse_kinds(kinds or [])
    cursor = parse_cursor(after)
    contact_id = resolve_contact(session, contact_raw, "contactId")
    # Each kind gives at most a page plus one; the merge keeps the newest of them all.
    items = [i for kind in wanted for i in _fetch(session, kind, contact_id, cursor, limit + 1)]
    items.sort(key=lambda i: i.key, reverse=True)
    page = items[:limit]
    next_after = encode_cursor(page[-1]) if len(items) > limit else None
    return Page(page, next_after)
