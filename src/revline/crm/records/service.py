"""Rules for records of every object type: validated writes, history, reads in API form."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from revline.crm import signals
from revline.crm.associations import service as associations
from revline.crm.associations.service import AssociationSpec, LinkedRecord
from revline.crm.companies import rules as company_rules
from revline.crm.contacts import rules as contact_rules
from revline.crm.deals import rules as deal_rules
from revline.crm.deals import service as deals
from revline.crm.engagements import rules as engagement_rules
from revline.crm.lifecycle import sync as lifecycle_sync
from revline.crm.object_types import ObjectType
from revline.crm.owners import service as owners
from revline.crm.properties import repository as property_repo
from revline.crm.properties import service as properties
from revline.crm.properties.service import Catalog, PropertyDef
from revline.crm.properties.values import TypedValue, format_value
from revline.crm.records import repository as repo
from revline.crm.records import scores
from revline.crm.records.context import StoredChange, WriteContext, WriteSource
from revline.crm.routing import service as routing
from revline.errors import Conflict, ErrorDetail, NotFound, ValidationError
from revline.kit.pagination import Page, paginate, parse_after, parse_id
from revline.kit.time import utcnow
from revline.models import PropertyHistory

API_SOURCE = WriteSource()
# Record-level columns that are not stored property values.
_RECORD_COLUMNS = frozenset({"id", "created_at", "updated_at"})

_TYPE_RULES: dict[str, Callable[[WriteContext], None]] = {
    "contacts": contact_rules.prepare,
    "companies": company_rules.prepare,
    "deals": deal_rules.prepare,
}


@dataclass(frozen=True)
class HistoryEntry:
    value: str | None
    timestamp: datetime
    source_type: str
    source_id: str | None
    user_id: int | None


@dataclass
class RecordView:
    """A record as the API shows it: every value already a string (or None)."""

    id: int
    properties: dict[str, str | None]
    created_at: datetime
    updated_at: datetime
    archived: bool
    archived_at: datetime | None
    history: dict[str, list[HistoryEntry]] | None = None
    associations: dict[str, list[LinkedRecord]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- reading ----------------------------------------------------------------------------


def _value_of(prop: PropertyDef, row: RowMapping) -> Any:
    if prop.column is not None:
        return row[prop.column]
    return (row["custom"] or {}).get(prop.name)


def _current_values(catalog: Catalog, row: RowMapping) -> dict[str, Any]:
    return {name: _value_of(p, row) for name, p in catalog.by_name.items()}


def _render(
    catalog: Catalog, rows: Sequence[RowMapping], names: Sequence[str] | None
) -> list[RecordView]:
    wanted = list(names) if names else list(catalog.object_type.default_properties)
    props = [p for n in wanted if (p := catalog.get(n)) is not None]
    views = []
    for row in rows:
        views.append(
            RecordView(
                id=int(row["id"]),
                properties={p.name: format_value(_value_of(p, row), p.type) for p in props},
                created_at=row["created_at"],
                updated_at=row["updated_at"],
                archived=bool(row["archived"]),
                archived_at=row["archived_at"],
            )
        )
    return views


def _attach_history(
    session: Session,
    ot: ObjectType,
    catalog: Catalog,
    views: list[RecordView],
    names: Sequence[str],
) -> None:
    known = [n for n in names if catalog.get(n) is not None]
    by_record: dict[int, dict[str, list[HistoryEntry]]] = {
        v.id: {n: [] for n in known} for v in views
    }
    for h in property_repo.history_for(session, ot.name, [v.id for v in views], known):
        by_record[h.record_id][h.name].append(
            HistoryEntry(h.value, h.changed_at, h.source_type, h.source_id, h.updated_by_user_id)
        )
    for v in views:
        v.history = by_record[v.id]


def _attach_associations(
    session: Session, ot: ObjectType, views: list[RecordView], to_types: Sequence[ObjectType]
) -> None:
    ids = [v.id for v in views]
    for v in views:
        v.associations = {}
    for to in to_types:
        linked = associations.linked(session, ot.name, ids, to.name)
        for v in views:
            if linked.get(v.id):
                assert v.associations is not None
                v.associations[to.name] = linked[v.id]


def _views(
    session: Session,
    ot: ObjectType,
    catalog: Catalog,
    rows: Sequence[RowMapping],
    *,
    properties_: Sequence[str] | None,
    with_history: Sequence[str] | None,
    associations_: Sequence[ObjectType] | None,
) -> list[RecordView]:
    if properties_:
        rows = scores.attach(session, ot, rows, properties_)
    views = _render(catalog, rows, properties_)
    if with_history:
        _attach_history(session, ot, catalog, views, with_history)
    if associations_:
        _attach_associations(session, ot, views, associations_)
    return views


def render_rows(
    session: Session,
    ot: ObjectType,
    rows: Sequence[RowMapping],
    *,
    properties_: Sequence[str] | None = None,
) -> list[RecordView]:
    """Records fetched elsewhere (search) in API form, exactly as list and read show them."""
    catalog = properties.load_catalog(session, ot)
    return _views(
        session, ot, catalog, rows, properties_=properties_, with_history=None, associations_=None
    )


def _parse_id(record_id: str | int, ot: ObjectType) -> int:
    text = str(record_id).strip()
    ident = parse_id(text)
    if ident is None:
        raise NotFound(f"{ot.singular.title()} {record_id} does not exist", context={"id": [text]})
    return ident


def _find_row(
    session: Session,
    ot: ObjectType,
    catalog: Catalog,
    record_id: str,
    id_property: str | None,
    *,
    archived: bool | None,
) -> RowMapping | None:
    if id_property in (None, "", "hs_object_id"):
        ident = _parse_id(record_id, ot)
        row = repo.rows_by_id(session, ot, [ident], archived=None).get(ident)
        # A merged id answers as the record it was merged into, as in HubSpot. Merges repoint
        # older merged ids at the survivor, so this is one hop; the bound guards bad data.
        for _ in range(16):
            if row is None or row["merged_into_id"] is None:
                break
            survivor = int(row["merged_into_id"])
            row = repo.rows_by_id(session, ot, [survivor], archived=None).get(survivor)
        if row is None or (archived is not None and bool(row["archived"]) is not archived):
            return None
        return row
    prop = catalog.get(id_property)
    if prop is None or not prop.has_unique_value:
        raise ValidationError(
            f"idProperty '{id_property}' is not a unique-value property of {ot.name}",
            errors=[
                ErrorDetail(
                    "not a unique property", "INVALID_ID_PROPERTY", {"idProperty": [id_property]}
                )
            ],
        )
    value = record_id.strip()
    if "\x00" in value:
        return None  # no stored value holds NUL, and PostgreSQL refuses to compare with one
    if id_property == "email":
        value = contact_rules.normalise_email(value)
    elif id_property == "domain":
        value = company_rules.normalise_domain(value)
    if prop.column is not None:
        return repo.find_by_column(session, ot, prop.column, value, archived=archived)
    return repo.find_by_custom(session, ot, prop.name, value, archived=archived)


def get_record(
    session: Session,
    ot: ObjectType,
    record_id: str,
    *,
    id_property: str | None = None,
    archived: bool = False,
    properties_: Sequence[str] | None = None,
    with_history: Sequence[str] | None = None,
    associations_: Sequence[ObjectType] | None = None,
) -> RecordView | None:
    catalog = properties.load_catalog(session, ot)
    row = _find_row(session, ot, catalog, record_id, id_property, archived=archived)
    if row is None:
        return None
    return _views(
        session,
        ot,
        catalog,
        [row],
        properties_=properties_,
        with_history=with_history,
        associations_=associations_,
    )[0]


def access_record(session: Session, ot: ObjectType, record_id: str, **kwargs: Any) -> RecordView:
    view = get_record(session, ot, record_id, **kwargs)
    if view is None:
        raise NotFound(
            f"{ot.singular.title()} {record_id} does not exist", context={"id": [record_id]}
        )
    return view


def list_records(
    session: Session,
    ot: ObjectType,
    *,
    limit: int,
    after: str | None,
    archived: bool = False,
    properties_: Sequence[str] | None = None,
    with_history: Sequence[str] | None = None,
    associations_: Sequence[ObjectType] | None = None,
) -> Page[RecordView]:
    catalog = properties.load_catalog(session, ot)
    rows = repo.page(session, ot, after_id=parse_after(after), limit=limit + 1, archived=archived)
    page = paginate(rows, limit, lambda r: str(r["id"]))
    views = _views(
        session,
        ot,
        catalog,
        page.items,
        properties_=properties_,
        with_history=with_history,
        associations_=associations_,
    )
    return Page(items=views, next_after=page.next_after)


# --- writing ----------------------------------------------------------------------------


def _owner_id(ctx: WriteContext) -> int | None:
    owner = ctx.values.get("hubspot_owner_id")
    return None if owner is None else parse_id(str(owner).strip())


def _check_owner(ctx: WriteContext, active_owners: Collection[int]) -> None:
    owner = ctx.values.get("hubspot_owner_id")
    if owner is None:
        return
    text = str(owner).strip()
    owner_id = parse_id(text)
    if owner_id is None or owner_id not in active_owners:
        ctx.problem("hubspot_owner_id", "INVALID_OWNER_ID", f"{text} is not a valid owner id")
        return
    ctx.values["hubspot_owner_id"] = text


def _check_lengths(ctx: WriteContext) -> None:
    for name, value in ctx.values.items():
        if not isinstance(value, str):
            continue
        column = ctx.catalog.by_name[name].column
        if column is None:
            continue
        limit = repo.column_length(ctx.object_type, column)
        if limit is not None and len(value) > limit and not ctx.has_problem(name):
            ctx.problem(name, "VALUE_TOO_LONG", f"longer than {limit} characters")


def _parse_input(
    session: Session,
    ot: ObjectType,
    catalog: Catalog,
    raw: Any,
    current: dict[str, Any] | None,
    now: datetime | None = None,
) -> WriteContext:
    if not isinstance(raw, dict):
        raise ValidationError(
            "properties must be an object of name/value pairs",
            errors=[ErrorDetail("not an object", "INVALID_TYPE", {"properties": [""]})],
        )
    typed, problems = properties.parse_values(catalog, raw)
    return WriteContext(session, ot, catalog, typed, current, problems, now)


def _apply_rules(ctx: WriteContext, active_owners: Collection[int]) -> dict[str, TypedValue]:
    _check_owner(ctx, active_owners)
    if ctx.object_type.is_engagement:
        engagement_rules.prepare(ctx)
    rule = _TYPE_RULES.get(ctx.object_type.name)
    if rule is not None:
        rule(ctx)
    _check_lengths(ctx)
    properties.raise_property_errors(ctx.problems)
    return ctx.values


def prepare_many(
    session: Session,
    ot: ObjectType,
    catalog: Catalog,
    items: Sequence[tuple[Any, dict[str, Any] | None]],
    now: datetime | None = None,
) -> list[dict[str, TypedValue] | ValidationError]:
    """Validate many writes with the same rules as one: ``items`` are (raw properties,
    current values or None when creating). Each result is the values to store or the 400
    that item would get alone. Owner ids of the whole batch are checked in one query."""
    contexts: list[WriteContext | ValidationError] = []
    for raw, current in items:
        try:
            contexts.append(_parse_input(session, ot, catalog, raw, current, now))
        except ValidationError as exc:
            contexts.append(exc)
    wanted = {
        owner_id
        for ctx in contexts
        if isinstance(ctx, WriteContext) and (owner_id := _owner_id(ctx)) is not None
    }
    active = wanted - owners.missing_owner_ids(session, sorted(wanted)) if wanted else set()
    results: list[dict[str, TypedValue] | ValidationError] = []
    for ctx in contexts:
        if isinstance(ctx, ValidationError):
            results.append(ctx)
            continue
        try:
            results.append(_apply_rules(ctx, active))
        except ValidationError as exc:
            results.append(exc)
    return results


def _prepare(
    session: Session,
    ot: ObjectType,
    catalog: Catalog,
    raw: dict[str, Any],
    current: dict[str, Any] | None,
    now: datetime | None = None,
) -> dict[str, TypedValue]:
    result = prepare_many(session, ot, catalog, [(raw, current)], now=now)[0]
    if isinstance(result, ValidationError):
        raise result
    return result


def unique_conflicts(
    session: Session,
    ot: ObjectType,
    catalog: Catalog,
    items: Sequence[tuple[dict[str, TypedValue], int | None] | None],
) -> list[Conflict | None]:
    """For each write (values, id of the record written or None when creating; None for an
    item that is skipped), the 409 it meets: a unique value held by another live record, or
    one already claimed by an earlier item of the same batch. One query per unique property."""
    found: list[Conflict | None] = [None] * len(items)
    for prop in catalog.by_name.values():
        if not prop.has_unique_value:
            continue
        wanted: dict[str, list[tuple[int, int | None]]] = {}  # value -> (index, own id)
        typed: dict[str, TypedValue] = {}
        for i, item in enumerate(items):
            if item is None or found[i] is not None or item[0].get(prop.name) is None:
                continue
            key = str(format_value(item[0][prop.name], prop.type))
            typed.setdefault(key, item[0][prop.name])
            wanted.setdefault(key, []).append((i, item[1]))
        if not wanted:
            continue
        if prop.column is not None:
            held = repo.ids_by_column(session, ot, prop.column, list(typed.values()))
        else:
            held = repo.ids_by_custom(session, ot, prop.name, list(wanted))
        holders: dict[str, list[int]] = {}
        for record_id, value in held:
            holders.setdefault(str(format_value(value, prop.type)), []).append(record_id)
        for key, claims in wanted.items():
            claimed_by: int | None = None
            for i, own in claims:
                others = [r for r in holders.get(key, []) if r != own]
                if others:
                    found[i] = Conflict(
                        f"{ot.singular.title()} already exists. Existing ID: {min(others)}",
                        context={prop.name: [key], "existingId": [str(min(others))]},
                    )
                elif claimed_by is not None:
                    found[i] = Conflict(
                        f"{prop.name} {key} appears more than once in this batch "
                        f"(first at input {claimed_by})",
                        context={prop.name: [key], "inputIndex": [str(claimed_by)]},
                    )
                else:
                    claimed_by = i
    return found


def _check_unique(
    session: Session,
    ot: ObjectType,
    catalog: Catalog,
    values: dict[str, TypedValue],
    exclude_id: int | None,
) -> None:
    clash = unique_conflicts(session, ot, catalog, [(values, exclude_id)])[0]
    if clash is not None:
        raise clash


def _split(
    catalog: Catalog, values: dict[str, TypedValue], custom: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Typed column values, and the new custom document."""
    columns: dict[str, Any] = {}
    custom = dict(custom)
    for name, value in values.items():
        prop = catalog.by_name[name]
        if prop.column is None:
            formatted = format_value(value, prop.type)
            if formatted is None:
                custom.pop(name, None)
            else:
                custom[name] = formatted
        elif prop.column == "id" or prop.column == "updated_at":
            continue
        elif prop.column == "hubspot_owner_id":
            columns[prop.column] = int(value) if value is not None else None  # type: ignore[arg-type]
        elif prop.column == "created_at":
            if value is not None:
                columns["created_at"] = value
        else:
            columns[prop.column] = value
    return columns, custom


