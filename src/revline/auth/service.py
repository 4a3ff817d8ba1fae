"""Users, teams and API tokens. Tokens are shown once and stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from revline.auth import repository as repo
from revline.errors import Conflict, ErrorDetail, NotFound, Unauthorized, ValidationError
from revline.kit.time import utcnow
from revline.kit.validation import is_storable
from revline.models import ApiToken, Team, TeamMember, User

TOKEN_PREFIX = "pat-rl1-"
OWNER_TYPES = ("PERSON", "QUEUE")
ROLES = ("admin", "sales_manager", "sales_rep", "marketing")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Touching last_used_at on every request would make every read a write.
_LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class IssuedToken:
    id: int
    name: str
    token: str  # the only time the secret is visible


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token and, when the token belongs to one, the user."""

    token_id: int
    token_name: str
    user_id: int | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    *,
    email: str,
    first_name: str | None = None,
    last_name: str | None = None,
    role: str = "sales_rep",
    owner_type: str = "PERSON",
    team: str | None = None,
) -> User:
    email = email.strip().lower()
    if not _EMAIL.match(email) or not is_storable(email):
        raise ValidationError(
            f"'{email}' is not a valid email address",
            errors=[ErrorDetail("invalid email", "INVALID_EMAIL", {"email": [email]})],
        )
    if role not in ROLES:
        raise ValidationError(
            f"role must be one of {', '.join(ROLES)}",
            errors=[ErrorDetail("invalid role", "INVALID_ROLE", {"role": [role]})],
        )
    if owner_type not in OWNER_TYPES:
        raise ValidationError(
            "type must be PERSON or QUEUE",
            errors=[ErrorDetail("invalid owner type", "INVALID_TYPE", {"type": [owner_type]})],
        )
    existing = repo.get_user_by_email(session, email)
    if existing is not None:
        raise Conflict(
            f"A user with email {email} already exists. Existing ID: {existing.id}",
            context={"email": [email]},
        )
    now = utcnow()
    user = User(
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        owner_type=owner_type,
        created_at=now,
        updated_at=now,
    )
    repo.add(session, user)
    if team:
        add_to_team(session, user, team, primary=True)
    return user


def add_to_team(session: Session, user: User, team_name: str, *, primary: bool) -> Team:
    team = repo.get_team_by_name(session, team_name)
    if team is None:
        team = Team(name=team_name, created_at=utcnow())
        repo.add(session, team)
    repo.add(session, TeamMember(team_id=team.id, user_id=user.id, is_primary=primary))
    return team


def get_user(session: Session, user_id: int) -> User | None:
    return repo.get_user(session, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return repo.get_user_by_email(session, email) if is_storable(email) else None


def list_users(
    session: Session, *, archived: bool, after_id: int | None, limit: int, email: str | None
) -> Sequence[User]:
    if email is not None and not is_storable(email):
        return []  # PostgreSQL refuses to compare with text holding NUL; no email holds one
    return repo.list_users(session, archived=archived, after_id=after_id, limit=limit, email=email)


def active_user_ids(session: Session, ids: Sequence[int]) -> set[int]:
    return repo.existing_user_ids(session, ids)


def teams_of(session: Session, user_ids: Sequence[int]) -> dict[int, list[tuple[Team, bool]]]:
    return repo.teams_of(session, user_ids)


def create_token(session: Session, *, name: str, user_id: int | None = None) -> IssuedToken:
    name = name.strip()
    if not name:
        raise ValidationError(
            "A token needs a name", errors=[ErrorDetail("empty name", "REQUIRED", {"name": [""]})]
        )
    if user_id is not None and repo.get_user(session, user_id) is None:
        raise NotFound(f"User {user_id} does not exist", context={"userId": [str(user_id)]})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(secret),
        user_id=user_id,
        created_at=utcnow(),
    )
    repo.add(session, row)
    return IssuedToken(id=row.id, name=row.name, token=secret)


def list_tokens(session: Session) -> Sequence[ApiToken]:
    return repo.list_tokens(session)


def authenticate(session: Session, authorization: str | None) -> Principal:
    """Check an ``Authorization: Bearer <token>`` header value; 401 when it does not pass."""
    if not authorization:
        raise Unauthorized(
            "Authentication credentials not found. Send 'Authorization: Bearer <token>'; "
            "create a token with `revline tokens create --name NAME`.",
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
    row = repo.get_token_by_hash(session, hash_token(token.strip()))
    if row is None or row.revoked_at is not None:
        raise Unauthorized(
            "The OAuth token used to make this call expired or is not valid.",
            sub_category="INVALID_TOKEN",
        )
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > _LAST_USED_RESOLUTION:
        row.last_used_at = now
    return Principal(token_id=row.id, token_name=row.name, user_id=row.user_id)


def revoke_token(session: Session, token_id: int) -> None:
    for row in repo.list_tokens(session):
        if row.id == token_id:
            row.revoked_at = utcnow()
            session.flush()
            return
    raise NotFound(f"Token {token_id} does not exist", context={"tokenId": [str(token_id)]})


def get_team(session: Session, team_id: int) -> Team | None:
    return session.get(Team, team_id)


def get_team_by_name(session: Session, name: str) -> Team | None:
    return repo.get_team_by_name(session, name) if is_storable(name) else None
