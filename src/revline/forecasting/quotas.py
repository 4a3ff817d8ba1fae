"""Quotas: a revenue target in the home currency for an owner or a team over a month or a
quarter, and how the quota of a subject for a period is worked out from the stored rows.

A quarter's quota is the subject's quarter row when there is one, else the sum of its month
rows in that quarter. A month's quota is its month row only (a quarter row is not split).
A team's quota is the team's own row when there is one, else the sum of the quotas of the
owners whose primary team it is."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from revline.auth import service as auth_service
from revline.errors import ErrorDetail, NotFound, ValidationError
from revline.forecasting import repository as repo
from revline.forecasting.periods import Period, of_kind, parse_period
from revline.kit.pagination import parse_id
from revline.kit.time import utcnow
from revline.models import Quota

# REAL on SQLite keeps about 15 significant digits: amounts below 10^13 stay exact to cents.
MAX_AMOUNT = Decimal("1e13")
MAX_LISTED_ERRORS = 100


def _bad(message: str, field: str, value: str, code: str = "INVALID_INPUT") -> ValidationError:
    return ValidationError(message, errors=[ErrorDetail(message, code, {field: [value]})])


def parse_amount(raw: Any, field: str = "amount") -> Decimal:
    """A non-negative amount with at most two decimals, as a string or a JSON number."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        raise _bad(f'{field} must be a number, like "150000"', field, repr(raw))
    text = str(raw).strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise _bad(f"{field} must be a number, not '{text}'", field, text)
    if value < 0:
        raise _bad(f"{field} must not be negative, got {text}", field, text, "NEGATIVE_AMOUNT")
    if value >= MAX_AMOUNT:
        raise _bad(f"{field} must be below 10^13, got {text}", field, text)
    if value != value.quantize(Decimal("0.01")):
        raise _bad(f"{field} has more than two decimals: {text}", field, text)
    return value.quantize(Decimal("0.01"))


@dataclass(frozen=True)
class QuotaView:
    id: int
    subject_type: str
    subject_id: int
    period: Period
    amount: Decimal
    quota: Quota


def _view(row: Quota) -> QuotaView:
    return QuotaView(
        row.id,
        row.subject_type,
        row.subject_id,
        of_kind(row.period_kind, row.period_start),
        row.amount,
        row,
    )


def _subject(session: Session, owner_id: Any, team_id: Any) -> tuple[str, int]:
    given = [(n, v) for n, v in (("ownerId", owner_id), ("teamId", team_id)) if v is not None]
    if len(given) != 1:
        message = "Give exactly one of ownerId and teamId"
        raise ValidationError(
            message,
            errors=[
                ErrorDetail(message, "INVALID_SUBJECT", {"ownerId": [str(owner_id)]}),
                ErrorDetail(message, "INVALID_SUBJECT", {"teamId": [str(team_id)]}),
            ],
        )
    field, raw = given[0]
    ident = (
        parse_id(str(raw)) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else None
    )
    if field == "ownerId":
        if ident is None or not repo.live_user_ids(session, [ident]):
            raise _bad(f"Owner {raw} does not exist", field, str(raw), "UNKNOWN_OWNER")
        return "owner", ident
    if ident is None or not repo.team_ids(session, [ident]):
        raise _bad(f"Team {raw} does not exist", field, str(raw), "UNKNOWN_TEAM")
    return "team", ident


def set_quota(session: Session, body: Any) -> QuotaView:
    """Create or replace the quota of one owner or team for one month or quarter."""
    if not isinstance(body, dict):
        raise _bad("The body must be a JSON object", "body", type(body).__name__)
    subject_type, subject_id = _subject(session, body.get("ownerId"), body.get("teamId"))
    period = parse_period(body.get("period"))
    amount = parse_amount(body.get("amount"))
    return _store(session, subject_type, subject_id, period, amount)


def _store(
    session: Session, subject_type: str, subject_id: int, period: Period, amount: Decimal
) -> QuotaView:
    now = utcnow()
    row = repo.find_quota(session, subject_type, subject_id, period.kind, period.start)
    if row is None:
        row = Quota(
            subject_type=subject_type,
            subject_id=subject_id,
            period_kind=period.kind,
            period_start=period.start,
            amount=amount,
            created_at=now,
            updated_at=now,
        )
        repo.add_quota(session, row)
    else:
        row.amount = amount
        row.updated_at = now
        session.flush()
    return _view(row)


def list_quotas(
    session: Session,
    *,
    period: str | None = None,
    owner_id: str | None = None,
    team_id: str | None = None,
) -> list[QuotaView]:
    """Stored quota rows; with a period, the rows of that period and (for a quarter) of its
    months."""
    if owner_id is not None and team_id is not None:
        raise _bad("Filter by ownerId or by teamId, not both", "teamId", team_id)
    found = parse_period(period) if period is not None else None
    subject_type, subject_id = None, None
    for kind, raw, field in (("owner", owner_id, "ownerId"), ("team", team_id, "teamId")):
        if raw is not None:
            subject_type, subject_id = kind, parse_id(raw)
            if subject_id is None:
                raise _bad(f"{field} must be an id, not '{raw}'", field, raw)
    rows = repo.list_quotas(
        session,
        kind=None,
        start=found.start if found else None,
        end=found.end if found else None,
        subject_type=subject_type,
        subject_id=subject_id,
    )
    if found is not None and found.kind == "month":
        rows = [r for r in rows if r.period_kind == "month"]
    return [_view(r) for r in rows]


