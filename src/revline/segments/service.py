"""Rules for segments: saving them, keeping their membership right, reading it.

Membership only ever changes by diffs (``repository.apply_membership``) that record an event
per entry and exit. A dynamic segment is rebuilt whole when it is saved, on demand, and each
day when time alone can change it; between those, changes to contacts, companies, links and
events re-evaluate only the segments that read what changed, only for the contacts concerned
(the ``segments.reevaluate`` job), and then the segments built on those, in dependency order.

Archived and merged contacts leave every segment, static ones included: a list of people to
reach should not hold people who no longer exist in the CRM. A restored contact comes back to
the dynamic segments it meets, not to static lists.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from revline.crm.object_types import CONTACTS
from revline.crm.records import service as records
from revline.crm.records.service import RecordView
from revline.errors import Conflict, ErrorDetail, NotFound, ValidationError
from revline.kit.pagination import parse_after, parse_id
from revline.kit.time import utcnow
from revline.kit.validation import is_storable
from revline.logging import log_event
from revline.models import Segment
from revline.segments import repository as repo
from revline.segments.conditions import (
    Node,
    SegmentLeaf,
    dependencies,
    invalid,
    is_time_based,
    parse_conditions,
    walk,
)
from revline.segments.query import Compiler, Context

logger = logging.getLogger("revline.segments")

KINDS = ("dynamic", "static")
MAX_LIMIT = 500
MAX_PREVIEW = 100
MAX_IDS = 1_000
HISTORY_LIMIT = 200


@dataclass(frozen=True)
class SegmentView:
    segment: Segment
    size: int


@dataclass(frozen=True)
class Diff:
    segment_id: int
    name: str
    entered: int
    exited: int


@dataclass(frozen=True)
class Preview:
    total: int
    items: list[RecordView]


@dataclass(frozen=True)
class Member:
    record: RecordView
    entered_at: datetime


@dataclass(frozen=True)
class MembersPage:
    items: list[Member]
    next_after: str | None


@dataclass(frozen=True)
class ListChange:
    """What adding to or removing from a static list did, id by id."""

    changed: list[int]
    unchanged: list[int]
    errors: list[ErrorDetail]


@dataclass(frozen=True)
class ContactSegments:
    memberships: list[repo.Membership]
    history: list[repo.MembershipChange]


def _bad(field: str, code: str, message: str) -> ValidationError:
    return ValidationError(message, errors=[ErrorDetail(message, code, {"field": [field]})])


# --- compiling --------------------------------------------------------------------------


def _context(session: Session, today: date, *, force_raw: bool = False) -> Context:
    return Context(
        today=today,
        event_types=repo.event_types(session),
        live_segments=repo.live_segment_ids(session),
        force_raw=force_raw,
    )


def compile_members(
    session: Session,
    node: Node,
    *,
    today: date,
    ids: Collection[int] | None = None,
    force_raw: bool = False,
    context: Context | None = None,
) -> Select[Any]:
    """The SELECT of the live contact ids meeting ``node``; 400 naming each bad node."""
    compiler = Compiler(session, context or _context(session, today, force_raw=force_raw))
    members = compiler.members(node, ids)
    if compiler.problems:
        invalid(compiler.problems)
    return members


def _check_references(session: Session, node: Node, segment_id: int | None) -> None:
    """inSegment conditions must not lead back to the segment being saved."""
    if segment_id is None:
        return
    graph = {s.id: set(s.dependencies.get("segments", [])) for s in repo.live_segments(session)}
    problems: list[ErrorDetail] = []
    for leaf in walk(node):
        if not isinstance(leaf, SegmentLeaf):
            continue
        seen: set[int] = set()
        todo = [leaf.segment_id]
        while todo:
            current = todo.pop()
            if current == segment_id:
                key = "notInSegment" if leaf.negated else "inSegment"
                path = f"{leaf.path}.{key}"
                problems.append(
                    ErrorDetail(
                        f"{path}: segment {leaf.segment_id} depends on this segment (a cycle)",
                        "SEGMENT_CYCLE",
                        {"field": [path]},
                    )
                )
                break
            if current not in seen:
                seen.add(current)
                todo.extend(graph.get(current, ()))
    if problems:
        invalid(problems)


def _dependency_order(segments: Sequence[Segment]) -> list[Segment]:
    """Segments before the segments that read them (inSegment)."""
    by_id = {s.id: s for s in segments}
    done: set[int] = set()
    ordered: list[Segment] = []

    def visit(segment: Segment, path: set[int]) -> None:
        if segment.id in done or segment.id in path:
            return
        path.add(segment.id)
        for dep in segment.dependencies.get("segments", []):
            if dep in by_id:
                visit(by_id[dep], path)
        done.add(segment.id)
        ordered.append(segment)

    for segment in segments:
        visit(segment, set())
    return ordered


def _dependents(session: Session, changed: set[int]) -> list[Segment]:
    """Live dynamic segments reading any of ``changed``, directly or not, in dependency order."""
    dynamic = repo.live_segments(session, kind="dynamic")
    reach = set(changed)
    grew = True
    while grew:
        grew = False
        for s in dynamic:
            if s.id not in reach and reach & set(s.dependencies.get("segments", [])):
                reach.add(s.id)
                grew = True
    return [s for s in _dependency_order(dynamic) if s.id in reach and s.id not in changed]


# --- evaluating -------------------------------------------------------------------------


def _evaluate(
    session: Session,
    segment: Segment,
    *,
    today: date,
    now: datetime,
    among: Collection[int] | None = None,
    context: Context | None = None,
) -> Diff:
    """Bring one segment's membership up to date (for ``among`` only when given)."""
    if segment.kind == "static":
        # A static list changes by hand only; what it can lose by itself are contacts gone.
        gone: Collection[int] = repo.member_ids(session, segment.id)
        if among is not None:
            gone = set(gone) & set(among)
        dead = set(gone) - repo.live_contact_ids(session, gone)
        removed = repo.remove_members(session, segment, dead, now) if dead else []
        return Diff(segment.id, segment.name, 0, len(removed))
    node = parse_conditions(segment.conditions)
    members = compile_members(session, node, today=today, ids=among, context=context)
    entered, exited = repo.apply_membership(session, segment, members, now, among=among)
    if among is None:
        segment.last_rebuilt_at = now
    return Diff(segment.id, segment.name, entered, exited)


