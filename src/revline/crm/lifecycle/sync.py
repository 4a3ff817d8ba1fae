"""What happens after contacts, companies and deals are stored: a lifecycle event row for
every stage change, and the sync rules that move associated records forward.

- a new deal moves its associated contacts and companies to ``opportunity``;
- a deal entering a closed-won stage moves them to ``customer``;
- a company moves up to the most advanced stage among its associated contacts;
- a company's stage is pushed down to its associated contacts that are behind it.

All of them only ever move a record forward, each can be switched off (``settings``), and
they work on whole batches: a round reads the linked ids and the current stages of every
affected record with one query each and writes the moves with one statement per kind of row,
so a 100-deal batch costs the same handful of statements as one deal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from revline.crm.lifecycle import repository as repo
from revline.crm.lifecycle import settings as lifecycle_settings
from revline.crm.lifecycle import stages
from revline.crm.object_types import COMPANIES, CONTACTS, ObjectType
from revline.crm.properties import service as properties
from revline.crm.properties.builtins import stage_date_property
from revline.crm.properties.values import format_value
from revline.crm.records import repository as records_repo
from revline.crm.records.context import StoredChange, WriteSource
from revline.crm.routing import service as routing
from revline.kit.time import iso_ms

OPPORTUNITY = "opportunity"
CUSTOMER = "customer"
_SOURCES = {"API": "api", "IMPORT": "import", "CRM_UI": "user", "MERGE": "merge"}
SYNC_HISTORY_SOURCE = "AUTOMATION"


def source_name(source: WriteSource) -> str:
    """The lifecycle-event source for a write's source (api, import, user, ...)."""
    return _SOURCES.get(source.source_type, source.source_type.lower())


def after_store(
    session: Session,
    ot: ObjectType,
    changes: Sequence[StoredChange],
    at: datetime,
    source: WriteSource,
) -> None:
    if not changes:
        return
    if ot.name in (CONTACTS.name, COMPANIES.name):
        moved: dict[int, str] = {}
        events = []
        for change in changes:
            if "lifecyclestage" not in change.changed:
                continue
            new = change.changed["lifecyclestage"]
            old = None if change.before is None else change.before.get("lifecyclestage")
            if change.before is None and new is None:
                continue
            events.append(_event(ot, change.record_id, old, new, at, source_name(source), source))
            if isinstance(new, str):
                moved[change.record_id] = new
        repo.insert_changes(session, events)
        if moved:
            _cascade(session, [(ot, moved)], at, source)
    elif ot.name == "deals":
        _sync_from_deals(session, changes, at, source)


def _sync_from_deals(
    session: Session, changes: Sequence[StoredChange], at: datetime, source: WriteSource
) -> None:
    settings = lifecycle_settings.load(session)
    wanted: dict[int, str] = {}
    for change in changes:
        if settings.deal_won_to_customer and change.changed.get("hs_is_closed_won") is True:
            wanted[change.record_id] = CUSTOMER
        elif settings.deal_created_to_opportunity and change.before is None:
            wanted[change.record_id] = OPPORTUNITY
    if not wanted:
        return
    rounds = []
    for ot in (CONTACTS, COMPANIES):
        targets: dict[int, str] = {}
        rank = stages.rank_of(properties.load_catalog(session, ot))
        for deal_id, record_id in repo.linked_pairs(session, "deals", list(wanted), ot.name):
            targets[record_id] = _later(rank, targets.get(record_id), wanted[deal_id])
        if targets:
            rounds.append((ot, targets))
    _advance_all(session, rounds, at, source, "deal_sync")


def after_linking(
    session: Session,
    pairs: Sequence[tuple[str, int, str, int]],
    at: datetime,
    source: WriteSource,
) -> None:
    """Contacts and companies linked after the fact (the associations API): the company moves
    up to the contact's stage, the contact up to the company's, each when its rule is on, and
    the moves cascade as usual. ``pairs`` are (from type, id, to type, id) of new links."""
    settings = lifecycle_settings.load(session)
    linked: set[tuple[int, int]] = set()  # (contact, company)
    for a_type, a_id, b_type, b_id in pairs:
        if (a_type, b_type) == (CONTACTS.name, COMPANIES.name):
            linked.add((a_id, b_id))
        elif (a_type, b_type) == (COMPANIES.name, CONTACTS.name):
            linked.add((b_id, a_id))
    if not linked:
        return
    contact_stage = {
        rid: st for rid, st, _ in repo.stage_rows(session, CONTACTS, [c for c, _ in linked]) if st
    }
    company_stage = {
        rid: st for rid, st, _ in repo.stage_rows(session, COMPANIES, [c for _, c in linked]) if st
    }
    moved_rounds: list[tuple[ObjectType, dict[int, str]]] = []
    if settings.company_follows_contacts:
        rank = stages.rank_of(properties.load_catalog(session, COMPANIES))
        targets: dict[int, str] = {}
        for contact, company in linked:
            if contact in contact_stage:
                targets[company] = _later(rank, targets.get(company), contact_stage[contact])
        moved = advance(session, COMPANIES, targets, at, source, "contact_sync")
        if moved:
            moved_rounds.append((COMPANIES, moved))
    if settings.contacts_follow_company:
        rank = stages.rank_of(properties.load_catalog(session, CONTACTS))
        targets = {}
        for contact, company in linked:
            if company in company_stage:
                targets[contact] = _later(rank, targets.get(contact), company_stage[company])
        moved = advance(session, CONTACTS, targets, at, source, "company_sync")
        if moved:
            moved_rounds.append((CONTACTS, moved))
    if moved_rounds:
        _cascade(session, moved_rounds, at, source)


