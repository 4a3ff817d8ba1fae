"""Forecast periods: a quarter (``2026-Q4``) or a month (``2026-11``), in UTC days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from revline.errors import ErrorDetail, ValidationError

PeriodKind = Literal["month", "quarter"]

_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
# 9999-Q4 would end in year 10000, which ``date`` cannot hold.
MIN_YEAR = 1900
MAX_YEAR = 9998


@dataclass(frozen=True, order=True)
class Period:
    """``start`` is the first day; ``end`` the first day after it (exclusive)."""

    start: date
    end: date
    kind: PeriodKind
    text: str

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    @property
    def months(self) -> list[date]:
        """The first day of each month of the period."""
        if self.kind == "month":
            return [self.start]
        return [self.start.replace(month=self.start.month + i) for i in range(3)]


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month(year: int, month_number: int) -> Period:
    start = date(year, month_number, 1)
    return Period(start, _add_months(start, 1), "month", f"{year:04d}-{month_number:02d}")


def quarter(year: int, number: int) -> Period:
    start = date(year, 3 * (number - 1) + 1, 1)
    return Period(start, _add_months(start, 3), "quarter", f"{year:04d}-Q{number}")


def quarter_of(day: date) -> Period:
    return quarter(day.year, (day.month - 1) // 3 + 1)


def month_of(day: date) -> Period:
    return month(day.year, day.month)


def of_kind(kind: str, start: date) -> Period:
    """The period of a stored quota row."""
    return month_of(start) if kind == "month" else quarter_of(start)


def parse_period(raw: object, field: str = "period") -> Period:
    """``2026-Q4`` or ``2026-11``, nothing looser (no ``2026-q4``, no ``2026-1``)."""
    text = raw if isinstance(raw, str) else ""
    found = _QUARTER.fullmatch(text) or _MONTH.fullmatch(text)
    if found is None or not MIN_YEAR <= int(found.group(1)) <= MAX_YEAR:
        shown = raw if isinstance(raw, str) else repr(raw)
        message = (
            f"{field} must be a quarter like 2026-Q4 or a month like 2026-11 "
            f"(years {MIN_YEAR} to {MAX_YEAR}), not '{shown}'"
        )
        raise ValidationError(
            message, errors=[ErrorDetail(message, "INVALID_PERIOD", {field: [str(shown)]})]
        )
    year, number = int(found.group(1)), found.group(2)
    if found.re is _QUARTER:
        return quarter(year, int(number))
    return month(year, int(number))
