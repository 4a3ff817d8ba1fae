"""Rules for property definitions and groups, and validation of property values."""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from revline.crm.object_types import ALL_TYPES, ObjectType
from revline.crm.properties import repository as repo
from revline.crm.properties.builtins import BUILTIN_GROUPS, BUILTIN_PROPERTIES, builtin_for
from revline.crm.properties.values import TypedValue, ValueProblem, parse_value
from revline.errors import Conflict, ErrorDetail, NotFound, ValidationError
from revline.kit.time import utcnow
from revline.kit.validation import check_int32, check_text, is_storable
from revline.models import PropertyDefinition, PropertyGroup

PROPERTY_TYPES = ("string", "number", "date", "datetime", "enumeration", "bool")
FIELD_TYPES: dict[str, tuple[str, ...]] = {
    "string": ("text", "textarea", "phonenumber", "html", "file"),
    "number": ("number", "calculation_equation"),
    "date": ("date",),
    "datetime": ("date",),
    "enumeration": ("select", "radio", "checkbox", "booleancheckbox", "calculation_equation"),
    "bool": ("booleancheckbox",),
}
# Built-in enumerations whose options are other records (owners, pipelines, stages):
# their values are checked by the record rules, not against a stored option list.
DYNAMIC_OPTIONS = frozenset({"hubspot_owner_id", "pipeline", "dealstage"})
# Enumerations whose options carry more than a label (an order with rules, a status group)
# and are edited through their own endpoints.
MANAGED_OPTIONS = {
    "lifecyclestage": "/revline/v1/lifecycle-stages",
    "hs_lead_status": "/revline/v1/lead-statuses",
}
# \Z, not $: "$" also matches before a trailing newline.
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}\Z")


@dataclass(frozen=True)
class PropertyDef:
    """A property definition as the rest of Revline sees it."""

    object_type: str
    name: str
    label: str
    type: str
    field_type: str
    group_name: str
    description: str
    display_order: int
    options: list[dict[str, Any]]
    hidden: bool
    form_field: bool
    has_unique_value: bool
    hubspot_defined: bool
    calculated: bool
    read_only_value: bool
    read_only_definition: bool
    archived: bool
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime
    column: str | None  # typed column for built-ins; None means the custom JSON document

    @property
    def allowed_values(self) -> set[str] | None:
        if self.type != "enumeration" or self.name in DYNAMIC_OPTIONS:
            return None
        return {str(o["value"]) for o in self.options}


@dataclass
class Catalog:
    """Every live property of one object type, by name."""

    object_type: ObjectType
    by_name: dict[str, PropertyDef] = field(default_factory=dict)

    def get(self, name: str) -> PropertyDef | None:
        return self.by_name.get(name)

    def names(self) -> list[str]:
        return list(self.by_name)


def _to_def(ot: ObjectType, row: PropertyDefinition) -> PropertyDef:
    column: str | None = None
    if row.hubspot_defined:
        builtin = builtin_for(ot).get(row.name)
        column = builtin.storage_column if builtin else None
    return PropertyDef(
        object_type=row.object_type,
        name=row.name,
        label=row.label,
        type=row.type,
        field_type=row.field_type,
        group_name=row.group_name,
        description=row.description,
        display_order=row.display_order,
        options=list(row.options or []),
        hidden=row.hidden,
        form_field=row.form_field,
        has_unique_value=row.has_unique_value,
        hubspot_defined=row.hubspot_defined,
        calculated=row.calculated,
        read_only_value=row.read_only_value,
        read_only_definition=row.read_only_definition,
        archived=row.archived,
        archived_at=row.archived_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        column=column,
    )


_CATALOGS = "revline.property_catalogs"
_REVISION = "revline.property_catalog_revision"
_CHANGED = "revline.property_catalog_changed"
_REVISION_NAME = "property_catalog"
# Catalogs shared by every unit of work of one engine (so one database), stamped with the
# revision counter they were read under. Entries are never mutated once published.
_SHARED: weakref.WeakKeyDictionary[Engine, dict[str, tuple[int, Catalog]]] = (
    weakref.WeakKeyDictionary()
)


