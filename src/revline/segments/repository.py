"""All SQL of segments: the segments themselves, membership diffs applied set-based, the
entry and exit events they write, and the reads of members and membership history."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    RowMapping,
    Select,
    String,
    Table,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from revline.crm.associations.types import HUBSPOT_DEFINED
from revline.crm.object_types import COMPANIES, CONTACTS
from revline.crm.records.repository import table_for
from revline.events.definitions import BUILT_IN, SYSTEM_TYPES
from revline.kit.db import JSONDocument, UTCDateTime
from revline.kit.db.dialect import in_values, insert_many, insert_missing_from, rebuild_memory
from revline.models import Association, Event, EventDefinition, Segment, SegmentMember
from revline.segments.query import PRIMARY_COMPANY_TYPE_ID

ENTERED = "segment_entered"
EXITED = "segment_exited"
EVENT_SOURCE = "segment"
_CHUNK = 500


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _table(model: Any) -> Table:
    # Core statements on the tables: the ORM's bulk paths would not report row counts.
    return model.__table__  # type: ignore[no-any-return]


# --- what conditions may name -----------------------------------------------------------


def event_types(session: Session) -> dict[str, str | None]:
    """Every event type a condition may name (built-in and defined), with its key property."""
    types: dict[str, str | None] = {
        name: t.key_property for name, t in BUILT_IN.items() if name not in SYSTEM_TYPES
    }
    rows = session.execute(
        select(EventDefinition.name, EventDefinition.key_property).where(
            EventDefinition.archived.is_(False)
        )
    )
    for name, key in rows:
        types.setdefault(name, key)
    return types


# --- segments ---------------------------------------------------------------------------


def get_segment(session: Session, segment_id: int) -> Segment | None:
    return session.get(Segment, segment_id)


def live_segments(session: Session, *, kind: str | None = None) -> list[Segment]:
    query = select(Segment).where(Segment.archived.is_(False)).order_by(Segment.id)
    if kind is not None:
        query = query.where(Segment.kind == kind)
    return list(session.scalars(query))


def live_segment_ids(session: Session) -> set[int]:
    return set(session.scalars(select(Segment.id).where(Segment.archived.is_(False))))


def name_taken(session: Session, name: str, *, other_than: int | None = None) -> bool:
    query = select(Segment.id).where(Segment.archived.is_(False), Segment.name == name)
    if other_than is not None:
        query = query.where(Segment.id != other_than)
    return session.execute(query.limit(1)).first() is not None


def add_segment(session: Session, segment: Segment) -> Segment:
    session.add(segment)
    session.flush()
    return segment


def page_segments(
    session: Session, *, after_id: int | None, limit: int, archived: bool = False
) -> list[Segment]:
    query = select(Segment).where(Segment.archived.is_(archived)).order_by(Segment.id)
    if after_id is not None:
        query = query.where(Segment.id > after_id)
    return list(session.scalars(query.limit(limit)))


def sizes(session: Session, segment_ids: Collection[int]) -> dict[int, int]:
    if not segment_ids:
        return {}
    rows = session.execute(
        select(SegmentMember.segment_id, func.count())
        .where(SegmentMember.segment_id.in_(sorted(segment_ids)))
        .group_by(SegmentMember.segment_id)
    )
    found = {int(s): int(n) for s, n in rows}
    return {i: found.get(i, 0) for i in segment_ids}


# --- membership diffs -------------------------------------------------------------------


def _event_insert(segment: Segment, kind: str, now: datetime, ids: Select[Any]) -> Any:
    """INSERT .. SELECT of one entry or exit event per contact id that ``ids`` yields."""
    props = {"segment_id": str(segment.id), "segment_name": segment.name}
    source = ids.subquery()
    rows = select(
        literal(kind, String),
        literal(now, UTCDateTime()),
        literal(now, UTCDateTime()),
        source.c[0],
        literal(str(segment.id), String),
        literal(props, JSONDocument),
        literal(EVENT_SOURCE, String),
    )
    return insert(_table(Event)).from_select(
        [
            "event_type",
            "occurred_at",
            "received_at",
            "contact_id",
            "detail",
            "properties",
            "source",
        ],
        rows,
    )


def apply_membership(
    session: Session,
    segment: Segment,
    members: Select[Any],
    now: datetime,
    *,
    among: Collection[int] | None = None,
) -> tuple[int, int]:
    """Make the members of ``segment`` (among ``among`` when given) exactly the ids that
    ``members`` yields, recording an event per entry and exit. Returns (entered, exited)."""
    m = SegmentMember
    if among is None:
        memory = rebuild_memory(session.get_bind().dialect.name)
        if memory is not None:
            session.execute(memory)
    wanted = members.subquery()
    # NOT EXISTS rather than NOT IN: both engines turn it into an anti-join, whatever the size.
    still_wanted = exists(select(wanted.c[0]).where(wanted.c[0] == m.contact_id))
    gone_where = [m.segment_id == segment.id, ~still_wanted]
    if among is not None:
        gone_where.append(m.contact_id.in_(sorted(set(among))))
    session.execute(_event_insert(segment, EXITED, now, select(m.contact_id).where(*gone_where)))
    gone = session.execute(
        delete(_table(m)).where(*gone_where).execution_options(preserve_rowcount=True)
    )
    joining = select(literal(segment.id, Integer), wanted.c[0], literal(now, UTCDateTime()))
    came = session.execute(
        insert_missing_from(
            session.get_bind().dialect.name,
            _table(m),
            ["segment_id", "contact_id", "entered_at"],
            joining,
        ).execution_options(preserve_rowcount=True)
    )
    # The rows just written are the entries: read them back instead of evaluating again.
    entered = select(m.contact_id).where(m.segment_id == segment.id, m.entered_at == now)
    if _rowcount(came):
        session.execute(_event_insert(segment, ENTERED, now, entered))
    return _rowcount(came), _rowcount(gone)


def members_among(
    session: Session, selects: Sequence[tuple[int, Select[Any]]]
) -> set[tuple[int, int]]:
    """(segment id, contact id) of every contact each segment's ``members`` select yields,
    from one statement: the incremental path evaluates a handful of contacts against many
    segments, where a round trip per segment costs more than the work."""
    parts = []
    for segment_id, members in selects:
        sub = members.subquery()
        parts.append(select(literal(segment_id, Integer), sub.c[0]))
    if not parts:
        return set()
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    return {(int(s), int(c)) for s, c in session.execute(statement)}


def current_members(
    session: Session, segment_ids: Collection[int], contact_ids: Collection[int]
) -> set[tuple[int, int]]:
    """(segment id, contact id) of the memberships of ``contact_ids`` in ``segment_ids``."""
    if not segment_ids or not contact_ids:
        return set()
    m = SegmentMember
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        select(m.segment_id, m.contact_id).where(
            in_values(dialect, m.segment_id, sorted(segment_ids)),
            in_values(dialect, m.contact_id, sorted(contact_ids)),
        )
    )
    return {(int(s), int(c)) for s, c in rows}


def write_changes(
    session: Session,
    segments: dict[int, Segment],
    entered: Collection[tuple[int, int]],
    exited: Collection[tuple[int, int]],
    now: datetime,
) -> None:
    """Apply known entries and exits: member rows added and removed, and one entry or exit
    event per change, each kind in one statement."""
    connection = session.connection()
    dialect = connection.dialect.name
    if entered:
        insert_many(
            connection,
            _table(SegmentMember),
            [{"segment_id": s, "contact_id": c, "entered_at": now} for s, c in sorted(entered)],
        )
    leaving: dict[int, list[int]] = {}
    for s, c in sorted(exited):
        leaving.setdefault(s, []).append(c)
    for segment_id, contact_ids in leaving.items():
        session.execute(
            delete(_table(SegmentMember)).where(
                SegmentMember.segment_id == segment_id,
                in_values(dialect, SegmentMember.contact_id, contact_ids),
            )
        )
    props = {
        i: {"segment_id": str(i), "segment_name": segments[i].name}
        for i in {s for s, _ in entered} | {s for s, _ in exited}
    }
    rows = [
        {
            "event_type": kind,
            "occurred_at": now,
            "received_at": now,
            "contact_id": c,
            "detail": str(s),
            "properties": props[s],
            "source": EVENT_SOURCE,
        }
        for kind, changes in ((ENTERED, entered), (EXITED, exited))
        for s, c in sorted(changes)
    ]
    insert_many(connection, _table(Event), rows)


def add_members(
    session: Session, segment: Segment, contact_ids: Collection[int], now: datetime
) -> list[int]:
    """Add the (live) ``contact_ids`` not yet in the segment; returns those added."""
    m = SegmentMember
    have = set(
        session.scalars(
            select(m.contact_id).where(
                m.segment_id == segment.id, m.contact_id.in_(sorted(contact_ids))
            )
        )
    )
    new = sorted(set(contact_ids) - have)
    if new:
        session.execute(
            insert(_table(m)),
            [{"segment_id": segment.id, "contact_id": i, "entered_at": now} for i in new],
        )
        session.execute(
            _event_insert(
                segment,
                ENTERED,
                now,
                select(m.contact_id).where(m.segment_id == segment.id, m.contact_id.in_(new)),
            )
        )
    return new


def remove_members(
    session: Session, segment: Segment, contact_ids: Collection[int] | None, now: datetime
) -> list[int]:
    """Remove ``contact_ids`` (all members when None) from the segment; returns those removed."""
    m = SegmentMember
    leaving = select(m.contact_id).where(m.segment_id == segment.id)
    if contact_ids is not None:
        leaving = leaving.where(m.contact_id.in_(sorted(set(contact_ids))))
    gone = sorted(session.scalars(leaving))
    if gone:
        session.execute(_event_insert(segment, EXITED, now, leaving))
        where = [m.segment_id == segment.id]
        if contact_ids is not None:
            where.append(m.contact_id.in_(sorted(set(contact_ids))))
        session.execute(delete(_table(m)).where(*where))
    return gone


def member_ids(session: Session, segment_id: int) -> set[int]:
    return set(
        session.scalars(
            select(SegmentMember.contact_id).where(SegmentMember.segment_id == segment_id)
        )
    )


def segments_of_contacts(session: Session, contact_ids: Collection[int]) -> list[Segment]:
    """The live segments any of ``contact_ids`` is a member of."""
    return list(
        session.scalars(
            select(Segment)
            .where(
                Segment.archived.is_(False),
                Segment.id.in_(
                    select(SegmentMember.segment_id).where(
                        SegmentMember.contact_id.in_(sorted(contact_ids))
                    )
                ),
            )
            .order_by(Segment.id)
        )
    )


# --- contacts ---------------------------------------------------------------------------


def live_contact_ids(session: Session, ids: Collection[int]) -> set[int]:
    if not ids:
        return set()
    contacts = table_for(CONTACTS)
    dialect = session.get_bind().dialect.name
    wanted = sorted(set(ids))
    found: set[int] = set()
    # SQLite binds each value of an IN list: chunks keep it under its parameter limit.
    step = len(wanted) if dialect == "postgresql" else _CHUNK
    for start in range(0, len(wanted), step):
        found.update(
            session.scalars(
                select(contacts.c.id).where(
                    contacts.c.archived == false(),
                    in_values(dialect, contacts.c.id, wanted[start : start + step]),
                )
            )
        )
    return found


def contacts_of_companies(session: Session, company_ids: Collection[int]) -> set[int]:
    """Contacts whose primary company is one of ``company_ids``."""
    a = Association
    return set(
        session.scalars(
            select(a.from_id).where(
                a.from_type == CONTACTS.name,
                a.to_type == COMPANIES.name,
                a.category == HUBSPOT_DEFINED,
                a.type_id == PRIMARY_COMPANY_TYPE_ID,
                a.archived == false(),
                a.to_id.in_(sorted(set(company_ids))),
            )
        )
    )


def count_of(session: Session, members: Select[Any]) -> int:
    return int(session.execute(select(func.count()).select_from(members.subquery())).scalar_one())


def contact_rows(
    session: Session, members: Select[Any], *, after_id: int | None, limit: int
) -> list[RowMapping]:
    """A page of the contact rows whose ids ``members`` yields, by id."""
    contacts = table_for(CONTACTS)
    query = select(contacts).where(contacts.c.id.in_(members))
    if after_id is not None:
        query = query.where(contacts.c.id > after_id)
    return list(session.execute(query.order_by(contacts.c.id).limit(limit)).mappings())


def member_page(
    session: Session, segment_id: int, *, after_id: int | None, limit: int
) -> list[tuple[RowMapping, datetime]]:
    """A page of a segment's members (live contacts), by contact id, with when they entered."""
    contacts = table_for(CONTACTS)
    m = SegmentMember
    query = (
        select(contacts, m.entered_at.label("segment_entered_at"))
        .join(m, m.contact_id == contacts.c.id)
        .where(m.segment_id == segment_id, contacts.c.archived == false())
    )
    if after_id is not None:
        query = query.where(contacts.c.id > after_id)
    rows = session.execute(query.order_by(contacts.c.id).limit(limit)).mappings()
    return [(row, row["segment_entered_at"]) for row in rows]