def changed_values(
    catalog: Catalog, values: dict[str, TypedValue], current: dict[str, Any]
) -> dict[str, TypedValue]:
    """The values that differ from what the record holds (as the API would show them)."""
    return {
        name: value
        for name, value in values.items()
        if format_value(value, catalog.by_name[name].type)
        != format_value(current.get(name), catalog.by_name[name].type)
    }


def history_values(
    ot: ObjectType,
    catalog: Catalog,
    record_id: int,
    changed: dict[str, TypedValue],
    at: datetime,
    source: WriteSource,
) -> list[dict[str, Any]]:
    """The history rows (as column values) for the changed values of one record. Hidden
    calculated values (the matching keys) have none: they only restate other properties."""
    return [
        {
            "object_type": ot.name,
            "record_id": record_id,
            "name": name,
            "value": format_value(value, catalog.by_name[name].type),
            "changed_at": at,
            "source_type": source.source_type,
            "source_id": source.source_id,
            "updated_by_user_id": source.user_id,
        }
        for name, value in changed.items()
        if catalog.by_name[name].column not in _RECORD_COLUMNS
        and not (catalog.by_name[name].calculated and catalog.by_name[name].hidden)
    ]


def _history_rows(
    ot: ObjectType,
    catalog: Catalog,
    record_id: int,
    changed: dict[str, TypedValue],
    at: datetime,
    source: WriteSource,
) -> list[PropertyHistory]:
    return [
        PropertyHistory(**row)
        for row in history_values(ot, catalog, record_id, changed, at, source)
    ]


