"""Owner routing: ordered assignment rules, first match wins.

A rule applies to contacts or companies when they are created, or when their lifecycle stage
becomes a given stage; its conditions (all must hold) test the record's properties and, for
contacts, their primary company's (``company.<property>``). The matching record goes to the
rule's team: round robin (the member after the one who got the previous record) or least open
leads (the member with the fewest owned contacts in an open or working lead status), always
skipping archived and unavailable owners. A record that has an owner keeps it unless the rule
says to overwrite. Each assignment is a history row of ``hubspot_owner_id`` with source
``AUTOMATION`` / ``routing:<rule id>``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from revline.auth import service as auth_service
from revline.crm.lifecycle import lead_status, stages
from revline.crm.object_types import COMPANIES, CONTACTS, ObjectType
from revline.crm.properties import service as properties
from revline.crm.properties.service import Catalog
from revline.crm.properties.values import ValueProblem, format_value, parse_value
from revline.crm.records import repository as records_repo
from revline.crm.records.context import StoredChange, WriteSource
from revline.crm.routing import repository as repo
from revline.errors import ErrorDetail, NotFound, ValidationError
from revline.kit.pagination import parse_id
from revline.kit.time import utcnow
from revline.models import RoutingRule

ROUTED_TYPES = ("contacts", "companies")
TRIGGERS = ("created", "lifecycle_stage")
METHODS = ("round_robin", "least_open_leads")
OPERATORS = (
    "EQ",
    "NEQ",
    "IN",
    "NOT_IN",
    "GT",
    "GTE",
    "LT",
    "LTE",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
)
_ORDERED = ("GT", "GTE", "LT", "LTE")
COMPANY_PREFIX = "company."


def _bad(message: str, field: str, value: Any = "") -> ValidationError:
    return ValidationError(
        message, errors=[ErrorDetail(message, "INVALID_INPUT", {field: [str(value)]})]
    )


# --- rule definitions -------------------------------------------------------------------------


def _check_conditions(session: Session, ot: ObjectType, raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad("conditions must be a list", "conditions")
    cleaned = []
    for i, cond in enumerate(raw):
        where = f"conditions[{i}]"
        if not isinstance(cond, dict):
            raise _bad("each condition must be an object", where)
        name = cond.get("propertyName")
        operator = cond.get("operator")
        if not isinstance(name, str):
            raise _bad("propertyName is required", f"{where}.propertyName")
        target = ot
        prop_name = name
        if name.startswith(COMPANY_PREFIX) and ot.name == CONTACTS.name:
            target, prop_name = COMPANIES, name[len(COMPANY_PREFIX) :]
        prop = properties.load_catalog(session, target).get(prop_name)
        if prop is None:
            raise _bad(
                f"{target.name} have no property '{prop_name}'", f"{where}.propertyName", name
            )
        if operator not in OPERATORS:
            raise _bad(
                f"operator must be one of {', '.join(OPERATORS)}", f"{where}.operator", operator
            )
        if operator in _ORDERED and prop.type not in ("number", "date", "datetime"):
            raise _bad(
                f"{operator} needs a number or date property; {name} is {prop.type}",
                f"{where}.operator",
                operator,
            )
        out: dict[str, Any] = {"propertyName": name, "operator": operator}
        if operator in ("IN", "NOT_IN"):
            values = cond.get("values")
            if not isinstance(values, list) or not values:
                raise _bad("values must be a non-empty list", f"{where}.values")
            out["values"] = [_check_value(prop, v, f"{where}.values") for v in values]
        elif operator not in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
            out["value"] = _check_value(prop, cond.get("value"), f"{where}.value")
        cleaned.append(out)
    return cleaned


def _check_value(prop: Any, value: Any, field: str) -> str:
    try:
        typed = parse_value(value, prop.type, prop.allowed_values, prop.field_type)
    except ValueProblem as exc:
        raise _bad(f"{prop.name}: {exc.message}", field, value) from exc
    if typed is None:
        raise _bad(f"a value is required for {prop.name}", field)
    return str(format_value(typed, prop.type))


@dataclass(frozen=True)
class RuleInput:
    name: Any = None
    object_type: Any = "contacts"
    trigger: Any = "created"
    trigger_stage: Any = None
    conditions: Any = None
    team: Any = None  # team name or id
    method: Any = "round_robin"
    overwrite_owner: Any = False
    active: Any = True


# API / file field names of a rule and the RuleInput attributes they set.
API_FIELDS = {
    "name": "name",
    "objectType": "object_type",
    "trigger": "trigger",
    "triggerStage": "trigger_stage",
    "conditions": "conditions",
    "team": "team",
    "method": "method",
    "overwriteOwner": "overwrite_owner",
    "active": "active",
}


def rule_changes(raw: dict[str, Any]) -> dict[str, Any]:
    """RuleInput keyword arguments from a rule in its API shape (unknown keys ignored)."""
    return {API_FIELDS[k]: v for k, v in raw.items() if k in API_FIELDS}


def _team_id(session: Session, team: Any) -> int:
    found = None
    team_id = parse_id(str(team)) if isinstance(team, int | str) else None
    if team_id is not None and not isinstance(team, bool):
        found = auth_service.get_team(session, team_id)
    elif isinstance(team, str):
        found = auth_service.get_team_by_name(session, team)
    if found is None:
        raise _bad(f"Team {team} does not exist", "team", team)
    return int(found.id)


def _validated(session: Session, data: RuleInput) -> dict[str, Any]:
    if not isinstance(data.name, str) or not data.name.strip():
        raise _bad("name is required", "name")
    if data.object_type not in ROUTED_TYPES:
        raise _bad(
            f"objectType must be one of {', '.join(ROUTED_TYPES)}", "objectType", data.object_type
        )
    ot = CONTACTS if data.object_type == "contacts" else COMPANIES
    if data.trigger not in TRIGGERS:
        raise _bad(f"trigger must be one of {', '.join(TRIGGERS)}", "trigger", data.trigger)
    stage = None
    if data.trigger == "lifecycle_stage":
        rank = stages.rank_of(properties.load_catalog(session, ot))
        if data.trigger_stage not in rank:
            raise _bad("triggerStage must be a lifecycle stage", "triggerStage", data.trigger_stage)
        stage = data.trigger_stage
    if data.method not in METHODS:
        raise _bad(f"method must be one of {', '.join(METHODS)}", "method", data.method)
    for field, value in (("overwriteOwner", data.overwrite_owner), ("active", data.active)):
        if not isinstance(value, bool):
            raise _bad(f"{field} must be true or false", field, value)
    return {
        "name": data.name.strip()[:255],
        "object_type": ot.name,
        "trigger": data.trigger,
        "trigger_stage": stage,
        "conditions": _check_conditions(session, ot, data.conditions),
        "team_id": _team_id(session, data.team),
        "method": data.method,
        "overwrite_owner": data.overwrite_owner,
        "active": data.active,
    }


def list_rules(session: Session, object_type: str | None = None) -> list[RoutingRule]:
    return repo.list_rules(session, object_type)


def create_rule(session: Session, data: RuleInput) -> RoutingRule:
    values = _validated(session, data)
    now = utcnow()
    rule = RoutingRule(
        **values,
        position=repo.next_position(session, values["object_type"]),
        created_at=now,
        updated_at=now,
    )
    repo.add_rule(session, rule)
    return rule


def access_rule(session: Session, rule_id: str) -> RoutingRule:
    ident = parse_id(rule_id)
    rule = repo.get_rule(session, ident) if ident is not None else None
    if rule is None:
        raise NotFound(f"Routing rule {rule_id} does not exist", context={"id": [rule_id]})
    return rule


def update_rule(session: Session, rule_id: str, changes: dict[str, Any]) -> RoutingRule:
    rule = access_rule(session, rule_id)
    current = RuleInput(
        name=rule.name,
        object_type=rule.object_type,
        trigger=rule.trigger,
        trigger_stage=rule.trigger_stage,
        conditions=rule.conditions,
        team=rule.team_id,
        method=rule.method,
        overwrite_owner=rule.overwrite_owner,
        active=rule.active,
    )
    merged = RuleInput(**{**current.__dict__, **changes})
    values = _validated(session, merged)
    if values["object_type"] != rule.object_type:
        raise _bad("objectType of a rule cannot change", "objectType", merged.object_type)
    for key, value in values.items():
        setattr(rule, key, value)
    rule.updated_at = utcnow()
    session.flush()
    return rule


def delete_rule(session: Session, rule_id: str) -> None:
    repo.delete_rule(session, access_rule(session, rule_id))


def reorder_rules(session: Session, object_type: Any, order: Any) -> list[RoutingRule]:
    if object_type not in ROUTED_TYPES:
        raise _bad(
            f"objectType must be one of {', '.join(ROUTED_TYPES)}", "objectType", object_type
        )
    rules = {str(r.id): r for r in repo.list_rules(session, object_type)}
    if not isinstance(order, list) or sorted(str(v) for v in order) != sorted(rules):
        raise _bad("order must list every rule id of the object type exactly once", "order")
    for position, rule_id in enumerate(order):
        rules[str(rule_id)].position = position
    session.flush()
    return repo.list_rules(session, object_type)


def set_availability(session: Session, owner_id: str, available: Any) -> Any:
    if not isinstance(available, bool):
        raise _bad("available must be true or false", "available", available)
    ident = parse_id(owner_id)
    user = auth_service.get_user(session, ident) if ident is not None else None
    if user is None or user.archived:
        raise NotFound(f"Owner {owner_id} does not exist", context={"id": [owner_id]})
    user.available = available
    user.updated_at = utcnow()
    session.flush()
    return user


# --- routing records as they are written ------------------------------------------------------


def _matches(value: Any, cond: dict[str, Any], prop_type: str) -> bool:
    operator = cond["operator"]
    shown = None if value is None else format_value(value, prop_type)
    present = shown not in (None, "")
    if operator == "HAS_PROPERTY":
        return present
    if operator == "NOT_HAS_PROPERTY":
        return not present
    if not present:
        return operator in ("NEQ", "NOT_IN")
    assert shown is not None
    if operator in _ORDERED:
        try:
            if prop_type == "number":
                left: Any = Decimal(shown)
                right: Any = Decimal(cond["value"])
            else:
                left, right = shown, cond["value"]
        except InvalidOperation:
            return False
        outcome: bool = {
            "GT": left > right,
            "GTE": left >= right,
            "LT": left < right,
            "LTE": left <= right,
        }[operator]
        return outcome
    wanted = [v.lower() for v in cond.get("values", [cond.get("value", "")])]
    hit = shown.lower() in wanted
    return hit if operator in ("EQ", "IN") else not hit


def route(
    session: Session,
    ot: ObjectType,
    changes: Sequence[StoredChange],
    at: datetime,
    source: WriteSource,
) -> dict[int, int]:
    """Assign owners to the records of ``changes`` (just created, or whose lifecycle stage
    just changed, whoever changed it) that a rule picks up. Rules read the records as stored.
    Returns ``{record id: owner id}`` of the assignments made."""
    if ot.name not in ROUTED_TYPES or not changes:
        return {}
    rules = [r for r in repo.list_rules(session, ot.name) if r.active]
    if not rules:
        return {}
    catalog = properties.load_catalog(session, ot)
    rows = records_repo.rows_by_id(session, ot, [c.record_id for c in changes], archived=False)
    values: dict[int, dict[str, Any]] = {}
    events: dict[int, set[str]] = {}
    for change in changes:
        row = rows.get(change.record_id)
        if row is None:
            continue
        values[change.record_id] = _values_of(catalog, row)
        kinds = set()
        if change.before is None:
            kinds.add("created")
        if change.changed.get("lifecyclestage"):
            kinds.add(f"stage:{change.changed['lifecyclestage']}")
        events[change.record_id] = kinds
    company_values = _primary_company_values(session, ot, list(values), rules)
    catalogs = (catalog, properties.load_catalog(session, COMPANIES))

    picked: dict[int, list[int]] = defaultdict(list)  # rule id -> records, in write order
    chosen: dict[int, RoutingRule] = {}
    for record_id, merged in values.items():
        for rule in rules:
            wanted = "created" if rule.trigger == "created" else f"stage:{rule.trigger_stage}"
            if wanted not in events[record_id]:
                continue
            if merged.get("hubspot_owner_id") is not None and not rule.overwrite_owner:
                continue
            if all(
                _condition_holds(catalogs, cond, merged, company_values.get(record_id))
                for cond in rule.conditions
            ):
                picked[rule.id].append(record_id)
                chosen[rule.id] = rule
                break
    assignments: dict[int, int] = {}
    history: list[dict[str, Any]] = []
    for rule_id, record_ids in picked.items():
        rule = repo.get_rule(session, rule_id, lock=True) or chosen[rule_id]
        owners = _owners_for(session, rule, len(record_ids))
        for record_id, owner in zip(record_ids, owners, strict=False):
            assignments[record_id] = owner
            history.append(
                {
                    "object_type": ot.name,
                    "record_id": record_id,
                    "name": "hubspot_owner_id",
                    "value": str(owner),
                    "changed_at": at,
                    "source_type": "AUTOMATION",
                    "source_id": f"routing:{rule.id}",
                    "updated_by_user_id": source.user_id,
                }
            )
    if assignments:
        repo.set_owners(session, ot, assignments, at, history)
    return assignments


def _condition_holds(
    catalogs: tuple[Catalog, Catalog],
    cond: dict[str, Any],
    merged: dict[str, Any],
    company: dict[str, Any] | None,
) -> bool:
    """``catalogs``: the record's and the companies' property catalogs."""
    name = cond["propertyName"]
    if name.startswith(COMPANY_PREFIX):
        prop_name = name[len(COMPANY_PREFIX) :]
        prop = catalogs[1].get(prop_name)
        value = None if company is None else company.get(prop_name)
        return _matches(value, cond, prop.type if prop else "string")
    prop = catalogs[0].get(name)
    return _matches(merged.get(name), cond, prop.type if prop else "string")


def _values_of(catalog: Catalog, row: Any) -> dict[str, Any]:
    """A stored row's property values by name (as the record now holds them)."""
    custom = row["custom"] or {}
    return {
        name: row[prop.column] if prop.column else custom.get(name)
        for name, prop in catalog.by_name.items()
    }