def load_catalog(session: Session, ot: ObjectType) -> Catalog:
    """Every live property of ``ot``.

    Reading a hundred definitions on every request would cost more than the request's own
    work, so the catalog is kept per process and checked against the ``property_catalog``
    revision counter, one primary-key read per unit of work. Every change to a definition
    moves the counter in its own transaction, so no process keeps using a stale copy once the
    change is committed; a unit of work that changed definitions itself reads its own
    (uncommitted) view and never publishes it.
    """
    cache: dict[str, Catalog] = session.info.setdefault(_CATALOGS, {})
    catalog = cache.get(ot.name)
    if catalog is not None:
        return catalog
    revision = session.info.get(_REVISION)
    if revision is None:
        # The counter is read before the definitions: a change committed in between is then
        # stored under the older number, which only makes a reader see it a little early.
        revision = session.info[_REVISION] = repo.catalog_revision(session, _REVISION_NAME)
    shared = _SHARED.setdefault(session.get_bind().engine, {})
    hit = shared.get(ot.name)
    if hit is not None and hit[0] == revision and not session.info.get(_CHANGED):
        catalog = hit[1]
    else:
        rows = repo.list_definitions(session, ot.name, archived=False)
        catalog = Catalog(object_type=ot, by_name={r.name: _to_def(ot, r) for r in rows})
        if not session.info.get(_CHANGED):
            shared[ot.name] = (revision, catalog)
    cache[ot.name] = catalog
    return catalog


def _definitions_changed(session: Session) -> None:
    """Called by every write to a definition: drops this unit of work's copies and moves the
    revision counter so every process reloads after the commit."""
    session.info.pop(_CATALOGS, None)
    session.info.pop(_REVISION, None)
    if not session.info.get(_CHANGED):
        session.info[_CHANGED] = True
        repo.bump_catalog_revision(session, _REVISION_NAME)


# --- defaults ---------------------------------------------------------------------------


def ensure_builtin_definitions(session: Session) -> int:
    """Insert any built-in group or property that the database lacks. Returns rows added."""
    now = utcnow()
    have_groups = repo.existing_group_names(session)
    have_props = repo.existing_definition_names(session)
    new: list[PropertyDefinition | PropertyGroup] = []
    for ot in ALL_TYPES:
        for order, (gname, glabel) in enumerate(BUILTIN_GROUPS[ot.name]):
            if (ot.name, gname) not in have_groups:
                new.append(
                    PropertyGroup(
                        object_type=ot.name, name=gname, label=glabel, display_order=order
                    )
                )
        for order, bp in enumerate(BUILTIN_PROPERTIES[ot.name]):
            if (ot.name, bp.name) in have_props:
                continue
            new.append(
                PropertyDefinition(
                    object_type=ot.name,
                    name=bp.name,
                    label=bp.label,
                    type=bp.type,
                    field_type=bp.field_type,
                    group_name=bp.group or ot.group,
                    description=bp.description,
                    display_order=order,
                    options=[
                        {"label": label, "value": value, "hidden": False, "displayOrder": i}
                        for i, (value, label) in enumerate(bp.options)
                    ],
                    hidden=bp.hidden,
                    form_field=bp.type != "bool" and not bp.read_only,
                    has_unique_value=bp.name in ("email", "domain")
                    and ot.unique_id_property == bp.name,
                    hubspot_defined=True,
                    calculated=bp.calculated,
                    read_only_value=bp.read_only,
                    read_only_definition=True,
                    created_at=now,
                    updated_at=now,
                )
            )
    if new:
        repo.add_all(session, new)
        _definitions_changed(session)
    return len(new)


# --- definitions ------------------------------------------------------------------------


def list_properties(
    session: Session, ot: ObjectType, *, archived: bool = False
) -> list[PropertyDef]:
    return [_to_def(ot, r) for r in repo.list_definitions(session, ot.name, archived=archived)]