def delete_quota(session: Session, quota_id: str) -> None:
    ident = parse_id(quota_id)
    row = repo.get_quota(session, ident) if ident is not None else None
    if row is None:
        raise NotFound(f"Quota {quota_id} does not exist", context={"id": [quota_id]})
    repo.delete_quota(session, row)


# --- the CLI's ways to name subjects --------------------------------------------------------


def set_quota_by_name(
    session: Session, *, owner: str | None, team: str | None, period: str, amount: str
) -> QuotaView:
    """``owner`` is an id or an email, ``team`` a team name."""
    body = {
        # An unknown email or team name is passed on as given, to be refused by name.
        "ownerId": None if owner is None else _owner_id(session, owner) or owner,
        "teamId": None if team is None else _team_id(session, team) or team,
        "period": period,
        "amount": amount,
    }
    return set_quota(session, body)


def _owner_id(session: Session, owner: str) -> str | None:
    if "@" in owner:
        user = auth_service.get_user_by_email(session, owner.strip())
        return None if user is None else str(user.id)
    return owner


def _team_id(session: Session, name: str) -> str | None:
    found = auth_service.get_team_by_name(session, name.strip())
    return None if found is None else str(found.id)


def load_quotas_csv(session: Session, text: str) -> int:
    """Store every row of a CSV (``owner_email`` or ``team``, ``period``, ``amount``), or none
    of them: any bad row refuses the whole file, naming each bad row."""
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or [])
    if not {"period", "amount"} <= columns or not columns & {"owner_email", "team"}:
        raise _bad(
            "The CSV needs the columns owner_email or team, period and amount",
            "file",
            ",".join(reader.fieldnames or []),
        )
    problems: list[ErrorDetail] = []
    parsed: list[tuple[str, int, Period, Decimal]] = []
    for line, row in enumerate(reader, start=2):
        try:
            parsed.append(_csv_row(session, row))
        except ValidationError as error:
            problems.append(
                ErrorDetail(f"line {line}: {error.message}", "INVALID_ROW", {"line": [str(line)]})
            )
    if problems:
        shown = problems[:MAX_LISTED_ERRORS]
        raise ValidationError(
            f"{len(problems)} bad row(s); nothing was stored: "
            + "; ".join(p.message for p in shown),
            errors=shown,
        )
    for subject_type, subject_id, period, amount in parsed:
        _store(session, subject_type, subject_id, period, amount)
    return len(parsed)


def _csv_row(session: Session, row: dict[str, Any]) -> tuple[str, int, Period, Decimal]:
    email = (row.get("owner_email") or "").strip()
    team = (row.get("team") or "").strip()
    if bool(email) == bool(team):
        raise ValidationError("give exactly one of owner_email and team")
    if email:
        user = auth_service.get_user_by_email(session, email)
        if user is None or user.archived:
            raise ValidationError(f"no owner with email {email}")
        subject: tuple[str, int] = ("owner", user.id)
    else:
        found = auth_service.get_team_by_name(session, team)
        if found is None:
            raise ValidationError(f"no team named {team}")
        subject = ("team", found.id)
    period = parse_period(row.get("period"))
    amount = parse_amount(row.get("amount"))
    return subject[0], subject[1], period, amount


# --- the quota of a subject for a period ----------------------------------------------------


@dataclass(frozen=True)
class QuotaBook:
    """The quotas of every owner and team for one period, resolved by the rules above."""

    owners: dict[int, Decimal]
    teams: dict[int, Decimal]
    # Owner -> primary team; owners without one count toward the company total on their own.
    primary_team: dict[int, int]

    def company(self) -> Decimal | None:
        """Every team's quota plus the quotas of owners in no primary team."""
        parts = list(self.teams.values()) + [
            amount for owner, amount in self.owners.items() if owner not in self.primary_team
        ]
        return sum(parts, Decimal(0)) if parts else None


def _resolve(rows: Iterable[Quota], period: Period) -> dict[int, Decimal]:
    quarter_rows: dict[int, Decimal] = {}
    month_rows: dict[int, Decimal] = {}
    for row in rows:
        if row.period_kind == "quarter" and row.period_start == period.start:
            quarter_rows[row.subject_id] = row.amount
        elif row.period_kind == "month" and period.contains(row.period_start):
            month_rows[row.subject_id] = month_rows.get(row.subject_id, Decimal(0)) + row.amount
    if period.kind == "month":
        return month_rows
    return {**month_rows, **quarter_rows}


def quota_book(session: Session, period: Period) -> QuotaBook:
    rows: Sequence[Quota] = repo.list_quotas(
        session, kind=None, start=period.start, end=period.end, subject_type=None, subject_id=None
    )
    owners = _resolve((r for r in rows if r.subject_type == "owner"), period)
    teams = _resolve((r for r in rows if r.subject_type == "team"), period)
    primary = repo.primary_teams(session)
    from_members: dict[int, Decimal] = {}
    for owner, amount in owners.items():
        team = primary.get(owner)
        if team is not None:
            from_members[team] = from_members.get(team, Decimal(0)) + amount
    return QuotaBook(owners, {**from_members, **teams}, primary)
