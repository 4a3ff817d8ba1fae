"""SQL of backtests: which population contacts had a property a rule reads change after the
reference date (rules read current values, so those contacts are scored on values they did
not yet hold)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Select, distinct, false, func, literal, select, union
from sqlalchemy.orm import Session

from revline.crm.associations.types import HUBSPOT_DEFINED, PRIMARY
from revline.crm.object_types import COMPANIES, CONTACTS
from revline.models import Association, PropertyHistory

PRIMARY_COMPANY_TYPE_ID = PRIMARY[(CONTACTS.name, COMPANIES.name)].type_id


def _contact_changes(names: Collection[str], since: datetime, population: Any) -> Select[Any]:
    h = PropertyHistory
    columns: list[Any] = [h.record_id.label("contact_id"), h.name.label("name")]
    return select(*columns).where(
        h.object_type == CONTACTS.name,
        h.name.in_(sorted(names)),
        h.changed_at >= since,
        h.record_id.in_(select(population.c.id)),
    )


def _company_changes(names: Collection[str], since: datetime, population: Any) -> Select[Any]:
    """Changes of the population contacts' current primary companies (the company a
    company rule reads), named ``company.<property>``."""
    h = PropertyHistory
    a = Association
    columns: list[Any] = [
        a.from_id.label("contact_id"),
        (literal("company.") + h.name).label("name"),
    ]
    return (
        select(*columns)
        .select_from(h)
        .join(a, a.to_id == h.record_id)
        .where(
            h.object_type == COMPANIES.name,
            h.name.in_(sorted(names)),
            h.changed_at >= since,
            a.from_type == CONTACTS.name,
            a.to_type == COMPANIES.name,
            a.category == HUBSPOT_DEFINED,
            a.type_id == PRIMARY_COMPANY_TYPE_ID,
            a.archived == false(),
            a.from_id.in_(select(population.c.id)),
        )
    )


def changed_since(
    session: Session,
    population: Select[Any],
    *,
    contact_properties: Collection[str],
    company_properties: Collection[str],
    since: datetime,
) -> tuple[dict[str, int], int]:
    """Per property (company ones as ``company.<name>``): how many contacts of
    ``population`` (a ``SELECT id, ...``) have a value change recorded at or after
    ``since``; and how many contacts have at least one such change."""
    if not contact_properties and not company_properties:
        return {}, 0
    pop = population.subquery("population")
    parts: list[Select[Any]] = []
    if contact_properties:
        parts.append(_contact_changes(contact_properties, since, pop))
    if company_properties:
        parts.append(_company_changes(company_properties, since, pop))
    changes = (union(*parts) if len(parts) > 1 else parts[0]).subquery("changes")
    per_name = session.execute(
        select(changes.c.name, func.count(distinct(changes.c.contact_id))).group_by(changes.c.name)
    )
    counts = {str(name): int(n) for name, n in per_name}
    total = session.execute(select(func.count(distinct(changes.c.contact_id)))).scalar_one()
    return counts, int(total)