def after_store(
    session: Session,
    ot: ObjectType,
    changes: Sequence[StoredChange],
    at: datetime,
    source: WriteSource,
) -> None:
    """Rules that react to stored writes (owner routing, lifecycle events and sync), once per
    write call with every record it stored, after its associations exist."""
    if ot.name == "deals":
        deals.record_transitions(session, changes, at, source)
    routing.route(session, ot, changes, at, source)
    lifecycle_sync.after_store(session, ot, changes, at, source)
    if ot.name in ("contacts", "companies"):
        _announce(session, ot, changes)


def _announce(session: Session, ot: ObjectType, changes: Sequence[StoredChange]) -> None:
    """Tell segments what changed: a new record can meet any condition ("*"), an updated one
    only those reading the properties that changed."""
    created = [c.record_id for c in changes if c.before is None]
    if created:
        signals.contacts_changed(session, object_type=ot.name, ids=created, properties=["*"])
    updated = [c for c in changes if c.before is not None and c.changed]
    if updated:
        signals.contacts_changed(
            session,
            object_type=ot.name,
            ids=[c.record_id for c in updated],
            properties={name for c in updated for name in c.changed},
        )


def _flush_or_conflict(session: Session, ot: ObjectType) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"{ot.singular.title()} conflicts with an existing record: {exc.orig}"
        ) from None


