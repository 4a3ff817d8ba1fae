"""All SQL for users, teams and tokens."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from revline.models import ApiToken, Team, TeamMember, User


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(func.lower(User.email) == email.lower())).first()


def list_users(
    session: Session, *, archived: bool, after_id: int | None, limit: int, email: str | None
) -> Sequence[User]:
    stmt = select(User).where(User.archived.is_(archived))
    if after_id is not None:
        stmt = stmt.where(User.id > after_id)
    if email is not None:
        stmt = stmt.where(func.lower(User.email) == email.lower())
    return session.scalars(stmt.order_by(User.id).limit(limit)).all()


def existing_user_ids(session: Session, ids: Sequence[int]) -> set[int]:
    if not ids:
        return set()
    rows = session.execute(select(User.id).where(User.id.in_(ids), User.archived.is_(False)))
    return {r[0] for r in rows}


def add(session: Session, obj: User | ApiToken | Team | TeamMember) -> None:
    session.add(obj)
    session.flush()


def get_team_by_name(session: Session, name: str) -> Team | None:
    return session.scalars(select(Team).where(Team.name == name)).first()


def teams_of(session: Session, user_ids: Sequence[int]) -> dict[int, list[tuple[Team, bool]]]:
    out: dict[int, list[tuple[Team, bool]]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return out
    rows = session.execute(
        select(TeamMember.user_id, Team, TeamMember.is_primary)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.user_id.in_(user_ids))
        .order_by(Team.id)
    ).all()
    for user_id, team, primary in rows:
        out[user_id].append((team, primary))
    return out


def get_token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash)).first()


def list_tokens(session: Session) -> Sequence[ApiToken]:
    return session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