def _primary_company_values(
    session: Session, ot: ObjectType, record_ids: list[int], rules: list[RoutingRule]
) -> dict[int, dict[str, Any]]:
    """For contacts whose rules look at ``company.*``: their primary company's values."""
    needs = any(c["propertyName"].startswith(COMPANY_PREFIX) for r in rules for c in r.conditions)
    if ot.name != CONTACTS.name or not needs:
        return {}
    links = repo.primary_company_ids(session, record_ids)
    rows = records_repo.rows_by_id(session, COMPANIES, sorted(set(links.values())), archived=False)
    catalog = properties.load_catalog(session, COMPANIES)
    out: dict[int, dict[str, Any]] = {}
    for contact_id, company_id in links.items():
        row = rows.get(company_id)
        if row is None:
            continue
        out[contact_id] = _values_of(catalog, row)
    return out


def _owners_for(session: Session, rule: RoutingRule, count: int) -> list[int]:
    """``count`` owners from the rule's team, in turn."""
    members = repo.available_members(session, rule.team_id)
    if not members:
        return []
    owners: list[int] = []
    if rule.method == "round_robin":
        last = rule.last_assigned_user_id
        start = next((i for i, m in enumerate(members) if last is not None and m > last), 0)
        for k in range(count):
            owners.append(members[(start + k) % len(members)])
        rule.last_assigned_user_id = owners[-1]
        session.flush()
        return owners
    config = lead_status.load_config(session)
    open_statuses = [
        s.value
        for s in lead_status.list_statuses(session)
        if config.group_of(s.value) in ("open", "working")
    ]
    load = repo.open_lead_counts(session, members, open_statuses)
    for _ in range(count):
        owner = min(members, key=lambda m: (load.get(m, 0), m))
        owners.append(owner)
        load[owner] = load.get(owner, 0) + 1
    return owners