def _rebuild_with_dependents(
    session: Session, segments: Sequence[Segment], *, today: date, now: datetime
) -> list[Diff]:
    """Rebuild ``segments`` whole, then every segment that reads them, in dependency order."""
    context = _context(session, today)
    diffs = [_evaluate(session, s, today=today, now=now, context=context) for s in segments]
    diffs += [
        _evaluate(session, s, today=today, now=now, context=context)
        for s in _dependents(session, {s.id for s in segments})
    ]
    session.flush()
    return diffs


def rebuild(
    session: Session, segment_id: str | int | None, *, today: date | None = None
) -> list[Diff]:
    """Rebuild one segment (and those built on it), or every live segment when None."""
    now = utcnow()
    today = today or now.date()
    if segment_id is None:
        ordered = _dependency_order(repo.live_segments(session))
        context = _context(session, today)
        diffs = [_evaluate(session, s, today=today, now=now, context=context) for s in ordered]
        session.flush()
        return diffs
    return _rebuild_with_dependents(session, [_access(session, segment_id)], today=today, now=now)


def refresh_time_based(session: Session, today: date) -> list[Diff]:
    """The daily job: rebuild the segments that the passing of days can change."""
    now = utcnow()
    due = [s for s in repo.live_segments(session, kind="dynamic") if s.time_based]
    diffs = _rebuild_with_dependents(session, _dependency_order(due), today=today, now=now)
    for segment in due:
        if segment.conditions is not None:
            # Fixed dates wholly in the past can no longer change anything.
            segment.time_based = is_time_based(parse_conditions(segment.conditions), today)
    return diffs


def _affected(
    segment: Segment, object_type: str, properties: set[str], events: set[str], links: bool
) -> bool:
    deps = segment.dependencies
    if object_type == "companies":
        company = set(deps.get("companyProperties", []))
        return bool(company) and ("*" in properties or bool(company & properties) or links)
    return (
        "*" in properties
        or bool(set(deps.get("properties", [])) & properties)
        or bool(set(deps.get("events", [])) & events)
        or (links and bool(deps.get("associations")))
    )


