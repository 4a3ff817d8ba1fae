"""Owners as the CRM sees them, built from the users of the auth domain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from revline.auth import service as auth_service
from revline.errors import NotFound, ValidationError
from revline.kit.pagination import Page, paginate, parse_after, parse_id
from revline.models import User


@dataclass(frozen=True)
class OwnerTeam:
    id: int
    name: str
    primary: bool


@dataclass(frozen=True)
class Owner:
    id: int
    email: str
    first_name: str | None
    last_name: str | None
    user_id: int
    type: str
    created_at: datetime
    updated_at: datetime
    archived: bool
    teams: list[OwnerTeam]


def _owners(session: Session, users: Sequence[User]) -> list[Owner]:
    teams = auth_service.teams_of(session, [u.id for u in users])
    return [
        Owner(
            id=u.id,
            email=u.email,
            first_name=u.first_name,
            last_name=u.last_name,
            user_id=u.id,
            type=u.owner_type,
            created_at=u.created_at,
            updated_at=u.updated_at,
            archived=u.archived,
            teams=[OwnerTeam(t.id, t.name, primary) for t, primary in teams.get(u.id, [])],
        )
        for u in users
    ]


def list_owners(
    session: Session, *, limit: int, after: str | None, archived: bool, email: str | None
) -> Page[Owner]:
    users = auth_service.list_users(
        session, archived=archived, after_id=parse_after(after), limit=limit + 1, email=email
    )
    page = paginate(list(users), limit, lambda u: str(u.id))
    return Page(items=_owners(session, page.items), next_after=page.next_after)


def access_owner(
    session: Session, owner_id: str, *, id_property: str = "id", archived: bool = False
) -> Owner:
    if id_property not in ("id", "userId"):
        raise ValidationError("idProperty must be 'id' or 'userId'")
    ident = parse_id(owner_id)
    user = auth_service.get_user(session, ident) if ident is not None else None
    if user is None or user.archived != archived:
        raise NotFound(f"Owner {owner_id} does not exist", context={"ownerId": [owner_id]})
    return _owners(session, [user])[0]


def missing_owner_ids(session: Session, ids: Sequence[int]) -> set[int]:
    """The ids among ``ids`` that are not active owners."""
    return set(ids) - auth_service.active_user_ids(session, ids)