@dataclass(frozen=True)
class Membership:
    segment_id: int
    name: str
    kind: str
    entered_at: datetime


@dataclass(frozen=True)
class MembershipChange:
    segment_id: int
    segment_name: str | None
    kind: str  # entered | exited
    at: datetime


def memberships(session: Session, contact_id: int) -> list[Membership]:
    rows = session.execute(
        select(Segment.id, Segment.name, Segment.kind, SegmentMember.entered_at)
        .join(SegmentMember, SegmentMember.segment_id == Segment.id)
        .where(SegmentMember.contact_id == contact_id, Segment.archived.is_(False))
        .order_by(SegmentMember.entered_at.desc(), Segment.id)
    )
    return [Membership(int(i), n, k, at) for i, n, k, at in rows]


def membership_history(session: Session, contact_id: int, *, limit: int) -> list[MembershipChange]:
    rows = session.execute(
        select(Event.event_type, Event.detail, Event.properties, Event.occurred_at)
        .where(Event.contact_id == contact_id, Event.event_type.in_((ENTERED, EXITED)))
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(limit)
    )
    out: list[MembershipChange] = []
    for kind, detail, props, at in rows:
        name = props.get("segment_name") if isinstance(props, dict) else None
        out.append(
            MembershipChange(
                int(detail or 0),
                name if isinstance(name, str) else None,
                "entered" if kind == ENTERED else "exited",
                at,
            )
        )
    return out


def contact_exists(session: Session, contact_id: int) -> bool:
    contacts = table_for(CONTACTS)
    return (
        session.execute(select(contacts.c.id).where(contacts.c.id == contact_id)).first()
        is not None
    )
