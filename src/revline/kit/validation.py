"""Checks that keep client input inside what both databases can store.

PostgreSQL refuses NUL characters in text, no driver can encode a lone surrogate (which JSON
allows as ``\\ud800``), and ``integer`` columns are 32-bit on PostgreSQL. Without these checks
such input would surface as a 500 from the driver instead of a 400.
"""

from __future__ import annotations

from revline.errors import ErrorDetail, ValidationError

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def is_storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(value: str, field: str) -> str:
    """``value`` unchanged, or a 400 naming ``field``."""
    if not is_storable(value):
        raise ValidationError(
            f"{field} must be valid Unicode text without NUL characters",
            errors=[ErrorDetail("text cannot be stored", "INVALID_STRING", {field: [""]})],
        )
    return value


def check_int32(value: int, field: str) -> int:
    """``value`` unchanged, or a 400 naming ``field`` (display orders and the like)."""
    if not INT32_MIN <= value <= INT32_MAX:
        raise ValidationError(
            f"{field} must be between {INT32_MIN} and {INT32_MAX}",
            errors=[ErrorDetail("out of range", "INVALID_INTEGER", {field: [str(value)]})],
        )
    return value
