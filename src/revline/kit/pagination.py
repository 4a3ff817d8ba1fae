"""Keyset cursors: the API's ``after`` value is the key of the last item of the previous page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from revline.errors import ErrorDetail, ValidationError

T = TypeVar("T")

MAX_ID = 2**63 - 1  # the largest value of a BIGINT key


def parse_id(text: str) -> int | None:
    """A record id from client text, or None when it cannot be one (no 500s on "²" or 10**30)."""
    text = text.strip()
    # isdigit() alone accepts "²" and other digits int() refuses; the length check keeps
    # int() away from its 4300-digit limit.
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if value <= MAX_ID else None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_after: str | None


def paginate(rows: list[T], limit: int, key: Callable[[T], str]) -> Page[T]:
    """``rows`` was fetched with ``limit + 1``; trim it and say where the next page starts."""
    if len(rows) > limit:
        items = rows[:limit]
        return Page(items=items, next_after=key(items[-1]))
    return Page(items=rows, next_after=None)


def parse_after(after: str | None) -> int | None:
    """Decode an id cursor; ``None`` or empty means the first page."""
    if after is None or after == "":
        return None
    value = parse_id(after)
    if value is None:
        raise ValidationError(
            f"'after' must be a cursor returned by a previous page, not '{after}'",
            errors=[ErrorDetail("invalid cursor", "INVALID_CURSOR", {"after": [after]})],
        )
    return value
