"""Rules of events: ingestion (validation, contact resolution, stitching, idempotency, daily
counts), event definitions, the workspace's event settings, listing and retention.

Ingestion is set-based: a batch of up to 1,000 events costs one query per kind of contact
identifier, one INSERT for the events with idempotency keys and one for those without, and
one upsert of the daily counts, however many events it holds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from revline.crm import signals
from revline.crm.object_types import access_object_type
from revline.crm.records import batch as records_batch
from revline.crm.records.batch import ItemError
from revline.crm.records.context import WriteSource
from revline.crm.settings import repository as settings_repo
from revline.errors import Conflict, ErrorDetail, NotFound, RevlineError, ValidationError
from revline.events import repository as repo
from revline.events.definitions import BUILT_IN, SYSTEM_TYPES, EventType
from revline.events.validation import (
    ParsedEvent,
    check_definition_name,
    check_description,
    check_key_property,
    check_label,
    check_schema,
    parse_anonymous_id,
    parse_contact_ref,
    parse_event,
    parse_time,
    problem,
)
from revline.kit.pagination import Page, parse_id
from revline.kit.time import utcnow
from revline.models import Event, EventDefinition

MAX_BATCH = 1_000
MAX_PAGE = 1_000
SETTINGS_KEY = "events"
RETENTION_CHUNK = 5_000
MAX_RETENTION_DAYS = 36_500
# Contacts created for unknown emails go through the records batch in its own batch size.
_CREATE_CHUNK = records_batch.MAX_INPUTS
EVENTS_SOURCE = WriteSource("EVENTS", "events")


# --- settings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EventSettings:
    create_contacts_for_unknown_email: bool = True
    retention_days: int | None = None


def get_settings(session: Session) -> EventSettings:
    stored = settings_repo.get_setting(session, SETTINGS_KEY) or {}
    return EventSettings(
        create_contacts_for_unknown_email=bool(stored.get("createContactsForUnknownEmail", True)),
        retention_days=stored.get("retentionDays"),
    )


def update_settings(session: Session, raw: Any) -> EventSettings:
    """Change the settings named in ``raw``; the others keep their values."""
    if not isinstance(raw, dict):
        raise problem("body", "INVALID_INPUT", "the settings must be an object")
    current = get_settings(session)
    create = current.create_contacts_for_unknown_email
    retention = current.retention_days
    if "createContactsForUnknownEmail" in raw:
        value = raw["createContactsForUnknownEmail"]
        if not isinstance(value, bool):
            raise problem(
                "createContactsForUnknownEmail",
                "INVALID_BOOL",
                "createContactsForUnknownEmail must be true or false",
            )
        create = value
    if "retentionDays" in raw:
        value = raw["retentionDays"]
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= MAX_RETENTION_DAYS
        ):
            raise problem(
                "retentionDays",
                "INVALID_RETENTION",
                f"retentionDays must be null (keep forever) or 1 to {MAX_RETENTION_DAYS}",
            )
        retention = value
    settings_repo.put_setting(
        session,
        SETTINGS_KEY,
        {"createContactsForUnknownEmail": create, "retentionDays": retention},
        utcnow(),
    )
    return EventSettings(create, retention)


# --- definitions ------------------------------------------------------------------------


@dataclass(frozen=True)
class DefinitionView:
    name: str
    label: str
    description: str | None
    key_property: str | None
    properties: dict[str, dict[str, Any]]
    builtin: bool
    archived: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None


def _builtin_view(t: EventType) -> DefinitionView:
    return DefinitionView(t.name, t.label, t.description, t.key_property, t.properties, True)


def _custom_view(d: EventDefinition) -> DefinitionView:
    return DefinitionView(
        d.name,
        d.label,
        d.description,
        d.key_property,
        dict(d.properties),
        False,
        d.archived,
        d.created_at,
        d.updated_at,
    )


def event_types(session: Session) -> dict[str, EventType]:
    """Every type an event may have now: the built-ins and the live custom definitions."""
    types = dict(BUILT_IN)
    for d in repo.definitions(session):
        types[d.name] = EventType(
            d.name, d.label, dict(d.properties), d.key_property, False, d.description
        )
    return types


def list_definitions(session: Session, *, archived: bool = False) -> list[DefinitionView]:
    """Built-ins first (unless archived ones are asked for), then custom types by name."""
    custom = [_custom_view(d) for d in repo.definitions(session, archived=archived)]
    if archived:
        return custom
    return [_builtin_view(t) for t in BUILT_IN.values()] + custom


def get_definition(session: Session, name: str) -> DefinitionView:
    if name in BUILT_IN:
        return _builtin_view(BUILT_IN[name])
    found = repo.definition_by_name(session, name)
    if found is None:
        raise NotFound(f"Event type {name[:100]!r} is not defined", context={"name": [name[:100]]})
    return _custom_view(found)


def create_definition(session: Session, raw: Any) -> DefinitionView:
    if not isinstance(raw, dict):
        raise problem("body", "INVALID_INPUT", "the definition must be an object")
    name = check_definition_name(raw.get("name"))
    label = check_label(raw.get("label"))
    description = check_description(raw.get("description"))
    schema = check_schema(raw.get("properties"))
    key = check_key_property(raw.get("keyProperty"), schema)
    existing = repo.definition_by_name(session, name)
    if existing is not None:
        state = " (archived)" if existing.archived else ""
        raise Conflict(
            f"Event type {name} already exists{state}",
            errors=[ErrorDetail("name taken", "DUPLICATE_NAME", {"field": ["name"]})],
        )
    now = utcnow()
    definition = EventDefinition(
        name=name,
        label=label,
        description=description,
        key_property=key,
        properties=schema,
        created_at=now,
        updated_at=now,
        archived=False,
    )
    repo.add_definition(session, definition)
    return _custom_view(definition)


def _custom_for_change(session: Session, name: str) -> EventDefinition:
    if name in BUILT_IN:
        raise ValidationError(
            f"{name} is a built-in event type and cannot be changed",
            errors=[ErrorDetail("built-in types are read-only", "READ_ONLY", {"name": [name]})],
        )
    found = repo.definition_by_name(session, name)
    if found is None or found.archived:
        raise NotFound(f"Event type {name[:100]!r} is not defined", context={"name": [name[:100]]})
    return found


def update_definition(session: Session, name: str, raw: Any) -> DefinitionView:
    """Change label, description, properties or keyProperty; the new schema applies to
    events received from now on (stored events are never rewritten)."""
    definition = _custom_for_change(session, name)
    if not isinstance(raw, dict):
        raise problem("body", "INVALID_INPUT", "the definition must be an object")
    if "name" in raw and raw["name"] != name:
        raise problem("name", "READ_ONLY", "an event type cannot be renamed")
    if "label" in raw:
        definition.label = check_label(raw["label"])
    if "description" in raw:
        definition.description = check_description(raw["description"])
    schema = check_schema(raw["properties"]) if "properties" in raw else dict(definition.properties)
    key = raw.get("keyProperty", definition.key_property)
    definition.key_property = check_key_property(key, schema)
    definition.properties = schema
    definition.updated_at = utcnow()
    session.flush()
    return _custom_view(definition)


def archive_definition(session: Session, name: str) -> None:
    """Archive a custom type: its stored events stay, new ones are refused."""
    definition = _custom_for_change(session, name)
    definition.archived = True
    definition.updated_at = utcnow()
    session.flush()


# --- ingestion --------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredEvent:
    id: int
    event_type: str
    occurred_at: datetime
    contact_id: int | None
    anonymous_id: str | None
    properties: dict[str, Any]
    idempotency_key: str | None
    detail: str | None = None
    duplicate: bool = False


def _stored(e: Event, *, duplicate: bool = False) -> StoredEvent:
    return StoredEvent(
        e.id,
        e.event_type,
        e.occurred_at,
        e.contact_id,
        e.anonymous_id,
        dict(e.properties or {}),
        e.idempotency_key,
        e.detail,
        duplicate,
    )


@dataclass
class IngestResult:
    """Per input, in input order: the stored (or original, when a duplicate) event or the
    error that kept it out; ``errors`` renders the failures in the batch shape."""

    outcomes: list[StoredEvent | RevlineError]
    started_at: datetime
    completed_at: datetime
    errors: list[ItemError] = field(default_factory=list)

    @property
    def results(self) -> list[StoredEvent]:
        return [o for o in self.outcomes if isinstance(o, StoredEvent)]

    @property
    def stored(self) -> int:
        return sum(1 for o in self.results if not o.duplicate)

    @property
    def duplicates(self) -> int:
        return sum(1 for o in self.results if o.duplicate)


def check_batch(inputs: Any) -> list[Any]:
    if not isinstance(inputs, list):
        raise ValidationError(
            "inputs must be a list",
            errors=[ErrorDetail("not a list", "INVALID_INPUTS", {"field": ["inputs"]})],
        )
    if not inputs or len(inputs) > MAX_BATCH:
        raise ValidationError(
            f"inputs must hold 1 to {MAX_BATCH} events; got {len(inputs)}",
            errors=[
                ErrorDetail(
                    f"between 1 and {MAX_BATCH} inputs are allowed",
                    "INVALID_INPUTS",
                    {"field": ["inputs"]},
                )
            ],
        )
    return inputs


def _not_found(field_name: str, value: object) -> NotFound:
    return NotFound(
        f"No contact with {field_name.split('.')[-1]} {value}",
        errors=[ErrorDetail("contact not found", "CONTACT_NOT_FOUND", {"field": [field_name]})],
    )


class _Contacts:
    """Contact ids by id (merges followed to the survivor) and by email, for one batch."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.states: dict[int, repo.ContactState] = {}

    def load_ids(self, ids: set[int]) -> None:
        wanted = ids - self.states.keys()
        # Merged ids point at their survivor directly (merges repoint older ones); a second
        # round covers data written before that rule.
        for _ in range(3):
            if not wanted:
                return
            self.states.update(repo.contacts_by_id(self.session, wanted))
            wanted = {
                int(s.merged_into_id)
                for s in self.states.values()
                if s.merged_into_id is not None and s.merged_into_id not in self.states
            }

    def live(self, contact_id: int) -> int | None:
        state = self.states.get(contact_id)
        for _ in range(16):
            if state is None or state.merged_into_id is None:
                break
            state = self.states.get(int(state.merged_into_id))
        if state is None or state.archived:
            return None
        return state.id