def _later(rank: dict[str, int], a: str | None, b: str) -> str:
    if a is None:
        return b
    return a if rank.get(a, -1) >= rank.get(b, -1) else b


def advance_and_cascade(
    session: Session,
    ot: ObjectType,
    targets: dict[int, str],
    at: datetime,
    source: WriteSource,
    why: str,
) -> dict[int, str]:
    """:func:`advance`, then the sync rules that follow from the moves (companies following
    their contacts, ...). Returns ``{id: new stage}`` of the records of ``ot`` that moved."""
    moved = advance(session, ot, targets, at, source, why)
    if moved:
        _cascade(session, [(ot, moved)], at, source)
    return moved


def _advance_all(
    session: Session,
    rounds: list[tuple[ObjectType, dict[int, str]]],
    at: datetime,
    source: WriteSource,
    why: str,
) -> None:
    moved_rounds = []
    for ot, targets in rounds:
        moved = advance(session, ot, targets, at, source, why)
        if moved:
            moved_rounds.append((ot, moved))
    if moved_rounds:
        _cascade(session, moved_rounds, at, source)


def _cascade(
    session: Session,
    pending: list[tuple[ObjectType, dict[int, str]]],
    at: datetime,
    source: WriteSource,
) -> None:
    """Propagate stage moves between contacts and companies until nothing moves. Each record
    only moves forward, so this ends; in practice after two or three rounds."""
    settings = lifecycle_settings.load(session)
    while pending:
        ot, moved = pending.pop(0)
        if ot.name == CONTACTS.name and settings.company_follows_contacts:
            other, why = COMPANIES, "contact_sync"
        elif ot.name == COMPANIES.name and settings.contacts_follow_company:
            other, why = CONTACTS, "company_sync"
        else:
            continue
        rank = stages.rank_of(properties.load_catalog(session, other))
        targets: dict[int, str] = {}
        for from_id, to_id in repo.linked_pairs(session, ot.name, list(moved), other.name):
            targets[to_id] = _later(rank, targets.get(to_id), moved[from_id])
        if targets:
            further = advance(session, other, targets, at, source, why)
            if further:
                pending.append((other, further))


def advance(
    session: Session,
    ot: ObjectType,
    targets: dict[int, str],
    at: datetime,
    source: WriteSource,
    why: str,
) -> dict[int, str]:
    """Move records forward to their target stage where that is forward (records without a
    stage take it; archived targets are skipped). Writes the stage, its date stamp, property
    history and lifecycle events set-based, and returns ``{id: new stage}`` of the records
    that moved. ``why`` names the rule (deal_sync, company_sync, ...)."""
    catalog = properties.load_catalog(session, ot)
    rank = stages.rank_of(catalog)
    archived = stages.archived_of(catalog)
    moved: dict[int, str] = {}
    updates: list[tuple[int, dict[str, Any]]] = []
    history: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    history_source = {
        "changed_at": at,
        "source_type": SYNC_HISTORY_SOURCE,
        "source_id": why,
        "updated_by_user_id": source.user_id,
    }
    for record_id, current, custom in repo.stage_rows(session, ot, list(targets)):
        target = targets[record_id]
        if target not in rank or target in archived:
            continue
        if current is not None and rank.get(current, -1) >= rank[target]:
            continue
        document = dict(custom)
        stamp = stage_date_property(target)
        if catalog.get(stamp) is not None and document.get(stamp) is None:
            stamped = format_value(at, "datetime") or iso_ms(at)
            document[stamp] = stamped
            history.append(
                {"object_type": ot.name, "record_id": record_id, "name": stamp, "value": stamped}
                | history_source
            )
        updates.append(
            (record_id, {"lifecyclestage": target, "custom": document, "updated_at": at})
        )
        history.append(
            {
                "object_type": ot.name,
                "record_id": record_id,
                "name": "lifecyclestage",
                "value": target,
            }
            | history_source
        )
        events.append(_event(ot, record_id, current, target, at, why, source))
        moved[record_id] = target
    records_repo.update_rows(session, ot, updates)
    records_repo.insert_history(session, history)
    repo.insert_changes(session, events)
    # Records reaching a stage by sync are routed like any other (a rule may wait for it).
    routing.route(
        session,
        ot,
        [StoredChange(rid, {}, {"lifecyclestage": stage}) for rid, stage in moved.items()],
        at,
        source,
    )
    return moved


def _event(
    ot: ObjectType,
    record_id: int,
    old: Any,
    new: Any,
    at: datetime,
    why: str,
    source: WriteSource,
) -> dict[str, Any]:
    return {
        "object_type": ot.name,
        "record_id": record_id,
        "from_stage": old,
        "to_stage": new,
        "changed_at": at,
        "source": why,
        "source_id": source.source_id,
        "user_id": source.user_id,
    }
