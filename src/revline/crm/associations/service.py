"""Rules for linking records: known type ids and labels, both directions, one primary per
record, archived edges, moving edges on merge."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from revline.crm import signals
from revline.crm.associations import repository as repo
from revline.crm.associations import types as assoc_types
from revline.crm.lifecycle import sync as lifecycle_sync
from revline.crm.object_types import ObjectType, get_object_type
from revline.crm.records.context import WriteSource
from revline.errors import Conflict, ErrorDetail, NotFound, RevlineError, ValidationError
from revline.kit.pagination import parse_after, parse_id
from revline.kit.time import utcnow
from revline.models import Association, AssociationLabel

CATEGORIES = (assoc_types.HUBSPOT_DEFINED, assoc_types.USER_DEFINED)
FIRST_LABEL_TYPE_ID = 1000  # well above every HubSpot-defined id Revline knows
MAX_PAGE = 500


@dataclass(frozen=True)
class AssociationSpec:
    """One requested link from a record being written to another record."""

    to_type: str
    to_id: int
    type_id: int
    category: str = assoc_types.HUBSPOT_DEFINED


@dataclass(frozen=True)
class LinkedRecord:
    to_id: int
    type_name: str
    type_id: int
    category: str
    label: str | None


@dataclass(frozen=True)
class TypeInfo:
    """One association type in one direction, HubSpot-defined or a user's label."""

    from_type: str
    to_type: str
    type_id: int
    inverse_id: int
    category: str
    name: str
    label: str | None
    primary: bool = False
    owns_primary: bool = False


@dataclass(frozen=True)
class TypeRef:
    category: str
    type_id: int
    label: str | None


@dataclass(frozen=True)
class Target:
    """One associated record and every type linking to it."""

    to_id: int
    types: list[TypeRef]


@dataclass(frozen=True)
class DirectedLink:
    from_id: int
    to_id: int
    category: str
    type_id: int


@dataclass(frozen=True)
class PairLabels:
    from_type: ObjectType
    from_id: int
    to_type: ObjectType
    to_id: int
    labels: list[str]


@dataclass(frozen=True)
class BatchRead:
    from_id: int
    targets: list[Target]
    next_after: str | None


# --- types and labels -------------------------------------------------------------------


def _builtin(t: assoc_types.AssociationType) -> TypeInfo:
    return TypeInfo(
        t.from_type,
        t.to_type,
        t.type_id,
        t.inverse_id,
        t.category,
        t.name,
        t.label,
        t.primary,
        t.owns_primary,
    )


def _from_label(row: AssociationLabel) -> TypeInfo:
    return TypeInfo(
        row.from_type,
        row.to_type,
        row.type_id,
        row.inverse_type_id,
        row.category,
        row.name,
        row.label,
    )


def _type_info(
    session: Session, from_type: str, to_type: str, category: str, type_id: int
) -> TypeInfo | None:
    if category == assoc_types.HUBSPOT_DEFINED:
        found = assoc_types.find(from_type, to_type, type_id)
        return _builtin(found) if found else None
    if category == assoc_types.USER_DEFINED:
        row = repo.labels_by_id(session, [type_id]).get(type_id)
        if row is None or row.from_type != from_type or row.to_type != to_type:
            return None
        return _from_label(row)
    return None


def _infos_for(
    session: Session, from_type: str, to_type: str, type_ids: Sequence[int]
) -> dict[int, TypeInfo]:
    """Type details for the ids found on stored edges between two object types."""
    out: dict[int, TypeInfo] = {}
    missing: list[int] = []
    for type_id in set(type_ids):
        found = assoc_types.find(from_type, to_type, type_id)
        if found is not None:
            out[type_id] = _builtin(found)
        else:
            missing.append(type_id)
    for type_id, row in repo.labels_by_id(session, missing).items():
        out[type_id] = _from_label(row)
    return out


def _bad_type(from_type: str, to_type: str, category: str, type_id: object) -> ValidationError:
    return ValidationError(
        f"{category} association type {type_id} does not exist from {from_type} to {to_type}",
        errors=[
            ErrorDetail(
                "unknown association type",
                "INVALID_ASSOCIATION_TYPE",
                {"associationTypeId": [str(type_id)], "associationCategory": [category]},
            )
        ],
    )