def resolve_contact(session: Session, raw: Any, field_name: str = "contactId") -> int:
    """The live contact ``raw`` names (a merged id answers its survivor), or 404."""
    ident = parse_id(str(raw)) if raw is not None and not isinstance(raw, bool) else None
    if ident is None:
        raise problem(field_name, "INVALID_ID", f"{field_name} must be a contact id, not {raw!r}")
    contacts = _Contacts(session)
    contacts.load_ids({ident})
    live = contacts.live(ident)
    if live is None:
        raise _not_found(field_name, raw)
    return live


def _create_contacts(session: Session, emails: list[str], now: datetime) -> None:
    """New contacts for ``emails`` through the records service, so that every contact rule
    (lifecycle, routing, matching keys) applies as it does to any other create."""
    contacts = access_object_type("contacts")
    for start in range(0, len(emails), _CREATE_CHUNK):
        chunk = emails[start : start + _CREATE_CHUNK]
        records_batch.create_batch(
            session,
            contacts,
            [{"properties": {"email": e}} for e in chunk],
            source=EVENTS_SOURCE,
            now=now,
        )


def _resolve_contacts(
    session: Session, parsed: dict[int, ParsedEvent], outcomes: list[Any], now: datetime
) -> None:
    """Set each event's contact id from its id or email; unknown ones fail their event."""
    contacts = _Contacts(session)
    contacts.load_ids({p.contact_id for p in parsed.values() if p.contact_id is not None})
    emails = {p.email for p in parsed.values() if p.email is not None}
    by_email = repo.contacts_by_email(session, emails)
    missing = sorted(emails - by_email.keys())
    if missing and get_settings(session).create_contacts_for_unknown_email:
        _create_contacts(session, missing, now)
        by_email.update(repo.contacts_by_email(session, missing))
    for i, p in list(parsed.items()):
        if p.contact_id is not None:
            live = contacts.live(p.contact_id)
            if live is None:
                outcomes[i] = _not_found("contact.id", p.contact_id)
                del parsed[i]
                continue
            p.contact_id = live
        elif p.email is not None:
            found = by_email.get(p.email)
            if found is None:
                outcomes[i] = _not_found("contact.email", p.email)
                del parsed[i]
                continue
            p.contact_id = found


