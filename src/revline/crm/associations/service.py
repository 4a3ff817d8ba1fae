"""Rules for linking records: known type ids, both directions, one primary per pair."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from revline.crm.associations import repository as repo
from revline.crm.associations import types as assoc_types
from revline.errors import ErrorDetail, ValidationError
from revline.kit.time import utcnow
from revline.models import Association


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


def resolve_spec(from_type: str, to_id: int, type_id: int, category: str) -> AssociationSpec:
    """Work out the target object type from a HubSpot-defined type id, or fail with 400."""
    if category != assoc_types.HUBSPOT_DEFINED:
        raise ValidationError(
            f"associationCategory '{category}' is not supported here; use HUBSPOT_DEFINED",
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
        raise ValidationError(
            f"associationTypeId {type_id} is not valid for {from_type}",
            errors=[
                ErrorDetail(
                    "unknown association type",
                    "INVALID_ASSOCIATION_TYPE",
                    {"associationTypeId": [str(type_id)]},
                )
            ],
        )
    return AssociationSpec(found[0].to_type, to_id, type_id, category)


def associate(session: Session, from_type: str, from_id: int, spec: AssociationSpec) -> None:
    """Create the link and its inverse; a primary link also gets the unlabelled one."""
    atype = assoc_types.find(from_type, spec.to_type, spec.type_id)
    if atype is None:
        raise ValidationError(
            f"associationTypeId {spec.type_id} is not valid from {from_type} to {spec.to_type}",
            errors=[
                ErrorDetail(
                    "unknown association type",
                    "INVALID_ASSOCIATION_TYPE",
                    {"associationTypeId": [str(spec.type_id)]},
                )
            ],
        )
    wanted = [atype]
    if atype.primary:
        default = assoc_types.default_for(from_type, spec.to_type)
        if default is not None:
            wanted.append(default)
        # Only one primary per record and target type: the new one replaces the old.
        for old in repo.existing_edges(session, from_type, from_id, spec.to_type):
            if old.type_id == atype.type_id and old.to_id != spec.to_id:
                repo.remove_edge(
                    session, spec.to_type, old.to_id, from_type, from_id, atype.inverse_id
                )
                repo.remove_edge(
                    session, from_type, from_id, spec.to_type, old.to_id, atype.type_id
                )
    have = {
        (e.to_id, e.type_id) for e in repo.existing_edges(session, from_type, from_id, spec.to_type)
    }
    now = utcnow()
    edges: list[Association] = []
    for t in wanted:
        if (spec.to_id, t.type_id) in have:
            continue
        edges.append(
            Association(
                from_type=from_type,
                from_id=from_id,
                to_type=spec.to_type,
                to_id=spec.to_id,
                category=t.category,
                type_id=t.type_id,
                created_at=now,
            )
        )
        edges.append(
            Association(
                from_type=spec.to_type,
                from_id=spec.to_id,
                to_type=from_type,
                to_id=from_id,
                category=t.category,
                type_id=t.inverse_id,
                created_at=now,
            )
        )
    repo.add_edges(session, edges)


def linked(
    session: Session, from_type: str, from_ids: Sequence[int], to_type: str
) -> dict[int, list[LinkedRecord]]:
    out: dict[int, list[LinkedRecord]] = defaultdict(list)
    for edge in repo.edges_from(session, from_type, from_ids, to_type):
        atype = assoc_types.find(from_type, to_type, edge.type_id)
        out[edge.from_id].append(
            LinkedRecord(
                to_id=edge.to_id,
                type_name=atype.name if atype else str(edge.type_id),
                type_id=edge.type_id,
                category=edge.category,
                label=atype.label if atype else None,
            )
        )
    return out