def _require_type(
    session: Session, from_type: str, to_type: str, category: str, type_id: int
) -> TypeInfo:
    if category not in CATEGORIES:
        raise ValidationError(
            f"associationCategory must be one of {', '.join(CATEGORIES)}, not '{category}'",
            errors=[
                ErrorDetail(
                    "unsupported category",
                    "INVALID_ASSOCIATION_CATEGORY",
                    {"associationCategory": [category]},
                )
            ],
        )
    info = _type_info(session, from_type, to_type, category, type_id)
    if info is None:
        raise _bad_type(from_type, to_type, category, type_id)
    return info


def _require_pair(from_ot: ObjectType, to_ot: ObjectType) -> assoc_types.AssociationType:
    default = assoc_types.default_for(from_ot.name, to_ot.name)
    if default is None:
        raise ValidationError(
            f"{from_ot.name} cannot be associated with {to_ot.name}",
            errors=[
                ErrorDetail(
                    "unsupported object type pair",
                    "INVALID_OBJECT_TYPE_PAIR",
                    {"fromObjectType": [from_ot.name], "toObjectType": [to_ot.name]},
                )
            ],
        )
    return default


def resolve_spec(from_type: str, to_id: int, type_id: int, category: str) -> AssociationSpec:
    """Work out the target object type from a HubSpot-defined type id, or fail with 400."""
    if category != assoc_types.HUBSPOT_DEFINED:
        raise ValidationError(
            f"associationCategory '{category}' is not supported on record create; use "
            "HUBSPOT_DEFINED here and add labels with PUT /crm/v4/objects/...",
            errors=[
                ErrorDetail(
                    "unsupported category",
                    "INVALID_ASSOCIATION_CATEGORY",
                    {"associationCategory": [category]},
                )
            ],
        )
    found = assoc_types.targets_of(type_id, from_type)
    if not found:
        raise _bad_type(from_type, "any object type", category, type_id)
    return AssociationSpec(found[0].to_type, to_id, type_id, category)


def list_labels(session: Session, from_ot: ObjectType, to_ot: ObjectType) -> list[TypeInfo]:
    """HubSpot-defined types of the pair, then the user's labels."""
    _require_pair(from_ot, to_ot)
    out = [_builtin(t) for t in assoc_types.between(from_ot.name, to_ot.name)]
    out.extend(_from_label(r) for r in repo.labels_for_pair(session, from_ot.name, to_ot.name))
    return out