def merge_payloads(
    payloads: Sequence[dict[str, Any]], *, apart_events: bool = False
) -> list[dict[str, Any]]:
    """Several ``segments.reevaluate`` payloads as one per object type: the union of their
    ids and of what changed. Evaluating the union may re-check a segment for a contact whose
    own change could not affect it; that finds no difference, so the result is the same as
    running them one by one. ``apart_events`` keeps changes that carry events apart from the
    others (score history names each change's cause)."""
    merged: dict[tuple[str, bool], dict[str, Any]] = {}
    for p in payloads:
        object_type = str(p.get("object_type", "contacts"))
        into = merged.setdefault(
            (object_type, apart_events and bool(p.get("events"))),
            {"object_type": object_type, "ids": set(), "properties": set(), "events": set()},
        )
        into["ids"].update(int(i) for i in p.get("ids", []))
        into["properties"].update(str(x) for x in p.get("properties", []))
        into["events"].update(str(x) for x in p.get("events", []))
        into["associations"] = bool(into.get("associations")) or bool(p.get("associations"))
    return [
        {
            **m,
            "ids": sorted(m["ids"]),
            "properties": sorted(m["properties"]),
            "events": sorted(m["events"]),
        }
        for _, m in sorted(merged.items())
    ]


def reevaluate(
    session: Session, payload: dict[str, Any], *, today: date | None = None
) -> list[Diff]:
    """The ``segments.reevaluate`` job: re-evaluate what a change can affect, for the contacts
    concerned only, then the segments built on those that changed."""
    now = utcnow()
    today = today or now.date()
    object_type = str(payload.get("object_type", "contacts"))
    ids = {int(i) for i in payload.get("ids", [])}
    properties = {str(p) for p in payload.get("properties", [])}
    events = {str(e) for e in payload.get("events", [])}
    links = bool(payload.get("associations"))
    diffs: list[Diff] = []
    changed: set[int] = set()
    if object_type == "companies":
        contact_ids = repo.contacts_of_companies(session, ids)
    else:
        live = repo.live_contact_ids(session, ids)
        dead = ids - live
        if dead:
            for segment in repo.segments_of_contacts(session, dead):
                removed = repo.remove_members(session, segment, dead, now)
                if removed:
                    diffs.append(Diff(segment.id, segment.name, 0, len(removed)))
                    changed.add(segment.id)
        contact_ids = live
    if not contact_ids:
        return diffs
    context = _context(session, today)
    # Segments are evaluated in layers, each layer in a few statements whatever its size; a
    # segment that reads the membership of one in the pending layer waits for it to be
    # applied, so it sees the new membership.
    layer: list[Segment] = []
    for segment in _dependency_order(repo.live_segments(session, kind="dynamic")):
        reads = {int(i) for i in segment.dependencies.get("segments", [])}
        if reads & {s.id for s in layer}:
            diffs += _apply_layer(session, layer, contact_ids, today, now, context, changed)
            layer = []
        if bool(changed & reads) or _affected(segment, object_type, properties, events, links):
            layer.append(segment)
    diffs += _apply_layer(session, layer, contact_ids, today, now, context, changed)
    session.flush()
    return diffs


def _apply_layer(
    session: Session,
    layer: Sequence[Segment],
    contact_ids: Collection[int],
    today: date,
    now: datetime,
    context: Context,
    changed: set[int],
) -> list[Diff]:
    """Re-evaluate ``layer`` (segments that do not read one another) for ``contact_ids``;
    the ids of the segments whose membership changed are added to ``changed``."""
    selects: list[tuple[int, Select[Any]]] = []
    for segment in layer:
        try:
            node = parse_conditions(segment.conditions)
            selects.append(
                (
                    segment.id,
                    compile_members(session, node, today=today, ids=contact_ids, context=context),
                )
            )
        except ValidationError as error:
            # A property or event type it reads was removed since it was saved: it waits
            # for its owner to fix it rather than failing every change's job.
            log_event(
                logger,
                "segments.invalid_conditions",
                logging.WARNING,
                segment_id=segment.id,
                error=error.message,
            )
    if not selects:
        return []
    wanted = repo.members_among(session, selects)
    have = repo.current_members(session, [i for i, _ in selects], contact_ids)
    entered, exited = wanted - have, have - wanted
    by_id = {s.id: s for s in layer}
    repo.write_changes(session, by_id, entered, exited, now)
    came_in = Counter(s for s, _ in entered)
    went_out = Counter(s for s, _ in exited)
    diffs = []
    for segment_id, _ in selects:
        came, went = came_in[segment_id], went_out[segment_id]
        if came or went:
            diffs.append(Diff(segment_id, by_id[segment_id].name, came, went))
            changed.add(segment_id)
    return diffs


# --- saving -----------------------------------------------------------------------------