def _identity_conflict(anonymous_id: str, owner: int) -> Conflict:
    return Conflict(
        f"Anonymous id {anonymous_id} already belongs to contact {owner}",
        errors=[
            ErrorDetail(
                "anonymous id tied to another contact",
                "ANONYMOUS_ID_CONFLICT",
                {"field": ["contact.anonymousId"]},
            )
        ],
    )


DayKey = tuple[int, str, str, date]
_DayCounts = Counter[DayKey]


def _link_identities(session: Session, links: dict[str, int], now: datetime) -> dict[str, int]:
    """Record ``links`` (anonymous id → contact); answers who owns each id afterwards (a
    concurrent request may have tied one to someone else first)."""
    repo.add_identities(
        session,
        [
            {"anonymous_id": a, "contact_id": c, "identified_at": now}
            for a, c in sorted(links.items())
        ],
    )
    return repo.identities(session, links.keys())


def _attach(session: Session, links: dict[str, int], counts: _DayCounts) -> int:
    """Give earlier anonymous events to their contacts, counting them per day."""
    by_contact: dict[int, list[str]] = {}
    for anonymous_id, contact_id in links.items():
        by_contact.setdefault(contact_id, []).append(anonymous_id)
    moved = 0
    for contact_id, anonymous_ids in sorted(by_contact.items()):
        for event_type, detail, occurred_at in repo.attach_anonymous(
            session, anonymous_ids, contact_id
        ):
            counts[(contact_id, event_type, detail or "", occurred_at.astimezone(UTC).date())] += 1
            moved += 1
    return moved


