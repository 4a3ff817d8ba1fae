"""The correlation id of the work in hand: set for each API request (and answered in the
``X-Revline-Correlation-Id`` header), copied onto every job the request enqueues and set
again while a worker runs that job, so a job's log lines, and the jobs it enqueues in turn,
lead back to the request that caused them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_CURRENT: ContextVar[str | None] = ContextVar("revline_correlation_id", default=None)


def current() -> str | None:
    """The correlation id of the request or job being handled, if any."""
    return _CURRENT.get()


@contextmanager
def bound(correlation_id: str | None) -> Iterator[None]:
    """Make ``correlation_id`` current for the block (None: no id)."""
    token = _CURRENT.set(correlation_id)
    try:
        yield
    finally:
        _CURRENT.reset(token)
