"""All SQL of duplicate detection: blocking-key lookups and the streams a scan reads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, false, func, select
from sqlalchemy.orm import Session

from revline.crm import matching
from revline.crm.object_types import DEALS, ObjectType
from revline.crm.records import repository as records_repo
from revline.models import Association

_EXACT_KEYS = {
    "contacts": ("revline_email_key", "revline_phone_key"),
    "companies": ("domain", "revline_name_key", "revline_phone_key"),
    "deals": (),
}
_MATCH_COLUMNS = {
    "contacts": (
        "email",
        "firstname",
        "lastname",
        "phone",
        "mobilephone",
        "company",
        "revline_email_key",
        "revline_phone_key",
        "revline_company_key",
    ),
    "companies": ("name", "domain", "phone", "revline_name_key", "revline_phone_key"),
    "deals": ("dealname", "pipeline", "dealstage", "amount", "revline_name_key"),
}
_CHUNK = 500


def _deal_companies(deals: Table) -> ColumnElement[bool]:
    """Join condition: a deal's live links to companies."""
    return and_(
        Association.from_type == "deals",
        Association.from_id == deals.c.id,
        Association.to_type == "companies",
        Association.archived == false(),
    )


def _table(ot: ObjectType) -> Table:
    return records_repo.table_for(ot)


def duplicate_candidate_ids(
    session: Session, ot: ObjectType, probe: dict[str, Any], *, limit: int
) -> set[int]:
    """Live records sharing a blocking key with ``probe`` (its properties and keys)."""
    table = _table(ot)
    live = records_repo.live(table)
    found: set[int] = set()
    keys: list[tuple[str, Any]] = []
    if ot.name == "contacts":
        keys = [
            ("email", probe.get("email")),
            ("revline_email_key", probe.get("revline_email_key")),
            ("revline_phone_key", probe.get("revline_phone_key")),
            ("revline_company_key", probe.get("revline_company_key")),
        ]
    elif ot.name == "companies":
        keys = [
            ("domain", probe.get("domain")),
            ("revline_name_key", probe.get("revline_name_key")),
            ("revline_phone_key", probe.get("revline_phone_key")),
        ]
    elif not probe.get("companyId"):
        keys = [("revline_name_key", probe.get("revline_name_key"))]
    for column, value in keys:
        if not value:
            continue
        rows = session.execute(
            select(table.c.id).where(live, table.c[column] == value).limit(limit)
        )
        found.update(int(r[0]) for r in rows)
    if ot.name == "deals" and probe.get("companyId") and probe.get("pipeline"):
        rows = session.execute(
            select(table.c.id)
            .join(Association, _deal_companies(table))
            .where(
                live,
                Association.to_id == int(probe["companyId"]),
                table.c.pipeline == probe["pipeline"],
            )
            .limit(limit)
        )
        found.update(int(r[0]) for r in rows)
    return found


def match_rows(session: Session, ot: ObjectType, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The values duplicate scoring reads, for some live records."""
    table = _table(ot)
    columns = [table.c.id, *(table.c[c] for c in _MATCH_COLUMNS[ot.name])]
    out: list[dict[str, Any]] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        rows = session.execute(
            select(*columns).where(table.c.id.in_(chunk), records_repo.live(table))
        ).mappings()
        out.extend(dict(r) for r in rows)
    return out


def exact_blocks(session: Session, ot: ObjectType, *, max_block: int) -> Iterator[list[int]]:
    """Groups of live record ids sharing one exact key value (2 to ``max_block`` members)."""
    table = _table(ot)
    live = records_repo.live(table)
    for column in _EXACT_KEYS[ot.name]:
        key = table.c[column]
        shared = (
            select(key)
            .where(live, key.is_not(None))
            .group_by(key)
            .having(func.count() > 1, func.count() <= max_block)
        )
        rows = session.execute(
            select(key, table.c.id).where(live, key.in_(shared)).order_by(key, table.c.id)
        )
        yield from _grouped((r[0], int(r[1])) for r in rows)


def _grouped(rows: Iterable[tuple[Any, Any]]) -> Iterator[list[Any]]:
    current: Any = object()
    group: list[Any] = []
    for key, item in rows:
        if key != current:
            if len(group) > 1:
                yield group
            current, group = key, []
        group.append(item)
    if len(group) > 1:
        yield group


def name_blocks(session: Session, ot: ObjectType) -> Iterator[list[tuple[int, str]]]:
    """Contacts sharing a company key, as (id, normalised first and last name)."""
    table = _table(ot)
    rows = session.execute(
        select(table.c.revline_company_key, table.c.id, table.c.firstname, table.c.lastname)
        .where(records_repo.live(table), table.c.revline_company_key.is_not(None))
        .order_by(table.c.revline_company_key)
        .execution_options(yield_per=10_000)
    )
    pairs = ((r[0], (int(r[1]), matching.person_name(r[2], r[3]))) for r in rows)
    for group in _grouped(pairs):
        named = [m for m in group if m[1]]
        if len(named) > 1:
            yield named


def name_prefix_blocks(session: Session, ot: ObjectType) -> Iterator[list[tuple[int, str]]]:
    """Companies grouped by the first word of their normalised name, as (id, name key)."""
    table = _table(ot)
    rows = session.execute(
        select(table.c.revline_name_key, table.c.id)
        .where(records_repo.live(table), table.c.revline_name_key.is_not(None))
        .order_by(table.c.revline_name_key)
        .execution_options(yield_per=10_000)
    )
    pairs = ((str(r[0]).split(" ", 1)[0], (int(r[1]), str(r[0]))) for r in rows)
    yield from _grouped(pairs)


def deal_blocks(session: Session) -> Iterator[list[tuple[int, str]]]:
    """Deals grouped by company and pipeline, as (id, name key)."""
    table = _table(DEALS)
    rows = session.execute(
        select(Association.to_id, table.c.pipeline, table.c.id, table.c.revline_name_key)
        .join(Association, _deal_companies(table))
        .where(records_repo.live(table), table.c.revline_name_key.is_not(None))
        .order_by(Association.to_id, table.c.pipeline, table.c.id)
        .distinct()
    )
    pairs = (((r[0], r[1]), (int(r[2]), str(r[3]))) for r in rows)
    yield from _grouped(pairs)


def live_count(session: Session, ot: ObjectType) -> int:
    table = _table(ot)
    return int(
        session.execute(
            select(func.count()).select_from(table).where(records_repo.live(table))
        ).scalar_one()
    )