def _stitch(
    session: Session,
    parsed: dict[int, ParsedEvent],
    outcomes: list[Any],
    now: datetime,
    counts: _DayCounts,
) -> set[int]:
    """Tie anonymous ids to the contacts named beside them, then attribute anonymous-only
    events of known ids. Answers the contacts that got earlier events."""
    anonymous_ids = {p.anonymous_id for p in parsed.values() if p.anonymous_id is not None}
    known = repo.identities(session, anonymous_ids)
    links: dict[str, int] = {}
    for i, p in list(parsed.items()):
        if p.anonymous_id is None or p.contact_id is None:
            continue
        owner = known.get(p.anonymous_id) or links.get(p.anonymous_id)
        if owner is None:
            links[p.anonymous_id] = p.contact_id
        elif owner != p.contact_id:
            outcomes[i] = _identity_conflict(p.anonymous_id, owner)
            del parsed[i]
    if links:
        owners = _link_identities(session, links, now)
        for i, p in list(parsed.items()):
            if p.anonymous_id in links and p.contact_id is not None:
                owner = owners[p.anonymous_id]
                if owner != p.contact_id:
                    outcomes[i] = _identity_conflict(p.anonymous_id, owner)
                    del parsed[i]
        won = {a: c for a, c in links.items() if owners.get(a) == c}
        _attach(session, won, counts)
        known.update(owners)
    for p in parsed.values():
        if p.contact_id is None and p.anonymous_id is not None:
            p.contact_id = known.get(p.anonymous_id)
    return set(links.values())


def _row(p: ParsedEvent, now: datetime, source: str) -> dict[str, Any]:
    return {
        "event_type": p.event_type,
        "occurred_at": p.occurred_at,
        "received_at": now,
        "contact_id": p.contact_id,
        "anonymous_id": p.anonymous_id,
        "detail": p.detail,
        "properties": p.properties,
        "idempotency_key": p.idempotency_key,
        "source": source,
    }


def _fresh(p: ParsedEvent, ident: int) -> StoredEvent:
    return StoredEvent(
        ident,
        p.event_type,
        p.occurred_at,
        p.contact_id,
        p.anonymous_id,
        p.properties,
        p.idempotency_key,
        p.detail,
    )


