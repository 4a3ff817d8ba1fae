"""HubSpot-defined association types: ids, names and their inverse in the other direction."""

from __future__ import annotations

from dataclasses import dataclass

HUBSPOT_DEFINED = "HUBSPOT_DEFINED"
USER_DEFINED = "USER_DEFINED"


@dataclass(frozen=True)
class AssociationType:
    from_type: str
    to_type: str
    type_id: int
    name: str
    inverse_id: int
    primary: bool = False
    # For a primary pair, True on the direction whose record has at most one primary target
    # (contact -> company 1, deal -> company 5); the inverse direction may have many.
    owns_primary: bool = False
    category: str = HUBSPOT_DEFINED

    @property
    def label(self) -> str | None:
        return "Primary" if self.primary else None


_TYPES: list[AssociationType] = []


def _pair(
    a: str, b: str, ab: int, ba: int, ab_name: str, ba_name: str, primary: bool = False
) -> None:
    _TYPES.append(AssociationType(a, b, ab, ab_name, ba, primary, owns_primary=primary))
    _TYPES.append(AssociationType(b, a, ba, ba_name, ab, primary))


_pair(
    "contacts",
    "companies",
    279,
    280,
    "contact_to_company_unlabeled",
    "company_to_contact_unlabeled",
)
_pair("contacts", "companies", 1, 2, "contact_to_company", "company_to_contact", primary=True)
_pair("deals", "contacts", 3, 4, "deal_to_contact", "contact_to_deal")
_pair("deals", "companies", 341, 342, "deal_to_company_unlabeled", "company_to_deal_unlabeled")
_pair("deals", "companies", 5, 6, "deal_to_company", "company_to_deal", primary=True)

# Engagement links: (engagement -> contact, contact -> engagement), then company, then deal.
_ENGAGEMENT_IDS = {
    "calls": ((194, 193), (182, 181), (206, 205)),
    "emails": ((198, 197), (186, 185), (210, 209)),
    "meetings": ((200, 199), (188, 187), (212, 211)),
    "notes": ((202, 201), (190, 189), (214, 213)),
    "tasks": ((204, 203), (192, 191), (216, 215)),
}
_SINGULAR = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "calls": "call",
    "emails": "email",
    "meetings": "meeting",
    "notes": "note",
    "tasks": "task",
}
for _eng, _ids in _ENGAGEMENT_IDS.items():
    for _target, (_fwd, _back) in zip(("contacts", "companies", "deals"), _ids, strict=True):
        _pair(
            _eng,
            _target,
            _fwd,
            _back,
            f"{_SINGULAR[_eng]}_to_{_SINGULAR[_target]}",
            f"{_SINGULAR[_target]}_to_{_SINGULAR[_eng]}",
        )

BY_ID: dict[tuple[str, str, int], AssociationType] = {
    (t.from_type, t.to_type, t.type_id): t for t in _TYPES
}
DEFAULTS: dict[tuple[str, str], AssociationType] = {}
for _t in _TYPES:
    if not _t.primary:
        DEFAULTS[(_t.from_type, _t.to_type)] = _t
PRIMARY: dict[tuple[str, str], AssociationType] = {
    (t.from_type, t.to_type): t for t in _TYPES if t.primary
}


def find(from_type: str, to_type: str, type_id: int) -> AssociationType | None:
    return BY_ID.get((from_type, to_type, type_id))


def targets_of(type_id: int, from_type: str) -> list[AssociationType]:
    """Types with this id that start at ``from_type`` (the target type is implied by the id)."""
    return [t for t in _TYPES if t.type_id == type_id and t.from_type == from_type]


def default_for(from_type: str, to_type: str) -> AssociationType | None:
    return DEFAULTS.get((from_type, to_type))


def between(from_type: str, to_type: str) -> list[AssociationType]:
    """Every HubSpot-defined type from ``from_type`` to ``to_type``, unlabelled first."""
    found = [t for t in _TYPES if t.from_type == from_type and t.to_type == to_type]
    return sorted(found, key=lambda t: (t.primary, t.type_id))


def is_builtin_id(type_id: int) -> bool:
    return any(t.type_id == type_id for t in _TYPES)