# --- workload -------------------------------------------------------------------------------


@dataclass
class Workload:
    owner_id: int
    open_leads: dict[str, int]
    open_leads_total: int
    open_deals: dict[str, dict[str, Any]]  # "pipeline/stage" -> count, amount
    open_deals_total: int
    open_amount: Decimal


def workload(session: Session) -> list[Workload]:
    """Per owner: open leads (owned contacts in an open or working lead status) per status,
    and open deals per pipeline stage with their amount."""
    config = lead_status.load_config(session)
    out: dict[int, Workload] = {}

    def of(owner: int) -> Workload:
        if owner not in out:
            out[owner] = Workload(owner, {}, 0, {}, 0, Decimal(0))
        return out[owner]

    for owner, status, count in repo.contact_workload(session):
        if status is None or config.group_of(status) not in ("open", "working"):
            continue
        w = of(owner)
        w.open_leads[status] = count
        w.open_leads_total += count
    for owner, pipeline, stage, count, amount in repo.deal_workload(session):
        w = of(owner)
        amount = Decimal(str(amount or 0))
        w.open_deals[f"{pipeline}/{stage}"] = {"count": count, "amount": amount}
        w.open_deals_total += count
        w.open_amount += amount
    return sorted(out.values(), key=lambda w: w.owner_id)