def _store(
    session: Session,
    parsed: dict[int, ParsedEvent],
    outcomes: list[Any],
    now: datetime,
    source: str,
    counts: _DayCounts,
) -> None:
    first_of: dict[str, int] = {}
    repeats: dict[int, int] = {}
    keyed: list[int] = []
    plain: list[int] = []
    for i, p in parsed.items():
        key = p.idempotency_key
        if key is None:
            plain.append(i)
        elif key in first_of:
            repeats[i] = first_of[key]
        else:
            first_of[key] = i
            keyed.append(i)
    # One statement for all: keyed rows first, then the others in input order.
    new_by_key, plain_ids = repo.insert_events(
        session, [_row(parsed[i], now, source) for i in [*keyed, *plain]]
    )
    for i, ident in zip(plain, plain_ids, strict=True):
        outcomes[i] = _fresh(parsed[i], ident)
    taken = [
        parsed[i].idempotency_key for i in keyed if parsed[i].idempotency_key not in new_by_key
    ]
    originals = repo.events_by_keys(session, {k for k in taken if k is not None})
    for i in keyed:
        key = parsed[i].idempotency_key
        assert key is not None
        if key in new_by_key:
            outcomes[i] = _fresh(parsed[i], new_by_key[key])
        else:
            outcomes[i] = _stored(originals[key], duplicate=True)
    for i, first in repeats.items():
        outcomes[i] = replace(outcomes[first], duplicate=True)
    for i in [*plain, *keyed]:
        out = outcomes[i]
        if isinstance(out, StoredEvent) and not out.duplicate and out.contact_id is not None:
            day = out.occurred_at.astimezone(UTC).date()
            counts[(out.contact_id, out.event_type, out.detail or "", day)] += 1


def ingest_events(
    session: Session, inputs: list[Any], *, now: datetime | None = None, source: str = "api"
) -> IngestResult:
    """Store every valid event of ``inputs`` (each failing alone), tie anonymous ids named
    beside a contact, keep the daily counts, and announce the change once."""
    started = utcnow()
    at = now or started
    types = event_types(session)
    outcomes: list[StoredEvent | RevlineError | None] = [None] * len(inputs)
    parsed: dict[int, ParsedEvent] = {}
    for i, item in enumerate(inputs):
        try:
            parsed[i] = parse_event(item, types, at)
        except ValidationError as exc:
            outcomes[i] = exc
    counts: _DayCounts = Counter()
    if parsed:
        _resolve_contacts(session, parsed, outcomes, at)
    stitched = _stitch(session, parsed, outcomes, at, counts) if parsed else set()
    if parsed:
        _store(session, parsed, outcomes, at, source, counts)
    repo.add_daily_counts(session, dict(counts))
    changed = {key[0] for key in counts} | stitched
    if changed:
        signals.contacts_changed(session, ids=changed, events={key[1] for key in counts})
    final: list[StoredEvent | RevlineError] = [o for o in outcomes if o is not None]
    assert len(final) == len(inputs)
    errors = [ItemError.of(o, i) for i, o in enumerate(final) if isinstance(o, RevlineError)]
    return IngestResult(final, started, utcnow(), errors)


# --- identify ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Identified:
    anonymous_id: str
    contact_id: int
    events_attributed: int
    new: bool


