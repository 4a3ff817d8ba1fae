"""Timezone-aware UTC time helpers and the ISO formats the API speaks."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso_ms(value: datetime) -> str:
    """``2024-05-01T12:34:56.789Z``: the only timestamp format the API emits."""
    value = ensure_utc(value)
    # Not strftime: its %Y drops the leading zeros of years before 1000 on glibc.
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def from_epoch_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def date_from_epoch_ms(ms: int) -> date:
    return from_epoch_ms(ms).date()
