"""All SQL of the predictive score: the stored model versions, the reads that build feature
rows (contact and primary-company values, daily event counts, engagement counts, first
values in property history) and the set-based writes of scores and their history."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, Table, case, false, func, select, update
from sqlalchemy.orm import Session, defer

from revline.crm.associations.types import HUBSPOT_DEFINED, PRIMARY
from revline.crm.object_types import COMPANIES, CONTACTS
from revline.crm.properties.values import format_number
from revline.crm.records.repository import table_for
from revline.kit.db.dialect import in_values, insert_many, key_lock
from revline.models import (
    Association,
    ContactScore,
    Engagement,
    EventDailyCount,
    PredictiveModel,
    PropertyHistory,
    ScoreChange,
)
from revline.scoring import repository as scores_repo

# Contacts per read or write statement: one array parameter on PostgreSQL, a bounded IN
# list on SQLite (far below its limit of 32,766 parameters).
CHUNK = 2_000
PRIMARY_COMPANY_TYPE_ID = PRIMARY[(CONTACTS.name, COMPANIES.name)].type_id
_LOCK = "scoring.predictive.versions"


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


# --- model versions ---------------------------------------------------------------------


def lock_versions(session: Session) -> None:
    """Hold the version counter until the transaction ends (two trainings at once would
    otherwise both take the next version). SQLite's writers are serialised already."""
    statement = key_lock(_dialect(session), _LOCK)
    if statement is not None:
        session.execute(statement)


def next_version(session: Session) -> int:
    current = session.execute(select(func.max(PredictiveModel.version))).scalar_one()
    return int(current or 0) + 1


def add_model(session: Session, model: PredictiveModel) -> None:
    session.add(model)
    session.flush()


def get_model(session: Session, version: int) -> PredictiveModel | None:
    return session.execute(
        select(PredictiveModel).where(PredictiveModel.version == version)
    ).scalar_one_or_none()


