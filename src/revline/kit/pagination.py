"""Keyset cursors: the API's ``after`` value is the key of the last item of the previous page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from revline.errors import ErrorDetail, ValidationError

T = TypeVar("T")


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
    if not after.isdigit():
        raise ValidationError(
            f"'after' must be a cursor returned by a previous page, not '{after}'",
            errors=[ErrorDetail("invalid cursor", "INVALID_CURSOR", {"after": [after]})],
        )
    return int(after)