def identify(session: Session, raw: Any, *, now: datetime | None = None) -> Identified:
    """Tie an anonymous id to a contact and give it the id's earlier events (409 when the id
    already belongs to someone else; repeating an identify changes nothing)."""
    at = now or utcnow()
    if not isinstance(raw, dict):
        raise problem("body", "INVALID_INPUT", "the body must be an object")
    anon_raw = raw.get("anonymousId", raw.get("anonymous_id"))
    if anon_raw is None:
        raise problem("anonymousId", "MISSING", "anonymousId is required")
    anonymous_id = parse_anonymous_id(anon_raw, "anonymousId")
    contact_id, email, _ = parse_contact_ref(raw.get("contact"), anonymous_allowed=False)
    parsed = {0: ParsedEvent("", at, {}, None, None, contact_id, email, None)}
    outcomes: list[Any] = [None]
    _resolve_contacts(session, parsed, outcomes, at)
    if isinstance(outcomes[0], RevlineError):
        raise outcomes[0]
    target = parsed[0].contact_id
    assert target is not None
    owner = repo.identities(session, [anonymous_id]).get(anonymous_id)
    if owner is not None and owner != target:
        raise _identity_conflict(anonymous_id, owner)
    new = owner is None
    if new:
        owner = _link_identities(session, {anonymous_id: target}, at)[anonymous_id]
        if owner != target:
            raise _identity_conflict(anonymous_id, owner)
    counts: _DayCounts = Counter()
    moved = _attach(session, {anonymous_id: target}, counts)
    repo.add_daily_counts(session, dict(counts))
    if moved:
        signals.contacts_changed(session, ids=[target], events={key[1] for key in counts})
    return Identified(anonymous_id, target, moved, new)


# --- reading ----------------------------------------------------------------------------


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _cursor(e: Event) -> str:
    # Integer microseconds: a float timestamp can be one microsecond off, and the page
    # boundary would then skip or repeat a row.
    micros = (e.occurred_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}-{e.id}"


def _parse_cursor(after: str | None) -> tuple[datetime, int] | None:
    if not after:
        return None
    try:
        micros, ident = after.split("-", 1)
        if not (micros.isdigit() and ident.isdigit()) or len(micros) > 19 or len(ident) > 19:
            raise ValueError
        at = _EPOCH + timedelta(microseconds=int(micros))
        return at, int(ident)
    except (ValueError, OverflowError):
        raise ValidationError(
            f"'after' must be a cursor returned by a previous page, not '{after[:100]}'",
            errors=[ErrorDetail("invalid cursor", "INVALID_CURSOR", {"field": ["after"]})],
        ) from None


def check_limit(limit: int, maximum: int = MAX_PAGE) -> int:
    if not 1 <= limit <= maximum:
        raise problem("limit", "INVALID_LIMIT", f"limit must be between 1 and {maximum}")
    return limit


def list_events(
    session: Session,
    *,
    contact_id: str | None = None,
    event_type: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int = 100,
    after: str | None = None,
) -> Page[StoredEvent]:
    check_limit(limit)
    contact = resolve_contact(session, contact_id) if contact_id not in (None, "") else None
    far = datetime(9999, 1, 1, tzinfo=UTC)
    since = parse_time(start, "from", far) if start else None
    until = parse_time(end, "to", far) if end else None
    rows = list(
        repo.list_events(
            session,
            contact_id=contact,
            event_type=event_type or None,
            start=since,
            end=until,
            before=_parse_cursor(after),
            limit=limit + 1,
        )
    )
    next_after = _cursor(rows[limit - 1]) if len(rows) > limit else None
    return Page([_stored(e) for e in rows[:limit]], next_after)


@dataclass(frozen=True)
class DailyCount:
    event_type: str
    detail: str
    day: date
    count: int


def daily_counts(session: Session, contact_id: int) -> list[DailyCount]:
    """A contact's per-day event counts (what behaviour conditions read)."""
    return [
        DailyCount(str(t), str(d), day, int(n))
        for t, d, day, n in repo.daily_counts(session, contact_id)
    ]


# --- retention --------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionResult:
    retention_days: int | None
    cutoff: datetime | None
    deleted: int


def apply_retention(session: Session, today: date | None = None) -> RetentionResult:
    """Delete raw events older than the retention, type by type and chunk by chunk. Segment
    entries and exits (membership history) and the daily counts always stay."""
    days = get_settings(session).retention_days
    if days is None:
        return RetentionResult(None, None, 0)
    day = today or utcnow().date()
    cutoff = datetime.combine(day - timedelta(days=days), time(0), tzinfo=UTC)
    deleted = 0
    for event_type in sorted(set(repo.stored_types(session)) - SYSTEM_TYPES):
        while True:
            n = repo.delete_older(session, event_type, cutoff, RETENTION_CHUNK)
            deleted += n
            if n < RETENTION_CHUNK:
                break
    return RetentionResult(days, cutoff, deleted)