def _clean_text(field: str, value: object, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 255:
        raise ValidationError(
            f"{field} must be a non-empty string of at most 255 characters",
            errors=[ErrorDetail("invalid value", "INVALID_INPUT", {field: [str(value)[:255]]})],
        )
    return value.strip()


def create_label(
    session: Session,
    from_ot: ObjectType,
    to_ot: ObjectType,
    *,
    label: object,
    name: object,
    inverse_label: object = None,
) -> list[TypeInfo]:
    """A new label; each direction gets its own type id (the inverse one second)."""
    _require_pair(from_ot, to_ot)
    text = _clean_text("label", label, required=True)
    internal = _clean_text("name", name, required=True)
    inverse = _clean_text("inverseLabel", inverse_label, required=False) or text
    assert text is not None and internal is not None
    for a, b in ((from_ot.name, to_ot.name), (to_ot.name, from_ot.name)):
        clash = repo.label_named(session, a, b, internal)
        if clash is not None:
            raise Conflict(
                f"An association label named '{internal}' already exists between {a} and {b} "
                f"(typeId {clash.type_id})",
                context={"name": [internal], "typeId": [str(clash.type_id)]},
            )
    first = max(FIRST_LABEL_TYPE_ID, (repo.max_label_type_id(session) or 0) + 1)
    now = utcnow()
    forward = AssociationLabel(
        type_id=first,
        from_type=from_ot.name,
        to_type=to_ot.name,
        label=text,
        name=internal,
        inverse_type_id=first + 1,
        category=assoc_types.USER_DEFINED,
        created_at=now,
    )
    backward = AssociationLabel(
        type_id=first + 1,
        from_type=to_ot.name,
        to_type=from_ot.name,
        label=inverse,
        name=internal,
        inverse_type_id=first,
        category=assoc_types.USER_DEFINED,
        created_at=now,
    )
    try:
        repo.add_labels(session, [forward, backward])
    except IntegrityError:
        raise Conflict("Another label was created at the same moment; try again") from None
    return [_from_label(forward), _from_label(backward)]


def _own_label(
    session: Session, from_ot: ObjectType, to_ot: ObjectType, type_id: object
) -> AssociationLabel:
    ident = parse_id(str(type_id)) if type_id is not None else None
    if ident is not None and assoc_types.is_builtin_id(ident) and ident < FIRST_LABEL_TYPE_ID:
        raise ValidationError(
            f"Association type {ident} is HUBSPOT_DEFINED and cannot be changed",
            errors=[
                ErrorDetail("read-only type", "READ_ONLY_TYPE", {"associationTypeId": [str(ident)]})
            ],
        )
    row = repo.labels_by_id(session, [ident]).get(ident) if ident is not None else None
    if row is None or row.from_type != from_ot.name or row.to_type != to_ot.name:
        raise NotFound(
            f"No association label {type_id} from {from_ot.name} to {to_ot.name}",
            context={"associationTypeId": [str(type_id)]},
        )
    return row


def update_label(
    session: Session,
    from_ot: ObjectType,
    to_ot: ObjectType,
    *,
    type_id: object,
    label: object,
    inverse_label: object = None,
) -> None:
    row = _own_label(session, from_ot, to_ot, type_id)
    text = _clean_text("label", label, required=True)
    inverse = _clean_text("inverseLabel", inverse_label, required=False)
    assert text is not None
    row.label = text
    if inverse is not None:
        partner = repo.labels_by_id(session, [row.inverse_type_id]).get(row.inverse_type_id)
        if partner is not None:
            partner.label = inverse
    session.flush()


def delete_label(session: Session, from_ot: ObjectType, to_ot: ObjectType, type_id: str) -> None:
    """Delete a label (both directions); refused while live links still use it."""
    row = _own_label(session, from_ot, to_ot, type_id)
    ids = [row.type_id, row.inverse_type_id]
    in_use = repo.count_live_edges_of_type(session, ids)
    if in_use:
        raise Conflict(
            f"Association label {row.type_id} is still used by {in_use} links; remove them first",
            context={"associationTypeId": [str(row.type_id)]},
        )
    # Links of archived records go with it: restoring them later could not name the label.
    repo.remove_edges_of_types(session, ids)
    repo.delete_labels(session, ids)


# --- linking ----------------------------------------------------------------------------


def _contacts_relinked(session: Session, pairs: Sequence[tuple[str, int, str, int]]) -> None:
    """Contact-company links changed: segments reading company properties look again at
    those contacts (their primary company may be another one now)."""
    contacts = {
        a_id if a_type == "contacts" else b_id
        for a_type, a_id, b_type, b_id in pairs
        if {a_type, b_type} == {"contacts", "companies"}
    }
    if contacts:
        signals.contacts_changed(session, ids=contacts, associations=True)


def _edges_relinked(session: Session, record_type: str, record_id: int) -> None:
    """A contact's or company's links all change at once (archive, restore, merge)."""
    if record_type not in ("contacts", "companies"):
        return
    other = "companies" if record_type == "contacts" else "contacts"
    _contacts_relinked(
        session,
        [
            (record_type, record_id, e.to_type, e.to_id)
            for e in repo.all_edges_of(session, record_type, record_id)
            if e.to_type == other
        ],
    )


def _inverse(session: Session, info: TypeInfo) -> TypeInfo:
    found = _type_info(session, info.to_type, info.from_type, info.category, info.inverse_id)
    if found is None:  # a label row without its partner: treat the link as symmetric
        return TypeInfo(
            info.to_type,
            info.from_type,
            info.inverse_id,
            info.type_id,
            info.category,
            info.name,
            info.label,
        )
    return found


def _demote_other_primaries(
    session: Session, owner_type: str, owner_id: int, owner_info: TypeInfo, keep_id: int
) -> None:
    """Only one primary per record: drop the primary rows to every other target."""
    for old in repo.existing_edges(session, owner_type, owner_id, owner_info.to_type):
        if old.type_id == owner_info.type_id and old.to_id != keep_id:
            repo.remove_edge(
                session, owner_info.to_type, old.to_id, owner_type, owner_id, owner_info.inverse_id
            )
            repo.remove_edge(
                session, owner_type, owner_id, owner_info.to_type, old.to_id, owner_info.type_id
            )


def _link(
    session: Session, from_type: str, from_id: int, to_type: str, to_id: int, info: TypeInfo
) -> None:
    """Write one typed link in both directions; every labelled link implies the unlabelled
    one, as in HubSpot."""
    wanted = [info]
    default = assoc_types.default_for(from_type, to_type)
    if default is not None and default.type_id != info.type_id:
        wanted.append(_builtin(default))
    if info.primary:
        if info.owns_primary:
            _demote_other_primaries(session, from_type, from_id, info, to_id)
        else:
            _demote_other_primaries(session, to_type, to_id, _inverse(session, info), from_id)
    have = {
        (e.category, e.type_id): e
        for e in repo.existing_edges(session, from_type, from_id, to_type, include_archived=True)
        if e.to_id == to_id
    }
    now = utcnow()
    new: list[Association] = []
    for t in wanted:
        current = have.get((t.category, t.type_id))
        if current is not None:
            if current.archived:
                repo.unarchive_edge(session, from_type, from_id, to_type, to_id, t.type_id)
                repo.unarchive_edge(session, to_type, to_id, from_type, from_id, t.inverse_id)
            continue
        for a_type, a_id, b_type, b_id, type_id in (
            (from_type, from_id, to_type, to_id, t.type_id),
            (to_type, to_id, from_type, from_id, t.inverse_id),
        ):
            new.append(
                Association(
                    from_type=a_type,
                    from_id=a_id,
                    to_type=b_type,
                    to_id=b_id,
                    category=t.category,
                    type_id=type_id,
                    created_at=now,
                    archived=False,
                )
            )
    repo.add_edges(session, new)
    _contacts_relinked(session, [(from_type, from_id, to_type, to_id)])


def link_new_records(
    session: Session, from_type: str, links: Sequence[tuple[int, AssociationSpec]]
) -> None:
    """Link records created in this unit of work, set-based (batch create).

    A new record has no links yet, so there is nothing to look up or demote on its side: the
    wanted rows are written in one statement. A primary owned by the *target* (a company
    created as primary for an existing contact) still needs demotion there and takes the
    one-by-one path. Targets must already be known to be live.
    """
    rows: dict[tuple[str, int, str, int, str, int], None] = {}
    now = utcnow()
    primary_of: dict[tuple[int, str], int] = {}
    resolved: list[tuple[int, AssociationSpec, TypeInfo]] = []
    for from_id, spec in links:
        info = _require_type(session, from_type, spec.to_type, spec.category, spec.type_id)
        if info.primary and not info.owns_primary:
            _link(session, from_type, from_id, spec.to_type, spec.to_id, info)
            continue
        if info.primary:
            primary_of[(from_id, spec.to_type)] = spec.to_id  # the last primary given wins
        resolved.append((from_id, spec, info))
    for from_id, spec, info in resolved:
        wanted = [info]
        default = assoc_types.default_for(from_type, spec.to_type)
        if default is not None and default.type_id != info.type_id:
            wanted.append(_builtin(default))
        if info.primary and primary_of[(from_id, spec.to_type)] != spec.to_id:
            wanted = wanted[1:]  # an earlier primary overridden by a later one stays unlabelled
        for t in wanted:
            rows[(from_type, from_id, spec.to_type, spec.to_id, t.category, t.type_id)] = None
            rows[(spec.to_type, spec.to_id, from_type, from_id, t.category, t.inverse_id)] = None
    repo.insert_edges(
        session,
        [
            {
                "from_type": a,
                "from_id": a_id,
                "to_type": b,
                "to_id": b_id,
                "category": category,
                "type_id": type_id,
                "created_at": now,
                "archived": False,
            }
            for a, a_id, b, b_id, category, type_id in rows
        ],
    )
    _contacts_relinked(session, [(a, a_id, b, b_id) for a, a_id, b, b_id, _, _ in rows])


def live_targets(
    session: Session, ot_by_name: dict[str, ObjectType], specs: Sequence[AssociationSpec]
) -> set[tuple[str, int]]:
    """Which (type, id) targets of ``specs`` are live records: one query per target type."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for spec in specs:
        wanted[spec.to_type].add(spec.to_id)
    live: set[tuple[str, int]] = set()
    for to_type, ids in wanted.items():
        found = repo.live_record_ids(session, ot_by_name[to_type], sorted(ids))
        live.update((to_type, i) for i in found)
    return live


def associate(session: Session, from_type: str, from_id: int, spec: AssociationSpec) -> None:
    """Create the link and its inverse (used by record create with ``associations``)."""
    info = _require_type(session, from_type, spec.to_type, spec.category, spec.type_id)
    _link(session, from_type, from_id, spec.to_type, spec.to_id, info)


def linked(
    session: Session, from_type: str, from_ids: Sequence[int], to_type: str
) -> dict[int, list[LinkedRecord]]:
    """Live links of some records to one object type, labels named (for ``associations=``)."""
    edges = repo.edges_from(session, from_type, from_ids, to_type)
    infos = _infos_for(session, from_type, to_type, [e.type_id for e in edges])
    out: dict[int, list[LinkedRecord]] = defaultdict(list)
    for edge in edges:
        info = infos.get(edge.type_id)
        out[edge.from_id].append(
            LinkedRecord(
                to_id=edge.to_id,
                type_name=info.name if info else str(edge.type_id),
                type_id=edge.type_id,
                category=edge.category,
                label=info.label if info else None,
            )
        )
    return out


def _record_id(ot: ObjectType, text: object) -> int:
    ident = parse_id(str(text)) if text is not None else None
    if ident is None:
        raise NotFound(f"{ot.singular.title()} {text} does not exist", context={"id": [str(text)]})
    return ident


def _require_live(session: Session, ot: ObjectType, record_id: object) -> int:
    ident = _record_id(ot, record_id)
    if not repo.live_record_ids(session, ot, [ident]):
        raise NotFound(
            f"{ot.singular.title()} {record_id} does not exist", context={"id": [str(record_id)]}
        )
    return ident


def _pair_labels(
    session: Session, from_ot: ObjectType, from_id: int, to_ot: ObjectType, to_id: int
) -> PairLabels:
    edges = repo.edges_between(session, from_ot.name, from_id, to_ot.name, to_id)
    infos = _infos_for(session, from_ot.name, to_ot.name, [e.type_id for e in edges])
    labels = [
        info.label for e in edges if (info := infos.get(e.type_id)) is not None and info.label
    ]
    return PairLabels(from_ot, from_id, to_ot, to_id, labels)


def _default_links(
    session: Session, from_ot: ObjectType, from_id: int, to_ot: ObjectType, to_id: int
) -> list[DirectedLink]:
    default = _builtin(_require_pair(from_ot, to_ot))
    _link(session, from_ot.name, from_id, to_ot.name, to_id, default)
    return [
        DirectedLink(from_id, to_id, default.category, default.type_id),
        DirectedLink(to_id, from_id, default.category, default.inverse_id),
    ]


def _linked(session: Session, pairs: Sequence[tuple[str, int, str, int]]) -> None:
    """New links made through the associations API: contacts and companies sync their
    lifecycle stages (forward only, when the workspace's rules say so)."""
    if pairs:
        lifecycle_sync.after_linking(session, pairs, utcnow(), WriteSource())


def create_default(
    session: Session, from_ot: ObjectType, from_id: str, to_ot: ObjectType, to_id: str
) -> list[DirectedLink]:
    """The unlabelled link between two records; answers both directions."""
    _require_pair(from_ot, to_ot)
    a = _require_live(session, from_ot, from_id)
    b = _require_live(session, to_ot, to_id)
    links = _default_links(session, from_ot, a, to_ot, b)
    _linked(session, [(from_ot.name, a, to_ot.name, b)])
    return links


def _require_types(
    session: Session, from_ot: ObjectType, to_ot: ObjectType, specs: Sequence[tuple[str, int]]
) -> list[TypeInfo]:
    if not specs:
        raise ValidationError(
            "At least one association type is required",
            errors=[ErrorDetail("empty list", "INVALID_INPUT", {"types": [""]})],
        )
    return [_require_type(session, from_ot.name, to_ot.name, c, t) for c, t in specs]


def create_labelled(
    session: Session,
    from_ot: ObjectType,
    from_id: str,
    to_ot: ObjectType,
    to_id: str,
    specs: Sequence[tuple[str, int]],
) -> PairLabels:
    """Links of the given types (HubSpot-defined or labels) between two records."""
    _require_pair(from_ot, to_ot)
    infos = _require_types(session, from_ot, to_ot, specs)
    a = _require_live(session, from_ot, from_id)
    b = _require_live(session, to_ot, to_id)
    for info in infos:
        _link(session, from_ot.name, a, to_ot.name, b, info)
    _linked(session, [(from_ot.name, a, to_ot.name, b)])
    return _pair_labels(session, from_ot, a, to_ot, b)


def _unlink_all(session: Session, a_type: str, a_id: int, b_type: str, b_id: int) -> None:
    repo.remove_between(session, a_type, a_id, b_type, b_id)
    repo.remove_between(session, b_type, b_id, a_type, a_id)
    _contacts_relinked(session, [(a_type, a_id, b_type, b_id)])


def remove_all(
    session: Session, from_ot: ObjectType, from_id: str, to_ot: ObjectType, to_id: str
) -> None:
    """Remove every link between two records, in both directions."""
    a = _require_live(session, from_ot, from_id)
    b = _record_id(to_ot, to_id)
    _unlink_all(session, from_ot.name, a, to_ot.name, b)


def _remove_types(
    session: Session, from_type: str, from_id: int, to_type: str, to_id: int, infos: list[TypeInfo]
) -> None:
    default = assoc_types.default_for(from_type, to_type)
    if default is not None and any(i.type_id == default.type_id for i in infos):
        # Without the unlabelled link no labelled one may stay.
        _unlink_all(session, from_type, from_id, to_type, to_id)
        return
    for info in infos:
        repo.remove_edge(session, from_type, from_id, to_type, to_id, info.type_id)
        repo.remove_edge(session, to_type, to_id, from_type, from_id, info.inverse_id)
    _contacts_relinked(session, [(from_type, from_id, to_type, to_id)])


def _targets(
    session: Session, from_type: str, from_id: int, to_type: str, to_ids: Sequence[int]
) -> list[Target]:
    edges = repo.edges_to_targets(session, from_type, from_id, to_type, to_ids)
    infos = _infos_for(session, from_type, to_type, [e.type_id for e in edges])
    by_target: dict[int, list[TypeRef]] = defaultdict(list)
    for e in edges:
        info = infos.get(e.type_id)
        by_target[e.to_id].append(TypeRef(e.category, e.type_id, info.label if info else None))
    return [Target(i, by_target[i]) for i in to_ids if by_target.get(i)]


def _page_targets(
    session: Session, from_type: str, from_id: int, to_type: str, after: str | None, limit: int
) -> tuple[list[Target], str | None]:
    ids = repo.target_ids_page(
        session, from_type, from_id, to_type, after_id=parse_after(after), limit=limit + 1
    )
    more = len(ids) > limit
    ids = ids[:limit]
    return _targets(session, from_type, from_id, to_type, ids), (
        str(ids[-1]) if more and ids else None
    )


def list_targets(
    session: Session,
    from_ot: ObjectType,
    from_id: str,
    to_ot: ObjectType,
    *,
    after: str | None,
    limit: int,
) -> tuple[list[Target], str | None]:
    """One page of the records linked to a record, each with all its link types."""
    ident = _require_live(session, from_ot, from_id)
    return _page_targets(session, from_ot.name, ident, to_ot.name, after, limit)


# --- batches: each item succeeds or fails on its own ------------------------------------


def _batch_item_error(exc: RevlineError, index: int) -> RevlineError:
    exc.context = {**exc.context, "index": [str(index)]}
    return exc


def batch_read(
    session: Session,
    from_ot: ObjectType,
    to_ot: ObjectType,
    inputs: Sequence[tuple[object, str | None]],
) -> tuple[list[BatchRead], list[RevlineError]]:
    results: list[BatchRead] = []
    errors: list[RevlineError] = []
    for i, (raw_id, after) in enumerate(inputs):
        try:
            ident = _require_live(session, from_ot, raw_id)
            targets, next_after = _page_targets(
                session, from_ot.name, ident, to_ot.name, after, MAX_PAGE
            )
            if not targets and not after:
                raise NotFound(
                    f"No {to_ot.name} are associated with {from_ot.singular} {ident}",
                    context={"fromObjectId": [str(ident)]},
                    sub_category="crm.associations.NO_ASSOCIATIONS_FOUND",
                )
            results.append(BatchRead(ident, targets, next_after))
        except RevlineError as exc:
            errors.append(_batch_item_error(exc, i))
    return results, errors


def batch_create_default(
    session: Session,
    from_ot: ObjectType,
    to_ot: ObjectType,
    pairs: Sequence[tuple[object, object]],
) -> tuple[list[DirectedLink], list[RevlineError]]:
    _require_pair(from_ot, to_ot)
    results: list[DirectedLink] = []
    errors: list[RevlineError] = []
    made: list[tuple[str, int, str, int]] = []
    for i, (a_raw, b_raw) in enumerate(pairs):
        try:
            a = _require_live(session, from_ot, a_raw)
            b = _require_live(session, to_ot, b_raw)
            results.extend(_default_links(session, from_ot, a, to_ot, b))
            made.append((from_ot.name, a, to_ot.name, b))
        except RevlineError as exc:
            errors.append(_batch_item_error(exc, i))
    _linked(session, made)
    return results, errors


def batch_create(
    session: Session,
    from_ot: ObjectType,
    to_ot: ObjectType,
    items: Sequence[tuple[object, object, Sequence[tuple[str, int]]]],
) -> tuple[list[PairLabels], list[RevlineError]]:
    _require_pair(from_ot, to_ot)
    results: list[PairLabels] = []
    errors: list[RevlineError] = []
    made: list[tuple[str, int, str, int]] = []
    for i, (a_raw, b_raw, specs) in enumerate(items):
        try:
            infos = _require_types(session, from_ot, to_ot, specs)
            a = _require_live(session, from_ot, a_raw)
            b = _require_live(session, to_ot, b_raw)
            for info in infos:
                _link(session, from_ot.name, a, to_ot.name, b, info)
            results.append(_pair_labels(session, from_ot, a, to_ot, b))
            made.append((from_ot.name, a, to_ot.name, b))
        except RevlineError as exc:
            errors.append(_batch_item_error(exc, i))
    _linked(session, made)
    return results, errors


def batch_archive(
    session: Session,
    from_ot: ObjectType,
    to_ot: ObjectType,
    items: Sequence[tuple[object, Sequence[object]]],
) -> None:
    """Remove all links between each record and the listed targets (ids are checked first)."""
    _require_pair(from_ot, to_ot)
    checked = [
        (_record_id(from_ot, a), [_record_id(to_ot, b) for b in targets]) for a, targets in items
    ]
    for a, targets in checked:
        for b in targets:
            _unlink_all(session, from_ot.name, a, to_ot.name, b)


def batch_archive_labels(
    session: Session,
    from_ot: ObjectType,
    to_ot: ObjectType,
    items: Sequence[tuple[object, object, Sequence[tuple[str, int]]]],
) -> None:
    """Remove only the given link types between each pair (all input is checked first)."""
    _require_pair(from_ot, to_ot)
    checked = [
        (
            _record_id(from_ot, a),
            _record_id(to_ot, b),
            _require_types(session, from_ot, to_ot, specs),
        )
        for a, b, specs in items
    ]
    for a, b, infos in checked:
        _remove_types(session, from_ot.name, a, to_ot.name, b, infos)


# --- record lifecycle: archive, restore, merge -----------------------------------------


def archive_edges_of(session: Session, record_type: str, record_id: int) -> None:
    """Hide every link of an archived record, both directions; restore brings them back."""
    _edges_relinked(session, record_type, record_id)
    edges = repo.all_edges_of(session, record_type, record_id)
    repo.set_archived_from(session, record_type, record_id, True)
    repo.set_archived_pointing_at(
        session, {(e.to_type, e.to_id) for e in edges}, record_type, record_id, True
    )


def _live_ends(session: Session, edges: Sequence[Association]) -> set[tuple[str, int]]:
    by_type: dict[str, set[int]] = defaultdict(set)
    for e in edges:
        by_type[e.to_type].add(e.to_id)
    live: set[tuple[str, int]] = set()
    for type_name, ids in by_type.items():
        ot = get_object_type(type_name)
        if ot is not None:
            live.update((type_name, i) for i in repo.live_record_ids(session, ot, sorted(ids)))
    return live


def _owner_has_other_primary(
    session: Session, info: TypeInfo, from_type: str, from_id: int, to_type: str, to_id: int
) -> bool:
    """Whether restoring this primary link would give its owner a second primary."""
    if info.owns_primary:
        owner_type, owner_id, other_id, owner_type_id = from_type, from_id, to_id, info.type_id
    else:
        owner_type, owner_id, other_id, owner_type_id = to_type, to_id, from_id, info.inverse_id
    other_type = to_type if info.owns_primary else from_type
    return any(
        e.type_id == owner_type_id and e.to_id != other_id
        for e in repo.existing_edges(session, owner_type, owner_id, other_type)
    )


def restore_edges_of(session: Session, record_type: str, record_id: int) -> None:
    """Bring back the links of a restored record whose other end is live; a primary link
    whose owner found another primary meanwhile comes back as an ordinary link."""
    edges = [e for e in repo.all_edges_of(session, record_type, record_id) if e.archived]
    live = _live_ends(session, edges)
    for e in edges:
        if (e.to_type, e.to_id) not in live:
            continue
        info = _infos_for(session, record_type, e.to_type, [e.type_id]).get(e.type_id)
        inverse_id = info.inverse_id if info else e.type_id
        if (
            info is not None
            and info.primary
            and _owner_has_other_primary(session, info, record_type, record_id, e.to_type, e.to_id)
        ):
            repo.remove_edge(session, record_type, record_id, e.to_type, e.to_id, e.type_id)
            repo.remove_edge(session, e.to_type, e.to_id, record_type, record_id, inverse_id)
            continue
        repo.unarchive_edge(session, record_type, record_id, e.to_type, e.to_id, e.type_id)
        repo.unarchive_edge(session, e.to_type, e.to_id, record_type, record_id, inverse_id)
    _edges_relinked(session, record_type, record_id)


def move_edges(session: Session, record_type: str, old_id: int, new_id: int) -> int:
    """Give every link of ``old_id`` to ``new_id`` (both directions) for a merge.

    Links ``new_id`` already has are not duplicated, and a primary link of ``old_id`` loses
    to a live primary that ``new_id`` already owns. Returns how many links moved."""
    old_edges = list(repo.all_edges_of(session, record_type, old_id))
    kept = repo.all_edges_of(session, record_type, new_id)
    have = {(e.to_type, e.to_id, e.category, e.type_id) for e in kept}
    owned_primaries = {(e.to_type, e.type_id) for e in kept if not e.archived}
    infos: dict[tuple[str, int], TypeInfo | None] = {}
    for e in old_edges:
        infos[(e.to_type, e.type_id)] = _infos_for(
            session, record_type, e.to_type, [e.type_id]
        ).get(e.type_id)
    moved = 0
    for e in old_edges:
        info = infos[(e.to_type, e.type_id)]
        inverse_id = info.inverse_id if info else e.type_id
        mirror = repo.find_edge(session, e.to_type, e.to_id, record_type, old_id, inverse_id)
        duplicate = (e.to_type, e.to_id, e.category, e.type_id) in have
        self_link = e.to_type == record_type and e.to_id == new_id
        loses_primary = (
            info is not None
            and info.owns_primary
            and (e.to_type, e.type_id) in owned_primaries
            and not e.archived
        )
        if duplicate or self_link or loses_primary:
            repo.delete_edge_row(session, e)
            if mirror is not None:
                repo.delete_edge_row(session, mirror)
            continue
        repo.repoint_edge(e, from_id=new_id)
        if mirror is not None:
            repo.repoint_edge(mirror, to_id=new_id)
        moved += 1
    session.flush()
    _edges_relinked(session, record_type, new_id)
    return moved