def _name(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _bad("name", "INVALID_NAME", "name is required (a non-empty string)")
    name = raw.strip()
    if len(name) > 255 or not is_storable(name):
        raise _bad("name", "INVALID_NAME", "name must be text of at most 255 characters")
    return name


def _unique(session: Session, name: str, other_than: int | None = None) -> None:
    if repo.name_taken(session, name, other_than=other_than):
        raise Conflict(
            f"A segment named '{name}' already exists",
            context={"name": [name]},
        )


def _access(session: Session, segment_id: str | int) -> Segment:
    ident = parse_id(str(segment_id))
    segment = repo.get_segment(session, ident) if ident is not None else None
    if segment is None or segment.archived:
        raise NotFound(f"Segment {segment_id} does not exist", context={"id": [str(segment_id)]})
    return segment


def _view(session: Session, segment: Segment) -> SegmentView:
    return SegmentView(segment, repo.sizes(session, [segment.id])[segment.id])


def _set_conditions(
    session: Session, segment: Segment, raw: Any, today: date, segment_id: int | None
) -> None:
    node = parse_conditions(raw)
    compile_members(session, node, today=today)  # every leaf checked against the database
    _check_references(session, node, segment_id)
    segment.conditions = raw
    segment.dependencies = dependencies(node)
    segment.time_based = is_time_based(node, today)


def create_segment(
    session: Session, name: Any, kind: Any, conditions: Any = None
) -> tuple[SegmentView, Diff]:
    """Save a segment and build its membership at once."""
    now = utcnow()
    clean = _name(name)
    if kind not in KINDS:
        raise _bad("kind", "INVALID_KIND", f"kind must be one of {', '.join(KINDS)}")
    segment = Segment(
        name=clean, kind=kind, dependencies={}, time_based=False, created_at=now, updated_at=now
    )
    if kind == "static":
        if conditions is not None:
            raise _bad("conditions", "INVALID_CONDITIONS", "a static segment has no conditions")
    else:
        _set_conditions(session, segment, conditions, now.date(), None)
    _unique(session, clean)
    repo.add_segment(session, segment)
    diff = Diff(segment.id, segment.name, 0, 0)
    if kind == "dynamic":
        diff = _evaluate(session, segment, today=now.date(), now=now)
    session.flush()
    return _view(session, segment), diff


def update_segment(
    session: Session, segment_id: str | int, *, name: Any = None, conditions: Any = None
) -> tuple[SegmentView, list[Diff]]:
    """Rename a segment and/or change its conditions (membership is re-diffed)."""
    segment = _access(session, segment_id)
    now = utcnow()
    if name is not None:
        clean = _name(name)
        _unique(session, clean, other_than=segment.id)
        segment.name = clean
    diffs: list[Diff] = []
    if conditions is not None:
        if segment.kind == "static":
            raise _bad("conditions", "INVALID_CONDITIONS", "a static segment has no conditions")
        _set_conditions(session, segment, conditions, now.date(), segment.id)
    segment.updated_at = now
    session.flush()
    if conditions is not None:
        diffs = _rebuild_with_dependents(session, [segment], today=now.date(), now=now)
    return _view(session, segment), diffs


def archive_segment(session: Session, segment_id: str | int) -> int:
    """Archive a segment: its members leave (each exit recorded). Refused while another
    segment reads it. Returns how many members left."""
    segment = _access(session, segment_id)
    readers = [
        s.name
        for s in repo.live_segments(session)
        if segment.id in s.dependencies.get("segments", []) and s.id != segment.id
    ]
    if readers:
        raise Conflict(
            f"Segment {segment.id} is used by {', '.join(sorted(readers))}; change those first",
            context={"id": [str(segment.id)]},
        )
    now = utcnow()
    gone = repo.remove_members(session, segment, None, now)
    segment.archived = True
    segment.archived_at = now
    segment.updated_at = now
    session.flush()
    return len(gone)


# --- reading ----------------------------------------------------------------------------


def get_segment(session: Session, segment_id: str | int) -> SegmentView:
    return _view(session, _access(session, segment_id))


def list_segments(
    session: Session, *, after: str | None, limit: int
) -> tuple[list[SegmentView], str | None]:
    limit = _limit(limit, MAX_LIMIT)
    rows = repo.page_segments(session, after_id=parse_after(after), limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    sizes = repo.sizes(session, [s.id for s in rows])
    views = [SegmentView(s, sizes[s.id]) for s in rows]
    return views, (str(rows[-1].id) if more and rows else None)


def _limit(limit: Any, maximum: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= maximum:
        raise _bad("limit", "INVALID_LIMIT", f"limit must be an integer from 1 to {maximum}")
    return limit


def count_members(session: Session, segment_id: str | int) -> int:
    return _view(session, _access(session, segment_id)).size


def list_members(
    session: Session,
    segment_id: str | int,
    *,
    after: str | None,
    limit: int,
    properties_: Sequence[str] | None = None,
) -> MembersPage:
    segment = _access(session, segment_id)
    limit = _limit(limit, MAX_LIMIT)
    rows = repo.member_page(session, segment.id, after_id=parse_after(after), limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    views = records.render_rows(session, CONTACTS, [r for r, _ in rows], properties_=properties_)
    items = [Member(view, at) for view, (_, at) in zip(views, rows, strict=True)]
    return MembersPage(items, str(items[-1].record.id) if more and items else None)


def preview(
    session: Session,
    conditions: Any,
    *,
    limit: int = 10,
    properties_: Sequence[str] | None = None,
) -> Preview:
    """Who would be in a segment with these conditions now: how many, and the first ones."""
    limit = _limit(limit, MAX_PREVIEW)
    members = compile_members(session, parse_conditions(conditions), today=utcnow().date())
    rows = repo.contact_rows(session, members, after_id=None, limit=limit)
    total = len(rows) if len(rows) < limit else repo.count_of(session, members)
    return Preview(total, records.render_rows(session, CONTACTS, rows, properties_=properties_))


def contact_segments(session: Session, contact_id: str | int) -> ContactSegments:
    ident = parse_id(str(contact_id))
    if ident is None or not repo.contact_exists(session, ident):
        raise NotFound(f"Contact {contact_id} does not exist", context={"id": [str(contact_id)]})
    return ContactSegments(
        repo.memberships(session, ident),
        repo.membership_history(session, ident, limit=HISTORY_LIMIT),
    )


# --- static lists -----------------------------------------------------------------------


def _ids(raw: Any) -> tuple[list[int], list[ErrorDetail]]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_IDS:
        raise _bad("ids", "INVALID_IDS", f"ids must be a list of 1 to {MAX_IDS} contact ids")
    ids: list[int] = []
    errors: list[ErrorDetail] = []
    for item in raw:
        ident = None if isinstance(item, bool) else parse_id(str(item))
        if ident is None:
            errors.append(
                ErrorDetail(f"'{item}' is not a contact id", "INVALID_ID", {"id": [str(item)]})
            )
        else:
            ids.append(ident)
    return list(dict.fromkeys(ids)), errors


def _static(session: Session, segment_id: str | int) -> Segment:
    segment = _access(session, segment_id)
    if segment.kind != "static":
        raise _bad(
            "id",
            "NOT_A_STATIC_SEGMENT",
            f"Segment {segment.id} is dynamic: its members follow its conditions",
        )
    return segment


def _cascade(session: Session, segment: Segment, ids: Iterable[int], now: datetime) -> None:
    among = set(ids)
    if not among:
        return
    today = now.date()
    context = _context(session, today)
    for reader in _dependents(session, {segment.id}):
        _evaluate(session, reader, today=today, now=now, among=among, context=context)


def add_members(session: Session, segment_id: str | int, raw_ids: Any) -> ListChange:
    """Add contacts to a static list; unknown or archived ids are reported one by one."""
    segment = _static(session, segment_id)
    ids, errors = _ids(raw_ids)
    live = repo.live_contact_ids(session, ids)
    for ident in ids:
        if ident not in live:
            errors.append(
                ErrorDetail(
                    f"Contact {ident} does not exist", "CONTACT_NOT_FOUND", {"id": [str(ident)]}
                )
            )
    now = utcnow()
    added = repo.add_members(session, segment, [i for i in ids if i in live], now)
    _cascade(session, segment, added, now)
    session.flush()
    return ListChange(added, [i for i in ids if i in live and i not in set(added)], errors)


def remove_members(session: Session, segment_id: str | int, raw_ids: Any) -> ListChange:
    """Remove contacts from a static list; ids that were not members are reported."""
    segment = _static(session, segment_id)
    ids, errors = _ids(raw_ids)
    now = utcnow()
    removed = repo.remove_members(session, segment, ids, now)
    _cascade(session, segment, removed, now)
    session.flush()
    return ListChange(removed, [i for i in ids if i not in set(removed)], errors)


__all__ = [
    "ContactSegments",
    "Diff",
    "ListChange",
    "MembersPage",
    "Preview",
    "SegmentView",
    "add_members",
    "archive_segment",
    "compile_members",
    "contact_segments",
    "count_members",
    "create_segment",
    "get_segment",
    "list_members",
    "list_segments",
    "preview",
    "rebuild",
    "reevaluate",
    "refresh_time_based",
    "remove_members",
    "update_segment",
]
