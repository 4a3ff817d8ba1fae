"""Lead statuses: the options of ``hs_lead_status`` plus, per status, its Salesforce-style
group (open, working, converted, not converted) and whether it needs a disqualification
reason. A team can work in either vocabulary: HubSpot's statuses, or its own statuses
grouped the way Salesforce reports them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from revline.crm.object_types import CONTACTS
from revline.crm.properties import service as properties
from revline.crm.properties.builtins import DEFAULT_LEAD_STATUS_GROUPS, LEAD_STATUS_GROUPS
from revline.crm.properties.service import Catalog
from revline.crm.settings import repository as workspace
from revline.errors import Conflict, ErrorDetail, NotFound, ValidationError
from revline.kit.time import utcnow
from revline.kit.validation import check_text

PROPERTY = "hs_lead_status"
GROUP_PROPERTY = "revline_lead_status_group"
REASON_PROPERTY = "revline_disqualification_reason"
KEY = "lead_statuses"
_CACHE = "revline.lead_status_config"
_VALUE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}\Z")


@dataclass(frozen=True)
class LeadStatusConfig:
    groups: dict[str, str]  # status -> group; statuses not listed are "open"
    reason_required: frozenset[str]

    def group_of(self, status: str | None) -> str | None:
        if status is None:
            return None
        return self.groups.get(status, "open")


@dataclass(frozen=True)
class LeadStatus:
    value: str
    label: str
    display_order: int
    archived: bool
    group: str
    requires_reason: bool


def load_config(session: Session) -> LeadStatusConfig:
    cached = session.info.get(_CACHE)
    if isinstance(cached, LeadStatusConfig):
        return cached
    stored = workspace.get_setting(session, KEY)
    if stored is None:
        config = LeadStatusConfig(dict(DEFAULT_LEAD_STATUS_GROUPS), frozenset({"UNQUALIFIED"}))
    else:
        config = LeadStatusConfig(
            {str(k): str(v) for k, v in dict(stored.get("groups") or {}).items()},
            frozenset(str(v) for v in stored.get("reason_required") or []),
        )
    session.info[_CACHE] = config
    return config


def _save(session: Session, config: LeadStatusConfig) -> None:
    workspace.put_setting(
        session,
        KEY,
        {"groups": config.groups, "reason_required": sorted(config.reason_required)},
        utcnow(),
    )
    session.info[_CACHE] = config


def archived_statuses(catalog: Catalog) -> set[str]:
    prop = catalog.get(PROPERTY)
    return set() if prop is None else {str(o["value"]) for o in prop.options if o.get("hidden")}


def list_statuses(session: Session) -> list[LeadStatus]:
    prop = properties.load_catalog(session, CONTACTS).get(PROPERTY)
    config = load_config(session)
    options = (
        []
        if prop is None
        else sorted(
            enumerate(prop.options), key=lambda io: (int(io[1].get("displayOrder", io[0])), io[0])
        )
    )
    out = []
    for rank, (_, o) in enumerate(options):
        value = str(o["value"])
        out.append(
            LeadStatus(
                value,
                str(o.get("label") or value),
                rank,
                bool(o.get("hidden")),
                config.group_of(value) or "open",
                value in config.reason_required,
            )
        )
    return out


def _check_group(group: Any) -> str:
    if group not in LEAD_STATUS_GROUPS:
        raise ValidationError(
            f"group must be one of {', '.join(LEAD_STATUS_GROUPS)}",
            errors=[ErrorDetail("unknown group", "INVALID_OPTION", {"group": [str(group)]})],
        )
    return str(group)


def _check_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(
            f"{field} must be true or false",
            errors=[ErrorDetail("not a boolean", "INVALID_TYPE", {field: [str(value)]})],
        )
    return value


def _check_label(label: Any) -> str:
    if not isinstance(label, str) or not label.strip():
        raise ValidationError(
            "label must be a non-empty string",
            errors=[ErrorDetail("label is required", "REQUIRED", {"label": [""]})],
        )
    return str(check_text(label.strip(), "label"))


def _write_options(session: Session, statuses: list[LeadStatus]) -> None:
    options = [
        {"label": s.label, "value": s.value, "hidden": s.archived, "displayOrder": i}
        for i, s in enumerate(statuses)
    ]
    properties.update_property(
        session, CONTACTS, PROPERTY, {"options": options}, allow_managed=True
    )


def add_status(
    session: Session,
    value: Any,
    label: Any,
    *,
    group: Any = "open",
    requires_reason: Any = False,
) -> LeadStatus:
    statuses = list_statuses(session)
    if not isinstance(value, str) or not _VALUE.match(value):
        raise ValidationError(
            "A lead status value starts with a letter and holds only letters, digits and "
            "underscores (at most 100 characters)",
            errors=[ErrorDetail("invalid value", "INVALID_VALUE", {"value": [str(value)]})],
        )
    if any(s.value == value for s in statuses):
        raise Conflict(f"Lead status {value} already exists", context={"value": [value]})
    new = LeadStatus(
        value,
        _check_label(label),
        len(statuses),
        False,
        _check_group(group),
        _check_bool(requires_reason, "requiresReason"),
    )
    _write_options(session, [*statuses, new])
    config = load_config(session)
    reasons = set(config.reason_required) - {value}
    if new.requires_reason:
        reasons.add(value)
    _save(session, LeadStatusConfig({**config.groups, value: new.group}, frozenset(reasons)))
    return access_status(session, value)


def access_status(session: Session, value: str) -> LeadStatus:
    for s in list_statuses(session):
        if s.value == value:
            return s
    raise NotFound(f"Lead status {value} does not exist", context={"status": [value]})


def update_status(session: Session, value: str, changes: dict[str, Any]) -> tuple[LeadStatus, bool]:
    """Change a status's label, group, reason rule or archived flag. Returns the status and
    whether its group changed (the caller then regroups the contacts holding it)."""
    current = access_status(session, value)
    statuses = list_statuses(session)
    label = current.label if changes.get("label") is None else _check_label(changes["label"])
    group = current.group if changes.get("group") is None else _check_group(changes["group"])
    requires = (
        current.requires_reason
        if changes.get("requiresReason") is None
        else _check_bool(changes["requiresReason"], "requiresReason")
    )
    archived = (
        current.archived
        if changes.get("archived") is None
        else _check_bool(changes["archived"], "archived")
    )
    _write_options(
        session,
        [
            LeadStatus(s.value, label, s.display_order, archived, group, requires)
            if s.value == value
            else s
            for s in statuses
        ],
    )
    config = load_config(session)
    reasons = set(config.reason_required) - {value}
    if requires:
        reasons.add(value)
    _save(session, LeadStatusConfig({**config.groups, value: group}, frozenset(reasons)))
    return access_status(session, value), group != current.group
