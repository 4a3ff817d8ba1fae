"""Lifecycle views and the operations that span the rules: per-stage and per-status counts,
a record's lifecycle history, and regrouping contacts when a status changes group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from revline.crm import signals
from revline.crm.lifecycle import lead_status, stages
from revline.crm.lifecycle import repository as repo
from revline.crm.object_types import CONTACTS, ObjectType
from revline.crm.properties.builtins import LEAD_STATUS_GROUPS
from revline.crm.records import repository as records_repo
from revline.errors import ErrorDetail, NotFound, ValidationError
from revline.kit.pagination import parse_after, parse_id
from revline.kit.time import utcnow

MAX_PAGE = 100


def lifecycle_type(name: str) -> ObjectType:
    """Contacts or companies (the object types with lifecycle stages), or a 400."""
    for ot in stages.STAGE_TYPES:
        if name in (ot.name, ot.singular):
            return ot
    raise ValidationError(
        f"Lifecycle stages apply to contacts and companies, not '{name}'",
        errors=[
            ErrorDetail("unsupported object type", "INVALID_OBJECT_TYPE", {"objectType": [name]})
        ],
    )


@dataclass(frozen=True)
class Count:
    value: str | None
    label: str
    count: int
    extra: dict[str, Any]


def summary(session: Session, ot: ObjectType) -> dict[str, list[Count]]:
    """Live records per lifecycle stage (in stage order, records without a stage last) and,
    for contacts, per lead status and per status group."""
    by_stage = repo.count_by(session, ot, "lifecyclestage")
    out: dict[str, list[Count]] = {"lifecycleStages": []}
    for stage in stages.list_stages(session):
        out["lifecycleStages"].append(
            Count(
                stage.value, stage.label, by_stage.pop(stage.value, 0), {"archived": stage.archived}
            )
        )
    for value, count in sorted(by_stage.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
        label = "(no stage)" if value is None else value
        out["lifecycleStages"].append(Count(value, label, count, {}))
    if ot.name != CONTACTS.name:
        return out
    by_status = repo.count_by(session, ot, lead_status.PROPERTY)
    config = lead_status.load_config(session)
    out["leadStatuses"] = []
    groups = {g: 0 for g in LEAD_STATUS_GROUPS}
    for status in lead_status.list_statuses(session):
        count = by_status.pop(status.value, 0)
        groups[status.group] = groups.get(status.group, 0) + count
        out["leadStatuses"].append(
            Count(status.value, status.label, count, {"group": status.group})
        )
    for value, count in sorted(by_status.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
        group = config.group_of(value)
        if group is not None:
            groups[group] = groups.get(group, 0) + count
        out["leadStatuses"].append(
            Count(value, "(no status)" if value is None else value, count, {"group": group})
        )
    out["leadStatusGroups"] = [
        Count(g, g.replace("_", " ").title(), n, {}) for g, n in groups.items()
    ]
    return out


@dataclass(frozen=True)
class LifecycleEvent:
    id: int
    from_stage: str | None
    to_stage: str | None
    changed_at: datetime
    source: str
    source_id: str | None
    user_id: int | None


def history(
    session: Session, ot: ObjectType, record_id: str, *, after: str | None, limit: int
) -> tuple[list[LifecycleEvent], str | None]:
    """A record's lifecycle events, newest first, with the cursor of the next page."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(
            f"limit must be between 1 and {MAX_PAGE}",
            errors=[ErrorDetail("out of range", "INVALID_LIMIT", {"limit": [str(limit)]})],
        )
    ident = parse_id(record_id) or 0
    if ident < 1 or (
        not records_repo.live_ids(session, ot, [ident]) and not _archived_exists(session, ot, ident)
    ):
        raise NotFound(
            f"{ot.singular.title()} {record_id} does not exist", context={"id": [record_id]}
        )
    rows = repo.changes_of(session, ot.name, ident, after_id=parse_after(after), limit=limit + 1)
    events = [
        LifecycleEvent(
            r.id, r.from_stage, r.to_stage, r.changed_at, r.source, r.source_id, r.user_id
        )
        for r in rows[:limit]
    ]
    return events, (str(events[-1].id) if len(rows) > limit else None)


def _archived_exists(session: Session, ot: ObjectType, ident: int) -> bool:
    return bool(records_repo.rows_by_id(session, ot, [ident], archived=True))


# Contacts per history insert and per re-evaluation job when a status changes group.
_REGROUP_CHUNK = 10_000


def regroup_contacts(session: Session, status: str, group: str) -> int:
    """After a status moved to another group: update the group of every live contact holding
    it, as any calculated value changes: a history row per contact (source ``CALCULATED``)
    and a re-evaluation of the segments and scores that read the group. Returns how many
    contacts changed."""
    at = utcnow()
    ids = repo.set_document_key_where(
        session, CONTACTS, lead_status.PROPERTY, status, lead_status.GROUP_PROPERTY, group, at
    )
    for start in range(0, len(ids), _REGROUP_CHUNK):
        chunk = ids[start : start + _REGROUP_CHUNK]
        records_repo.insert_history(
            session,
            [
                {
                    "object_type": CONTACTS.name,
                    "record_id": ident,
                    "name": lead_status.GROUP_PROPERTY,
                    "value": group,
                    "changed_at": at,
                    "source_type": "CALCULATED",
                    "source_id": f"lead-status:{status}",
                    "updated_by_user_id": None,
                }
                for ident in chunk
            ],
        )
        signals.contacts_changed(session, ids=chunk, properties=[lead_status.GROUP_PROPERTY])
    return len(ids)


def update_lead_status(
    session: Session, value: str, changes: dict[str, Any]
) -> lead_status.LeadStatus:
    """Change a lead status; contacts holding it follow a change of group at once."""
    status, regrouped = lead_status.update_status(session, value, changes)
    if regrouped:
        regroup_contacts(session, status.value, status.group)
    return status
