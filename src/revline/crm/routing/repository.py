"""All SQL of owner routing and the workload view."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from revline.crm.object_types import CONTACTS, DEALS
from revline.crm.records import repository as records_repo
from revline.models import Association, RoutingRule, TeamMember, User


def list_rules(session: Session, object_type: str | None = None) -> list[RoutingRule]:
    stmt = select(RoutingRule)
    if object_type is not None:
        stmt = stmt.where(RoutingRule.object_type == object_type)
    return list(session.scalars(stmt.order_by(RoutingRule.position, RoutingRule.id)))


def get_rule(session: Session, rule_id: int, *, lock: bool = False) -> RoutingRule | None:
    return session.get(RoutingRule, rule_id, with_for_update=lock)


def add_rule(session: Session, rule: RoutingRule) -> None:
    session.add(rule)
    session.flush()


def delete_rule(session: Session, rule: RoutingRule) -> None:
    session.delete(rule)
    session.flush()


def next_position(session: Session, object_type: str) -> int:
    value = session.scalar(
        select(func.max(RoutingRule.position)).where(RoutingRule.object_type == object_type)
    )
    return 0 if value is None else int(value) + 1


def available_members(session: Session, team_id: int) -> list[int]:
    """Ids of the team's members who are neither archived nor unavailable, in id order."""
    rows = session.execute(
        select(User.id)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(
            TeamMember.team_id == team_id,
            User.archived == false(),
            User.available.is_(True),
        )
        .order_by(User.id)
    )
    return [int(r[0]) for r in rows]


def open_lead_counts(
    session: Session, owner_ids: Collection[int], open_statuses: Collection[str]
) -> dict[int, int]:
    """Live contacts per owner whose lead status is one of ``open_statuses``."""
    if not owner_ids or not open_statuses:
        return {}
    table = records_repo.table_for(CONTACTS)
    rows = session.execute(
        select(table.c.hubspot_owner_id, func.count())
        .where(
            records_repo.live(table),
            table.c.hubspot_owner_id.in_(list(owner_ids)),
            table.c.hs_lead_status.in_(list(open_statuses)),
        )
        .group_by(table.c.hubspot_owner_id)
    )
    return {int(r[0]): int(r[1]) for r in rows}


def primary_company_ids(session: Session, contact_ids: Sequence[int]) -> dict[int, int]:
    """The primary company of each contact that has one (association type 1)."""
    if not contact_ids:
        return {}
    rows = session.execute(
        select(Association.from_id, Association.to_id).where(
            Association.from_type == "contacts",
            Association.from_id.in_(list(contact_ids)),
            Association.to_type == "companies",
            Association.type_id == 1,
            Association.archived == false(),
        )
    )
    return {int(a): int(b) for a, b in rows}


def contact_workload(session: Session) -> list[tuple[int, str | None, int]]:
    """(owner, lead status, live contacts) for every owned contact."""
    table = records_repo.table_for(CONTACTS)
    rows = session.execute(
        select(table.c.hubspot_owner_id, table.c.hs_lead_status, func.count())
        .where(records_repo.live(table), table.c.hubspot_owner_id.is_not(None))
        .group_by(table.c.hubspot_owner_id, table.c.hs_lead_status)
    )
    return [(int(r[0]), r[1], int(r[2])) for r in rows]


def deal_workload(session: Session) -> list[tuple[int, str | None, str | None, int, Any]]:
    """(owner, pipeline, stage, open deals, their amount) for every owned open deal."""
    table = records_repo.table_for(DEALS)
    rows = session.execute(
        select(
            table.c.hubspot_owner_id,
            table.c.pipeline,
            table.c.dealstage,
            func.count(),
            func.sum(table.c.amount),
        )
        .where(
            records_repo.live(table),
            table.c.hubspot_owner_id.is_not(None),
            or_(table.c.hs_is_closed.is_(None), table.c.hs_is_closed == false()),
        )
        .group_by(table.c.hubspot_owner_id, table.c.pipeline, table.c.dealstage)
    )
    return [(int(r[0]), r[1], r[2], int(r[3]), r[4]) for r in rows]


def set_owners(
    session: Session,
    object_type: Any,
    assignments: dict[int, int],
    at: datetime,
    history: list[dict[str, Any]],
) -> None:
    records_repo.update_rows(
        session,
        object_type,
        [
            (rid, {"hubspot_owner_id": owner, "updated_at": at})
            for rid, owner in assignments.items()
        ],
    )
    records_repo.insert_history(session, history)