def active_model(session: Session) -> PredictiveModel | None:
    return session.execute(
        select(PredictiveModel)
        .where(PredictiveModel.active.is_(True))
        .order_by(PredictiveModel.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def page_models(session: Session, *, before: int | None, limit: int) -> list[PredictiveModel]:
    """Newest first, without loading the artifacts."""
    stmt = select(PredictiveModel).order_by(PredictiveModel.version.desc()).limit(limit)
    if before is not None:
        stmt = stmt.where(PredictiveModel.version < before)
    return list(session.scalars(stmt.options(defer(PredictiveModel.artifact))))


def deactivate_others(session: Session, version: int) -> None:
    session.execute(
        update(PredictiveModel)
        .where(PredictiveModel.version != version, PredictiveModel.active.is_(True))
        .values(active=False)
    )


# --- feature reads ----------------------------------------------------------------------


def live_contact_ids(session: Session) -> list[int]:
    contacts = table_for(CONTACTS)
    rows = session.execute(
        select(contacts.c.id).where(contacts.c.archived == false()).order_by(contacts.c.id)
    )
    return [int(r[0]) for r in rows]


def contact_rows(session: Session, ids: Sequence[int], columns: Sequence[str]) -> list[RowMapping]:
    """``id``, the typed ``columns`` and the ``custom`` document of some contacts."""
    contacts = table_for(CONTACTS)
    wanted = [contacts.c[c] for c in dict.fromkeys(columns) if c not in ("id", "custom")]
    return list(
        session.execute(
            select(contacts.c.id, contacts.c.custom, *wanted).where(
                in_values(_dialect(session), contacts.c.id, ids)
            )
        ).mappings()
    )


def primary_company_rows(
    session: Session, contact_ids: Sequence[int], columns: Sequence[str]
) -> list[RowMapping]:
    """``contact_id``, the typed ``columns`` and ``custom`` of each contact's live primary
    company."""
    companies = table_for(COMPANIES)
    a = Association
    wanted = [companies.c[c] for c in dict.fromkeys(columns) if c not in ("id", "custom")]
    return list(
        session.execute(
            select(a.from_id.label("contact_id"), companies.c.custom, *wanted)
            .join(companies, companies.c.id == a.to_id)
            .where(
                a.from_type == CONTACTS.name,
                a.to_type == COMPANIES.name,
                a.category == HUBSPOT_DEFINED,
                a.type_id == PRIMARY_COMPANY_TYPE_ID,
                a.archived == false(),
                companies.c.archived == false(),
                in_values(_dialect(session), a.from_id, contact_ids),
            )
        ).mappings()
    )


def event_counts(
    session: Session,
    contact_ids: Sequence[int],
    event_types: Sequence[str],
    before: date,
    windows: Sequence[int],
) -> list[tuple[int, str, list[int], int]]:
    """(contact, event type, count in each of the last ``windows`` days, total) over the days
    before ``before``, from the daily counts (they outlive raw-event retention)."""
    if not event_types:
        return []
    d = EventDailyCount
    windowed = [
        func.sum(case((d.day >= before - timedelta(days=w), d.count), else_=0)) for w in windows
    ]
    rows = session.execute(
        select(d.contact_id, d.event_type, *windowed, func.sum(d.count))
        .where(
            in_values(_dialect(session), d.contact_id, contact_ids),
            d.event_type.in_(list(event_types)),
            d.day < before,
        )
        .group_by(d.contact_id, d.event_type)
    )
    return [
        (int(r[0]), str(r[1]), [int(v or 0) for v in r[2 : 2 + len(windows)]], int(r[-1] or 0))
        for r in rows
    ]


def engagement_counts(
    session: Session, contact_ids: Sequence[int], types: Sequence[str], before: datetime
) -> list[tuple[int, str, int]]:
    """(contact, engagement type, how many live engagements of that type are linked to it
    with their activity date, else creation, before ``before``)."""
    if not types:
        return []
    engagements: Table = Engagement.__table__  # type: ignore[assignment]
    a = Association
    when = func.coalesce(engagements.c.hs_timestamp, engagements.c.created_at)
    rows = session.execute(
        select(a.from_id, a.to_type, func.count(func.distinct(engagements.c.id)))
        .join(engagements, engagements.c.id == a.to_id)
        .where(
            a.from_type == CONTACTS.name,
            a.to_type.in_(list(types)),
            a.archived == false(),
            engagements.c.archived == false(),
            when < before,
            in_values(_dialect(session), a.from_id, contact_ids),
        )
        .group_by(a.from_id, a.to_type)
    )
    return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]


def first_values(
    session: Session, contact_ids: Sequence[int], names: Sequence[str]
) -> list[tuple[int, str, datetime]]:
    """(contact, property, when it first got a non-empty value) from property history."""
    if not names:
        return []
    h = PropertyHistory
    rows = session.execute(
        select(h.record_id, h.name, func.min(h.changed_at))
        .where(
            h.object_type == CONTACTS.name,
            in_values(_dialect(session), h.record_id, contact_ids),
            h.name.in_(list(names)),
            h.value.is_not(None),
            h.value != "",
        )
        .group_by(h.record_id, h.name)
    )
    return [(int(r[0]), str(r[1]), r[2]) for r in rows]


def first_history(session: Session, contact_ids: Sequence[int]) -> dict[int, datetime]:
    """When each contact's property history begins (it was created in, or imported into,
    Revline then)."""
    h = PropertyHistory
    rows = session.execute(
        select(h.record_id, func.min(h.changed_at))
        .where(
            h.object_type == CONTACTS.name,
            in_values(_dialect(session), h.record_id, contact_ids),
        )
        .group_by(h.record_id)
    )
    return {int(r[0]): r[1] for r in rows}


# --- scores -----------------------------------------------------------------------------


def current_scores(
    session: Session, ids: Sequence[int], score_key: str, tier_key: str
) -> dict[int, tuple[str | None, str | None]]:
    """The score and tier each contact among ``ids`` holds now (API strings). They are kept
    in ``contact_scores`` under the score property, the tier as its label."""
    s = ContactScore
    rows = session.execute(
        select(s.contact_id, s.score, s.label).where(
            s.score_property == score_key, in_values(_dialect(session), s.contact_id, ids)
        )
    )
    return {int(r[0]): (format_number(r[1]), r[2]) for r in rows}


def write_scores(
    session: Session, values: Sequence[tuple[int, str, str]], score_key: str, tier_key: str
) -> None:
    """Set the score and tier of many contacts (the tier is the score's label in
    ``contact_scores``; ``crm.records.scores`` reads it as ``tier_key``)."""
    scores_repo.write_scores(session, score_key, values)


def add_score_changes(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    table: Table = ScoreChange.__table__  # type: ignore[assignment]
    for start in range(0, len(rows), CHUNK):
        insert_many(session.connection(), table, rows[start : start + CHUNK])