def parse_association_inputs(ot: ObjectType, raw: Any) -> list[AssociationSpec]:
    """The ``associations`` list of a create body, checked item by item."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationError(
            "associations must be a list",
            errors=[ErrorDetail("not a list", "INVALID_TYPE", {"associations": [""]})],
        )
    specs: list[AssociationSpec] = []
    for i, item in enumerate(raw):
        try:
            to_id = parse_id(str(item["to"]["id"]))
            if to_id is None:
                raise ValueError
            types = item["types"]
            if not isinstance(types, list) or not types:
                raise TypeError
            for t in types:
                specs.append(
                    associations.resolve_spec(
                        ot.name,
                        to_id,
                        int(t["associationTypeId"]),
                        str(t.get("associationCategory", "HUBSPOT_DEFINED")),
                    )
                )
        except (KeyError, TypeError, ValueError, OverflowError):
            raise ValidationError(
                f'associations[{i}] must look like {{"to": {{"id": "123"}}, "types": '
                '[{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]}',
                errors=[
                    ErrorDetail(
                        "malformed association", "INVALID_ASSOCIATION", {"associations": [str(i)]}
                    )
                ],
            ) from None
    return specs


def _apply_associations(
    session: Session,
    ot: ObjectType,
    record_id: int,
    specs: list[AssociationSpec],
    lookup: Callable[[str], ObjectType],
) -> None:
    for spec in specs:
        target = lookup(spec.to_type)
        if not repo.live_ids(session, target, [spec.to_id]):
            raise ValidationError(
                f"Cannot associate with {target.singular} {spec.to_id}: it does not exist",
                errors=[
                    ErrorDetail(
                        "association target not found",
                        "ASSOCIATION_TARGET_MISSING",
                        {"toObjectId": [str(spec.to_id)]},
                    )
                ],
            )
        associations.associate(session, ot.name, record_id, spec)


def create_record(
    session: Session,
    ot: ObjectType,
    raw: dict[str, Any],
    *,
    association_specs: Sequence[AssociationSpec] = (),
    lookup_type: Callable[[str], ObjectType] | None = None,
    source: WriteSource = API_SOURCE,
    now: datetime | None = None,
) -> RecordView:
    catalog = properties.load_catalog(session, ot)
    at = now or utcnow()
    values = _prepare(session, ot, catalog, raw, None, now=at)
    _check_unique(session, ot, catalog, values, None)
    columns, custom = _split(catalog, values, {})
    columns.setdefault("created_at", at)
    record_id = repo.insert_row(
        session, ot, {**columns, "custom": custom, "updated_at": at, "archived": False}
    )
    _flush_or_conflict(session, ot)
    property_repo.add_history(
        session,
        _history_rows(
            ot, catalog, record_id, {k: v for k, v in values.items() if v is not None}, at, source
        ),
    )
    if association_specs:
        if lookup_type is None:
            raise RuntimeError("lookup_type is required when associations are given")
        _apply_associations(session, ot, record_id, list(association_specs), lookup_type)
    after_store(session, ot, [StoredChange(record_id, None, values)], at, source)
    row = repo.rows_by_id(session, ot, [record_id], archived=None)[record_id]
    return _render(catalog, [row], [*ot.default_properties, *values.keys()])[0]


def update_record(
    session: Session,
    ot: ObjectType,
    record_id: str,
    raw: dict[str, Any],
    *,
    id_property: str | None = None,
    source: WriteSource = API_SOURCE,
    now: datetime | None = None,
) -> RecordView:
    catalog = properties.load_catalog(session, ot)
    row = _find_row(session, ot, catalog, record_id, id_property, archived=False)
    if row is None:
        raise NotFound(
            f"{ot.singular.title()} {record_id} does not exist", context={"id": [record_id]}
        )
    current = _current_values(catalog, row)
    at = now or utcnow()
    values = _prepare(session, ot, catalog, raw, current, now=at)
    ident = int(row["id"])
    _check_unique(session, ot, catalog, values, ident)
    changed = changed_values(catalog, values, current)
    columns, custom = _split(catalog, changed, row["custom"] or {})
    repo.update_row(session, ot, ident, {**columns, "custom": custom, "updated_at": at})
    _flush_or_conflict(session, ot)
    property_repo.add_history(session, _history_rows(ot, catalog, ident, changed, at, source))
    after_store(session, ot, [StoredChange(ident, current, changed)], at, source)
    fresh = repo.rows_by_id(session, ot, [ident], archived=None)[ident]
    return _render(catalog, [fresh], [*ot.default_properties, *values.keys()])[0]


def archive_record(session: Session, ot: ObjectType, record_id: str) -> None:
    """Move a record to the recycle bin. Archiving an archived record is a no-op."""
    ident = _parse_id(record_id, ot)
    row = repo.rows_by_id(session, ot, [ident], archived=None).get(ident)
    if row is None:
        raise NotFound(
            f"{ot.singular.title()} {record_id} does not exist", context={"id": [record_id]}
        )
    if not row["archived"]:
        at = utcnow()
        repo.update_row(session, ot, ident, {"archived": True, "archived_at": at})
        associations.archive_edges_of(session, ot.name, ident)
        if ot.name == "contacts":
            signals.contacts_changed(session, ids=[ident], properties=["*"])


def restore_record(session: Session, ot: ObjectType, record_id: str) -> RecordView:
    """Bring an archived record back; refused when its unique value is now taken."""
    ident = _parse_id(record_id, ot)
    catalog = properties.load_catalog(session, ot)
    row = repo.rows_by_id(session, ot, [ident], archived=True).get(ident)
    if row is None or row["merged_into_id"] is not None:
        # A merged record lives on in the record it was merged into; it cannot come back.
        raise NotFound(
            f"Archived {ot.singular} {record_id} does not exist", context={"id": [record_id]}
        )
    current = _current_values(catalog, row)
    unique = {
        n: v
        for n, v in current.items()
        if (p := catalog.get(n)) is not None and p.has_unique_value and v is not None
    }
    _check_unique(session, ot, catalog, unique, ident)
    if ot.name == "deals":
        # Its stage may have been archived meanwhile (archived deals do not hold a stage).
        _prepare(
            session,
            ot,
            catalog,
            {"pipeline": current["pipeline"], "dealstage": current["dealstage"]},
            current,
        )
    repo.update_row(
        session, ot, ident, {"archived": False, "archived_at": None, "updated_at": utcnow()}
    )
    _flush_or_conflict(session, ot)
    associations.restore_edges_of(session, ot.name, ident)
    if ot.name == "contacts":
        signals.contacts_changed(session, ids=[ident], properties=["*"])
    fresh = repo.rows_by_id(session, ot, [ident], archived=None)[ident]
    return _render(catalog, [fresh], None)[0]
