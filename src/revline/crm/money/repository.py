"""All SQL of money: the home currency setting, exchange rates, and the deal reads and bulk
writes of a recompute."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, false, func, or_, select, update
from sqlalchemy.orm import Session

from revline.kit.db.dialect import insert_many
from revline.models import Deal, ExchangeRate, PropertyHistory

# Values per IN (...) list: far below every engine's bound-parameter limit.
_CHUNK = 500


def _deals() -> Table:
    return Deal.__table__  # type: ignore[return-value]


def _live() -> Any:
    # The literal "archived = false" lets the planners use the partial live indexes.
    return _deals().c.archived == false()


# --- exchange rates -------------------------------------------------------------------------


def rate_points(session: Session, currency: str) -> list[tuple[date, Decimal]]:
    """(effective from, rate) of one currency, oldest first."""
    rows = session.execute(
        select(ExchangeRate.effective_from, ExchangeRate.rate)
        .where(ExchangeRate.currency_code == currency)
        .order_by(ExchangeRate.effective_from)
    )
    return [(r[0], r[1]) for r in rows]


def list_rates(
    session: Session,
    *,
    currency: str | None,
    after: tuple[str, date] | None,
    limit: int,
) -> list[ExchangeRate]:
    """Rates ordered by currency then date, starting after the (currency, date) key."""
    query = select(ExchangeRate)
    if currency is not None:
        query = query.where(ExchangeRate.currency_code == currency)
    if after is not None:
        query = query.where(
            or_(
                ExchangeRate.currency_code > after[0],
                and_(
                    ExchangeRate.currency_code == after[0],
                    ExchangeRate.effective_from > after[1],
                ),
            )
        )
    query = query.order_by(ExchangeRate.currency_code, ExchangeRate.effective_from).limit(limit)
    return list(session.scalars(query))


def get_rate(session: Session, rate_id: int) -> ExchangeRate | None:
    # Rates are written with Core statements: never answer a stale copy from the session.
    return session.get(ExchangeRate, rate_id, populate_existing=True)


def rates_on_days(session: Session, currency: str, days: Collection[date]) -> dict[date, int]:
    """Ids of the stored rates of ``currency`` on any of ``days``."""
    found: dict[date, int] = {}
    ordered = sorted(set(days))
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        rows = session.execute(
            select(ExchangeRate.effective_from, ExchangeRate.id).where(
                ExchangeRate.currency_code == currency, ExchangeRate.effective_from.in_(chunk)
            )
        )
        found.update({r[0]: int(r[1]) for r in rows})
    return found


def insert_rates(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Rows of (currency_code, effective_from, rate, created_at)."""
    table: Table = ExchangeRate.__table__  # type: ignore[assignment]
    insert_many(session.connection(), table, rows)


def replace_rates(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Rows of (id, rate, created_at): new rates for existing (currency, day) rows."""
    if not rows:
        return
    table: Table = ExchangeRate.__table__  # type: ignore[assignment]
    session.execute(
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values(rate=bindparam("_rate"), created_at=bindparam("_at")),
        [{"_id": r["id"], "_rate": r["rate"], "_at": r["created_at"]} for r in rows],
    )


def delete_rate(session: Session, rate_id: int) -> None:
    session.execute(delete(ExchangeRate).where(ExchangeRate.id == rate_id))


def count_rates(session: Session, currency: str | None = None) -> int:
    query = select(func.count()).select_from(ExchangeRate)
    if currency is not None:
        query = query.where(ExchangeRate.currency_code == currency)
    return int(session.scalar(query) or 0)


def currencies_with_rates(session: Session) -> list[str]:
    rows = session.execute(select(ExchangeRate.currency_code).distinct())
    return sorted(str(r[0]) for r in rows)


def currencies_effective_between(session: Session, after: date, until: date) -> list[str]:
    """Currencies with a rate that took effect after ``after`` and on or before ``until``."""
    rows = session.execute(
        select(ExchangeRate.currency_code)
        .where(ExchangeRate.effective_from > after, ExchangeRate.effective_from <= until)
        .distinct()
    )
    return sorted(str(r[0]) for r in rows)


# --- deals ------------------------------------------------------------------------------------


def deal_currencies(session: Session) -> dict[str, int]:
    """Live deals per explicit currency code."""
    deals = _deals()
    rows = session.execute(
        select(deals.c.deal_currency_code, func.count())
        .where(_live(), deals.c.deal_currency_code.is_not(None))
        .group_by(deals.c.deal_currency_code)
    )
    return {str(r[0]): int(r[1]) for r in rows}


@dataclass(frozen=True)
class DealMoney:
    """What a recompute reads of one deal."""

    id: int
    amount: Decimal | None
    currency: str | None
    closed: bool | None
    closedate: datetime | None
    forecast_probability: Decimal | None
    stage_probability: Decimal | None
    amount_in_home_currency: Decimal | None
    projected_in_home_currency: Decimal | None


def deals_in_currencies(
    session: Session,
    currencies: Sequence[str],
    *,
    after_id: int,
    limit: int,
    open_only: bool,
) -> list[DealMoney]:
    """A page (by id) of the live deals in ``currencies``."""
    deals = _deals()
    query = select(
        deals.c.id,
        deals.c.amount,
        deals.c.deal_currency_code,
        deals.c.hs_is_closed,
        deals.c.closedate,
        deals.c.hs_forecast_probability,
        deals.c.hs_deal_stage_probability,
        deals.c.amount_in_home_currency,
        deals.c.hs_projected_amount_in_home_currency,
    ).where(
        _live(),
        deals.c.deal_currency_code.in_(list(currencies)),
        deals.c.id > after_id,
    )
    if open_only:
        query = query.where(or_(deals.c.hs_is_closed.is_(None), deals.c.hs_is_closed == false()))
    rows = session.execute(query.order_by(deals.c.id).limit(limit))
    return [DealMoney(int(r[0]), *r[1:]) for r in rows]


def write_home_amounts(session: Session, rows: Sequence[dict[str, Any]], at: datetime) -> None:
    """Rows of (id, amount_in_home_currency, hs_projected_amount_in_home_currency)."""
    if not rows:
        return
    deals = _deals()
    session.execute(
        update(deals)
        .where(deals.c.id == bindparam("_id"))
        .values(
            amount_in_home_currency=bindparam("_home"),
            hs_projected_amount_in_home_currency=bindparam("_projected"),
            updated_at=bindparam("_at"),
        ),
        [
            {
                "_id": r["id"],
                "_home": r["amount_in_home_currency"],
                "_projected": r["hs_projected_amount_in_home_currency"],
                "_at": at,
            }
            for r in rows
        ],
    )


def add_history(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    table: Table = PropertyHistory.__table__  # type: ignore[assignment]
    insert_many(session.connection(), table, rows)
