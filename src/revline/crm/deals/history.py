"""Stage history arithmetic: transitions rebuilt from stored writes, and HubSpot's v2
time-in-stage values (date entered, date exited, latest time in, cumulative time in) computed
from a deal's stays. Pure functions: the write rules, the migration that back-fills deals
stored before transitions existed, and the stage-history view all use them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ENTERED = "hs_v2_date_entered_{}"
EXITED = "hs_v2_date_exited_{}"
LATEST = "hs_v2_latest_time_in_{}"
CUMULATIVE = "hs_v2_cumulative_time_in_{}"


@dataclass(frozen=True)
class Stay:
    """The deal entered ``stage`` at ``entered_at`` (and stayed until the next stay began)."""

    stage: str
    entered_at: datetime


@dataclass(frozen=True)
class Transition:
    from_pipeline: str | None
    from_stage: str | None
    to_pipeline: str
    to_stage: str
    changed_at: datetime
    source_type: str
    source_id: str | None
    user_id: int | None


def millis(start: datetime, end: datetime) -> Decimal:
    """Whole milliseconds from ``start`` to ``end``, never negative (HubSpot's unit)."""
    delta = end - start
    ms = delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000
    return Decimal(max(ms, 0))


def whole_seconds(delta: timedelta) -> int:
    """A duration in whole seconds, halves rounded away from zero: what the databases'
    ``round`` gives for the same interval, so stored and computed stay lengths agree."""
    exact = Decimal(delta.days * 86_400 + delta.seconds) + Decimal(delta.microseconds).scaleb(-6)
    return int(exact.quantize(Decimal(1), ROUND_HALF_UP))


def leave_stage(
    stage: str, entered_at: datetime | None, cumulative: Decimal | None, at: datetime
) -> dict[str, Any]:
    """The values a deal takes when it leaves ``stage`` at ``at``."""
    latest = millis(entered_at, at) if entered_at is not None else Decimal(0)
    return {
        EXITED.format(stage): at,
        LATEST.format(stage): latest,
        CUMULATIVE.format(stage): (cumulative or Decimal(0)) + latest,
    }


def stage_time_values(stays: Sequence[Stay]) -> dict[str, Any]:
    """The v2 values of a deal with these stays (oldest first). Exit, latest and cumulative
    values count finished stays only, as HubSpot's properties do; the stay in progress shows
    in date entered (and in the stage-history view)."""
    values: dict[str, Any] = {}
    for i, stay in enumerate(stays):
        values[ENTERED.format(stay.stage)] = stay.entered_at
        if i + 1 < len(stays):
            left = stays[i + 1].entered_at
            values.update(
                leave_stage(
                    stay.stage,
                    stay.entered_at,
                    values.get(CUMULATIVE.format(stay.stage)),
                    left,
                )
            )
    return values


def backfill_transitions(
    writes: Sequence[tuple[str, str | None, datetime, str, str | None, int | None]],
    pipeline: str,
    stage: str,
    created_at: datetime,
) -> list[Transition]:
    """Transitions rebuilt from stored writes of ``pipeline`` / ``dealstage`` (name, value,
    at, source type, source id, user id; oldest first). A deal with no such history gets one
    transition into its current stage at its creation."""
    found: list[Transition] = []
    cur_pipeline: str | None = None
    cur_stage: str | None = None
    i = 0
    while i < len(writes):
        at = writes[i][2]
        new_pipeline, new_stage = cur_pipeline, cur_stage
        source = writes[i]
        while i < len(writes) and writes[i][2] == at:
            name, value = writes[i][0], writes[i][1]
            if name == "pipeline":
                new_pipeline = value
            else:
                new_stage = value
            i += 1
        if new_stage is not None and new_stage != cur_stage:
            found.append(
                Transition(
                    cur_pipeline if cur_stage is not None else None,
                    cur_stage,
                    new_pipeline or pipeline,
                    new_stage,
                    at,
                    source[3],
                    source[4],
                    source[5],
                )
            )
        cur_pipeline, cur_stage = new_pipeline, new_stage
    if not found or found[-1].to_stage != stage:
        found.append(
            Transition(
                found[-1].to_pipeline if found else None,
                found[-1].to_stage if found else None,
                pipeline,
                stage,
                found[-1].changed_at if found else created_at,
                "MIGRATION",
                None,
                None,
            )
        )
    return found