def _access_row(
    session: Session, ot: ObjectType, name: str, *, archived: bool = False
) -> PropertyDefinition:
    row = repo.get_definition(session, ot.name, name) if is_storable(name) else None
    if row is None or row.archived != archived:
        state = "Archived property" if archived else "Property"
        raise NotFound(
            f"{state} {name} does not exist for {ot.name}",
            context={"propertyName": [name]},
        )
    return row


def access_property(
    session: Session, ot: ObjectType, name: str, *, archived: bool = False
) -> PropertyDef:
    """A live definition, or with ``archived=True`` an archived one (as HubSpot reads them)."""
    return _to_def(ot, _access_row(session, ot, name, archived=archived))


def _check_options(prop_type: str, options: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    if not options:
        if prop_type == "bool":
            return [
                {"label": "Yes", "value": "true", "hidden": False, "displayOrder": 0},
                {"label": "No", "value": "false", "hidden": False, "displayOrder": 1},
            ]
        return []
    if prop_type not in ("enumeration", "bool"):
        raise ValidationError(
            f"Options are only allowed on enumeration properties, not {prop_type}",
            errors=[
                ErrorDetail(
                    "options given for a non-enumeration",
                    "INVALID_OPTIONS",
                    {"options": ["not allowed"]},
                )
            ],
        )
    seen: set[str] = set()
    cleaned: list[dict[str, Any]] = []
    for i, opt in enumerate(options):
        value = str(opt.get("value", "")).strip()
        if not value:
            raise ValidationError(
                f"Option {i} has an empty value",
                errors=[
                    ErrorDetail("option value is empty", "INVALID_OPTIONS", {"options": [str(i)]})
                ],
            )
        if value in seen:
            raise ValidationError(
                f"Option value '{value}' appears more than once",
                errors=[
                    ErrorDetail("duplicate option value", "INVALID_OPTIONS", {"options": [value]})
                ],
            )
        seen.add(value)
        option: dict[str, Any] = {
            "label": str(opt.get("label") or value),
            "value": value,
            "hidden": bool(opt.get("hidden", False)),
            "displayOrder": check_int32(
                int(opt.get("displayOrder", i) if opt.get("displayOrder") is not None else i),
                "options.displayOrder",
            ),
            **({"description": str(opt["description"])} if opt.get("description") else {}),
        }
        for key in ("label", "value", "description"):
            if key in option:
                check_text(option[key], f"options.{key}")
        cleaned.append(option)
    return cleaned


def _check_types(prop_type: str, field_type: str) -> None:
    if prop_type not in PROPERTY_TYPES:
        raise ValidationError(
            f"type must be one of {', '.join(PROPERTY_TYPES)}; got '{prop_type}'",
            errors=[
                ErrorDetail(f"invalid type '{prop_type}'", "INVALID_TYPE", {"type": [prop_type]})
            ],
        )
    if field_type not in FIELD_TYPES[prop_type]:
        raise ValidationError(
            f"fieldType '{field_type}' does not fit type '{prop_type}' "
            f"(allowed: {', '.join(FIELD_TYPES[prop_type])})",
            errors=[
                ErrorDetail(
                    "fieldType does not fit type", "INVALID_FIELD_TYPE", {"fieldType": [field_type]}
                )
            ],
        )


def _check_group(session: Session, ot: ObjectType, group_name: str) -> None:
    group = repo.get_group(session, ot.name, group_name) if is_storable(group_name) else None
    if group is None or group.archived:
        raise ValidationError(
            f"Property group '{group_name}' does not exist for {ot.name}",
            errors=[
                ErrorDetail("unknown group", "GROUP_DOESNT_EXIST", {"groupName": [group_name]})
            ],
        )


def create_property(
    session: Session,
    ot: ObjectType,
    *,
    name: str,
    label: str,
    type: str,
    field_type: str,
    group_name: str,
    description: str = "",
    options: list[dict[str, Any]] | None = None,
    display_order: int = -1,
    has_unique_value: bool = False,
    hidden: bool = False,
    form_field: bool = False,
) -> PropertyDef:
    if not _NAME.match(name):
        raise ValidationError(
            f"Property name '{name}' must start with a lowercase letter and contain only "
            "lowercase letters, digits and underscores (at most 100 characters)",
            errors=[ErrorDetail("invalid name", "INVALID_PROPERTY_NAME", {"name": [name]})],
        )
    if name.startswith("hs_"):
        raise ValidationError(
            f"Property name '{name}' uses the reserved prefix 'hs_'",
            errors=[ErrorDetail("reserved prefix", "INVALID_PROPERTY_NAME", {"name": [name]})],
        )
    check_text(label, "label")
    check_text(description, "description")
    check_int32(display_order, "displayOrder")
    existing = repo.get_definition(session, ot.name, name)
    if existing is not None:
        state = " (archived)" if existing.archived else ""
        raise Conflict(
            f"A property named '{name}' already exists{state} for {ot.name}",
            context={"name": [name]},
        )
    _check_types(type, field_type)
    _check_group(session, ot, group_name)
    if has_unique_value and type not in ("string", "number"):
        raise ValidationError(
            "Only string and number properties can require unique values",
            errors=[
                ErrorDetail(
                    "unique values need string or number",
                    "INVALID_UNIQUE",
                    {"hasUniqueValue": ["true"]},
                )
            ],
        )
    now = utcnow()
    row = PropertyDefinition(
        object_type=ot.name,
        name=name,
        label=label,
        type=type,
        field_type=field_type,
        group_name=group_name,
        description=description,
        display_order=display_order,
        options=_check_options(type, options),
        hidden=hidden,
        form_field=form_field,
        has_unique_value=has_unique_value,
        hubspot_defined=False,
        calculated=False,
        read_only_value=False,
        read_only_definition=False,
        created_at=now,
        updated_at=now,
    )
    repo.add(session, row)
    _definitions_changed(session)
    return _to_def(ot, row)


def update_property(
    session: Session,
    ot: ObjectType,
    name: str,
    changes: dict[str, Any],
    *,
    allow_managed: bool = False,
) -> PropertyDef:
    """Apply a partial update. ``changes`` uses Python names (``field_type``, ``group_name``).
    ``allow_managed`` lets the owning service edit the options of a managed enumeration."""
    _definitions_changed(session)
    row = _access_row(session, ot, name)
    if "options" in changes and name in MANAGED_OPTIONS and not allow_managed:
        raise ValidationError(
            f"The options of '{name}' are edited through {MANAGED_OPTIONS[name]}",
            errors=[
                ErrorDetail("options are managed", "READ_ONLY_DEFINITION", {"options": [name]})
            ],
        )
    for key in ("label", "description"):
        if isinstance(changes.get(key), str):
            check_text(changes[key], key)
    if isinstance(changes.get("display_order"), int):
        check_int32(changes["display_order"], "displayOrder")
    new_type = changes.get("type", row.type)
    new_field_type = changes.get("field_type", row.field_type)
    if row.hubspot_defined and (new_type != row.type or new_field_type != row.field_type):
        raise ValidationError(
            f"The type of built-in property '{name}' cannot be changed",
            errors=[
                ErrorDetail(
                    "built-in definition is read-only", "READ_ONLY_DEFINITION", {"type": [name]}
                )
            ],
        )
    if "options" in changes and name in DYNAMIC_OPTIONS:
        raise ValidationError(
            f"The options of '{name}' come from other records and cannot be edited here",
            errors=[
                ErrorDetail("options are derived", "READ_ONLY_DEFINITION", {"options": [name]})
            ],
        )
    if new_type != row.type or new_field_type != row.field_type:
        _check_types(new_type, new_field_type)
        if new_type != row.type and repo.custom_value_exists(
            session, ot.table, ot.engagement_type, name
        ):
            raise ValidationError(
                f"Property '{name}' already holds values; its type cannot change from "
                f"{row.type} to {new_type}",
                errors=[
                    ErrorDetail(
                        "property has values", "TYPE_CHANGE_NOT_ALLOWED", {"type": [new_type]}
                    )
                ],
            )
        row.type = new_type
        row.field_type = new_field_type
    if "group_name" in changes:
        _check_group(session, ot, changes["group_name"])
        row.group_name = changes["group_name"]
    if "options" in changes:
        row.options = _check_options(row.type, changes["options"])
    for attr in ("label", "description", "display_order", "hidden", "form_field"):
        if attr in changes and changes[attr] is not None:
            setattr(row, attr, changes[attr])
    row.updated_at = utcnow()
    session.flush()
    return _to_def(ot, row)


def define_calculated_property(
    session: Session,
    ot: ObjectType,
    *,
    name: str,
    label: str,
    type: str,
    field_type: str,
    description: str = "",
    options: Sequence[tuple[str, str]] = (),
) -> PropertyDef:
    """Create (or bring back) a read-only property whose values Revline itself writes, such as
    the date-entered property of a lifecycle stage a workspace adds, or a score model's score
    and label (``options``: value and label of an enumeration's options)."""
    _definitions_changed(session)
    now = utcnow()
    option_rows = [
        {"label": text, "value": value, "hidden": False, "displayOrder": i}
        for i, (value, text) in enumerate(options)
    ]
    row = repo.get_definition(session, ot.name, name)
    if row is None:
        row = PropertyDefinition(
            object_type=ot.name,
            name=name,
            label=label,
            type=type,
            field_type=field_type,
            group_name=ot.group,
            description=description,
            display_order=-1,
            options=option_rows,
            hidden=False,
            form_field=False,
            has_unique_value=False,
            hubspot_defined=False,
            calculated=True,
            read_only_value=True,
            read_only_definition=True,
            created_at=now,
            updated_at=now,
        )
        repo.add(session, row)
    else:
        row.label = label
        row.description = description or row.description
        if options or row.options:
            row.options = option_rows
        row.archived = False
        row.archived_at = None
        row.updated_at = now
        session.flush()
    return _to_def(ot, row)


def archive_property(session: Session, ot: ObjectType, name: str) -> None:
    row = _access_row(session, ot, name)
    if row.hubspot_defined:
        raise ValidationError(
            f"Built-in property '{name}' cannot be archived",
            errors=[
                ErrorDetail(
                    "built-in properties cannot be archived",
                    "NOT_ARCHIVABLE",
                    {"propertyName": [name]},
                )
            ],
        )
    _refuse_if_in_use(session, ot, name)
    row.archived = True
    row.archived_at = utcnow()
    row.updated_at = row.archived_at
    _definitions_changed(session)
    session.flush()


_USER_KINDS = {
    "segment": "segment",
    "scoreModel": "score model",
    "routingRule": "routing rule",
    "pipelineStage": "pipeline stage",
}


def _refuse_if_in_use(session: Session, ot: ObjectType, name: str) -> None:
    """A property that segments, score models, routing rules or stage requirements still
    read cannot be archived: they would stop working (or, for a stage, refuse every deal)
    without anyone being told. The 409 names each of them, so they can be changed first."""
    users = repo.property_users(session, ot.name, name)
    if not users:
        return
    listed = ", ".join(f"{_USER_KINDS[kind]} '{label}' ({ident})" for kind, ident, label in users)
    context: dict[str, list[str]] = {"propertyName": [name]}
    for kind, ident, _ in users:
        context.setdefault(f"{kind}Ids", []).append(ident)
    raise Conflict(
        f"Property '{name}' is still used by {listed}; change or archive them first",
        errors=[
            ErrorDetail(
                f"used by {_USER_KINDS[kind]} '{label}'",
                "PROPERTY_IN_USE",
                {"propertyName": [name], f"{kind}Id": [ident]},
            )
            for kind, ident, label in users
        ],
        context=context,
    )


# --- groups -----------------------------------------------------------------------------


def list_groups(session: Session, ot: ObjectType) -> list[PropertyGroup]:
    return list(repo.list_groups(session, ot.name))


def access_group(session: Session, ot: ObjectType, name: str) -> PropertyGroup:
    group = repo.get_group(session, ot.name, name) if is_storable(name) else None
    if group is None or group.archived:
        raise NotFound(
            f"Property group {name} does not exist for {ot.name}", context={"groupName": [name]}
        )
    return group


def create_group(
    session: Session, ot: ObjectType, *, name: str, label: str, display_order: int = -1
) -> PropertyGroup:
    if not _NAME.match(name):
        raise ValidationError(
            f"Group name '{name}' must be lowercase letters, digits and underscores",
            errors=[ErrorDetail("invalid name", "INVALID_GROUP_NAME", {"name": [name]})],
        )
    check_text(label, "label")
    check_int32(display_order, "displayOrder")
    existing = repo.get_group(session, ot.name, name)
    if existing is not None and not existing.archived:
        raise Conflict(
            f"A property group named '{name}' already exists for {ot.name}",
            context={"name": [name]},
        )
    if existing is not None:
        existing.archived = False
        existing.label = label
        existing.display_order = display_order
        session.flush()
        return existing
    group = PropertyGroup(object_type=ot.name, name=name, label=label, display_order=display_order)
    repo.add(session, group)
    return group


def update_group(
    session: Session, ot: ObjectType, name: str, *, label: str | None, display_order: int | None
) -> PropertyGroup:
    group = access_group(session, ot, name)
    if label is not None:
        group.label = check_text(label, "label")
    if display_order is not None:
        group.display_order = check_int32(display_order, "displayOrder")
    session.flush()
    return group


def archive_group(session: Session, ot: ObjectType, name: str) -> None:
    group = access_group(session, ot, name)
    if any(p.group_name == name for p in list_properties(session, ot)):
        raise ValidationError(
            f"Property group '{name}' still holds properties; move or archive them first",
            errors=[ErrorDetail("group is not empty", "GROUP_NOT_EMPTY", {"groupName": [name]})],
        )
    group.archived = True
    session.flush()


# --- values -----------------------------------------------------------------------------


def property_problem(name: str, code: str, message: str) -> ErrorDetail:
    return ErrorDetail(
        message=f'Property "{name}": {message}' if not message.startswith("Property") else message,
        code=code,
        context={"propertyName": [name]},
    )


def raise_property_errors(problems: list[ErrorDetail]) -> None:
    """Raise one 400 naming every bad property, in HubSpot's message format."""
    if not problems:
        return
    summary = [
        {
            "isValid": False,
            "message": p.message,
            "error": p.code,
            "name": p.context.get("propertyName", [""])[0],
        }
        for p in problems
    ]
    raise ValidationError(
        "Property values were not valid: " + json.dumps(summary),
        errors=problems,
    )


def parse_values(
    catalog: Catalog, raw: dict[str, Any], *, allow_read_only: frozenset[str] = frozenset()
) -> tuple[dict[str, TypedValue], list[ErrorDetail]]:
    """Check every value against its definition; return the typed values and the problems."""
    typed: dict[str, TypedValue] = {}
    problems: list[ErrorDetail] = []
    for name, value in raw.items():
        prop = catalog.get(name)
        if prop is None:
            problems.append(
                property_problem(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
            )
            continue
        if prop.read_only_value and name not in allow_read_only:
            problems.append(
                property_problem(name, "READ_ONLY_VALUE", f'Property "{name}" is read-only')
            )
            continue
        try:
            typed[name] = parse_value(value, prop.type, prop.allowed_values, prop.field_type)
        except ValueProblem as problem:
            problems.append(property_problem(name, problem.code, problem.message))
    return typed, problems
