"""Parse incoming property values by type, and format stored ones as the API's strings.

The API speaks strings only: numbers ``"1500.5"``, booleans ``"true"``, dates ``YYYY-MM-DD``,
datetimes ``2024-05-01T12:34:56.789Z``. Input is more forgiving: JSON numbers and booleans,
epoch milliseconds for dates and datetimes, and ISO strings with any offset.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from revline.kit.time import ensure_utc, from_epoch_ms, iso_ms
from revline.kit.validation import is_storable

MAX_STRING_LENGTH = 65_536
# Neither engine keeps more decimals usefully (SQLite stores REAL); absurd scales such as
# 1e-1000000 would overflow PostgreSQL's numeric or bloat a JSON document.
MAX_DECIMAL_PLACES = 20
_EPOCH_MS = re.compile(r"^-?\d{9,15}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

TypedValue = str | Decimal | date | datetime | bool | None


class ValueProblem(Exception):
    """A value that cannot be stored; ``code`` is the stable error code for the API."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _as_text(raw: Any) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float | Decimal):
        return str(raw)
    if isinstance(raw, str):
        _check_storable(raw)
        return raw
    raise ValueProblem("INVALID_TYPE", "must be a string, number or boolean")


def _check_storable(text: str) -> None:
    if not is_storable(text):
        raise ValueProblem("INVALID_STRING", "must be valid Unicode text without NUL characters")


def parse_number(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValueProblem("INVALID_NUMBER", f"{raw!r} is not a number")
    text = _as_text(raw).strip().replace(",", "") if isinstance(raw, str) else _as_text(raw)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueProblem("INVALID_NUMBER", f"'{raw}' is not a number") from None
    if not value.is_finite():
        raise ValueProblem("INVALID_NUMBER", f"'{raw}' is not a finite number")
    if abs(value) >= Decimal("1e18"):
        raise ValueProblem("INVALID_NUMBER", f"'{raw}' is too large")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        raise ValueProblem(
            "INVALID_NUMBER", f"'{raw}' has more than {MAX_DECIMAL_PLACES} decimal places"
        )
    return value


def parse_datetime(raw: Any) -> datetime:
    text = _as_text(raw).strip()
    try:
        if _EPOCH_MS.match(text):
            return from_epoch_ms(int(text))
    except (ValueError, OverflowError, OSError):
        raise ValueProblem("INVALID_DATETIME", f"'{raw}' is out of range") from None
    if _DATE.match(text):
        try:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            raise ValueProblem("INVALID_DATETIME", f"'{raw}' is not a valid date") from None
    try:
        return ensure_utc(
            datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        )
    # An offset can push year 1 or year 9999 out of range when converted to UTC.
    except (ValueError, OverflowError):
        raise ValueProblem(
            "INVALID_DATETIME",
            f"'{raw}' is not an ISO-8601 datetime or epoch milliseconds",
        ) from None


def parse_date(raw: Any) -> date:
    text = _as_text(raw).strip()
    if _EPOCH_MS.match(text):
        try:
            return from_epoch_ms(int(text)).date()
        except (ValueError, OverflowError, OSError):
            raise ValueProblem("INVALID_DATE", f"'{raw}' is out of range") from None
    if _DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueProblem("INVALID_DATE", f"'{raw}' is not a valid date") from None
    try:
        return parse_datetime(text).date()
    except ValueProblem:
        raise ValueProblem("INVALID_DATE", f"'{raw}' is not a YYYY-MM-DD date") from None


def parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _as_text(raw).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueProblem("INVALID_BOOLEAN", f"'{raw}' is not true or false")


def parse_string(raw: Any) -> str:
    text = _as_text(raw)
    if len(text) > MAX_STRING_LENGTH:
        raise ValueProblem("VALUE_TOO_LONG", f"longer than {MAX_STRING_LENGTH} characters")
    return text


def parse_enumeration(raw: Any, allowed: set[str] | None, *, multiple: bool) -> str:
    text = _as_text(raw).strip()
    if allowed is None:
        return text
    parts = [p for p in text.split(";")] if multiple else [text]
    bad = [p for p in parts if p not in allowed]
    if bad:
        shown = ", ".join(sorted(allowed)[:20])
        raise ValueProblem(
            "INVALID_OPTION",
            f"'{';'.join(bad)}' was not one of the allowed options: [{shown}]",
        )
    return text


def parse_value(raw: Any, prop_type: str, allowed: set[str] | None, field_type: str) -> TypedValue:
    """Turn a raw API value into the typed value stored for a property of ``prop_type``."""
    if raw is None or (isinstance(raw, str) and raw == ""):
        return None
    if isinstance(raw, dict | list):
        raise ValueProblem("INVALID_TYPE", "must be a string, number or boolean")
    if prop_type == "number":
        return parse_number(raw)
    if prop_type == "datetime":
        return parse_datetime(raw)
    if prop_type == "date":
        return parse_date(raw)
    if prop_type == "bool":
        return parse_bool(raw)
    if prop_type == "enumeration":
        return parse_enumeration(raw, allowed, multiple=field_type == "checkbox")
    return parse_string(raw)


def format_number(value: Decimal) -> str:
    if value == value.to_integral_value():
        # ``+ 0`` turns a negative zero into "0".
        return str(value.quantize(Decimal(1)) + 0)
    return format(value.normalize(), "f")


def format_value(value: Any, prop_type: str) -> str | None:
    """The API string for a typed value (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if prop_type == "date":
            return value.date().isoformat()
        return iso_ms(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, int | float):
        return format_number(Decimal(repr(value)))
    return str(value)
