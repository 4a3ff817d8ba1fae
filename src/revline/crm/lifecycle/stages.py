"""The ordered list of lifecycle stages shared by contacts and companies.

The list is the option list of the ``lifecyclestage`` property, kept identical on both object
types: an option's ``displayOrder`` is the stage's rank (what "forward" means), a hidden option
is an archived stage (records keep it; nothing new may enter it), and each stage has a
read-only ``hs_lifecyclestage_<stage>_date`` property stamped when a record first reaches it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from revline.crm.object_types import COMPANIES, CONTACTS, ObjectType
from revline.crm.properties import service as properties
from revline.crm.properties.builtins import stage_date_label, stage_date_property
from revline.crm.properties.service import Catalog, PropertyDef
from revline.errors import Conflict, ErrorDetail, NotFound, ValidationError
from revline.kit.validation import check_text

PROPERTY = "lifecyclestage"
STAGE_TYPES: tuple[ObjectType, ...] = (CONTACTS, COMPANIES)
_VALUE = re.compile(r"^[a-z][a-z0-9_]{0,59}\Z")


@dataclass(frozen=True)
class Stage:
    value: str
    label: str
    display_order: int
    archived: bool

    @property
    def date_property(self) -> str:
        return stage_date_property(self.value)


def stages_of(prop: PropertyDef | None) -> list[Stage]:
    """The stages of a ``lifecyclestage`` definition, in rank order."""
    if prop is None:
        return []
    options = sorted(
        enumerate(prop.options), key=lambda io: (int(io[1].get("displayOrder", io[0])), io[0])
    )
    return [
        Stage(str(o["value"]), str(o.get("label") or o["value"]), rank, bool(o.get("hidden")))
        for rank, (_, o) in enumerate(options)
    ]


def rank_of(catalog: Catalog) -> dict[str, int]:
    """Each stage's rank (archived stages keep theirs, so old values still compare)."""
    return {s.value: s.display_order for s in stages_of(catalog.get(PROPERTY))}


def archived_of(catalog: Catalog) -> set[str]:
    return {s.value for s in stages_of(catalog.get(PROPERTY)) if s.archived}


def list_stages(session: Session) -> list[Stage]:
    return stages_of(properties.load_catalog(session, CONTACTS).get(PROPERTY))


def access_stage(session: Session, value: str) -> Stage:
    for stage in list_stages(session):
        if stage.value == value:
            return stage
    raise NotFound(f"Lifecycle stage {value} does not exist", context={"stage": [value]})


def _write(session: Session, stages: list[Stage]) -> list[Stage]:
    """Store ``stages`` (in this order) as the options of both object types."""
    options: list[dict[str, Any]] = [
        {"label": s.label, "value": s.value, "hidden": s.archived, "displayOrder": rank}
        for rank, s in enumerate(stages)
    ]
    for ot in STAGE_TYPES:
        properties.update_property(session, ot, PROPERTY, {"options": options}, allow_managed=True)
    return list_stages(session)


def _check_label(stages: list[Stage], label: Any, own: str | None) -> str:
    if not isinstance(label, str) or not label.strip():
        raise ValidationError(
            "label must be a non-empty string",
            errors=[ErrorDetail("label is required", "REQUIRED", {"label": [""]})],
        )
    text = str(check_text(label.strip(), "label"))
    for s in stages:
        if s.value != own and s.label.lower() == text.lower():
            raise Conflict(
                f"Another lifecycle stage ({s.value}) is already labelled '{text}'",
                context={"label": [text]},
            )
    return text


def add_stage(
    session: Session, value: Any, label: Any, *, before: str | None = None
) -> list[Stage]:
    """Add a stage, last or just before ``before``, with its date-entered property."""
    stages = list_stages(session)
    if not isinstance(value, str) or not _VALUE.match(value):
        raise ValidationError(
            "A stage value starts with a lowercase letter and holds only lowercase letters, "
            "digits and underscores (at most 60 characters)",
            errors=[ErrorDetail("invalid stage value", "INVALID_VALUE", {"value": [str(value)]})],
        )
    if any(s.value == value for s in stages):
        raise Conflict(f"Lifecycle stage {value} already exists", context={"value": [value]})
    label = _check_label(stages, label, None)
    new = Stage(value, label, len(stages), False)
    if before is None:
        stages.append(new)
    else:
        position = next((i for i, s in enumerate(stages) if s.value == before), None)
        if position is None:
            raise ValidationError(
                f"Lifecycle stage {before} does not exist",
                errors=[ErrorDetail("unknown stage", "INVALID_VALUE", {"before": [before]})],
            )
        stages.insert(position, new)
    for ot in STAGE_TYPES:
        properties.define_calculated_property(
            session,
            ot,
            name=stage_date_property(value),
            label=stage_date_label(label),
            type="datetime",
            field_type="date",
            description=f"When the record first reached the lifecycle stage {label}.",
        )
    return _write(session, stages)


def update_stage(
    session: Session, value: str, *, label: Any = None, archived: Any = None
) -> list[Stage]:
    """Rename a stage (its value, and so every record holding it, stays) or archive/restore
    it."""
    stages = list_stages(session)
    current = access_stage(session, value)
    if archived is not None and not isinstance(archived, bool):
        raise ValidationError(
            "archived must be true or false",
            errors=[ErrorDetail("not a boolean", "INVALID_TYPE", {"archived": [str(archived)]})],
        )
    new_label = current.label if label is None else _check_label(stages, label, value)
    if archived is True and sum(not s.archived for s in stages if s.value != value) == 0:
        raise ValidationError(
            "The last active lifecycle stage cannot be archived",
            errors=[ErrorDetail("last active stage", "INVALID_VALUE", {"stage": [value]})],
        )
    updated = [
        Stage(
            s.value,
            new_label if s.value == value else s.label,
            s.display_order,
            (archived if archived is not None else s.archived) if s.value == value else s.archived,
        )
        for s in stages
    ]
    if new_label != current.label:
        for ot in STAGE_TYPES:
            catalog = properties.load_catalog(session, ot)
            if catalog.get(stage_date_property(value)) is not None:
                properties.update_property(
                    session, ot, stage_date_property(value), {"label": stage_date_label(new_label)}
                )
    return _write(session, updated)


def reorder_stages(session: Session, order: Any) -> list[Stage]:
    """Put the stages in a new order: ``order`` lists every stage value exactly once."""
    stages = {s.value: s for s in list_stages(session)}
    if (
        not isinstance(order, list)
        or not all(isinstance(v, str) for v in order)
        or sorted(order) != sorted(stages)
    ):
        raise ValidationError(
            "order must list every lifecycle stage value exactly once: " + ", ".join(stages),
            errors=[
                ErrorDetail("not a permutation of the stages", "INVALID_ORDER", {"order": [""]})
            ],
        )
    return _write(session, [stages[v] for v in order])
