"""The deal side of the records: stage transitions written as deals move, and the stage
history of one deal (every stay, and per stage the four HubSpot v2 time values, with the stay
in progress counted up to now)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from revline.crm.deals import history
from revline.crm.deals import repository as repo
from revline.crm.records.context import StoredChange, WriteSource
from revline.errors import NotFound
from revline.kit.pagination import parse_id
from revline.models import StageTransition


def record_transitions(
    session: Session, changes: Sequence[StoredChange], at: datetime, source: WriteSource
) -> None:
    """One transition row per deal of the write that entered a stage (creation included)."""
    rows: list[dict[str, Any]] = []
    for change in changes:
        if "dealstage" not in change.changed and "pipeline" not in change.changed:
            continue
        before = change.before or {}
        entered = before.get("hs_v2_date_entered_current_stage")
        if before.get("dealstage") is None or not isinstance(entered, datetime):
            entered = None
        to_stage = change.changed.get("dealstage", before.get("dealstage"))
        to_pipeline = change.changed.get("pipeline", before.get("pipeline"))
        if to_stage is None or to_pipeline is None or to_stage == before.get("dealstage"):
            continue
        rows.append(
            {
                "deal_id": change.record_id,
                "from_pipeline": before.get("pipeline"),
                "from_stage": before.get("dealstage"),
                "stage_entered_at": entered,
                "stay_seconds": None if entered is None else history.whole_seconds(at - entered),
                "to_pipeline": str(to_pipeline),
                "to_stage": str(to_stage),
                "changed_at": at,
                "source_type": source.source_type,
                "source_id": source.source_id,
                "user_id": source.user_id,
            }
        )
    repo.add_transitions(session, rows)


@dataclass(frozen=True)
class StageTime:
    """Per stage: HubSpot's four v2 values, with the stay in progress counted to ``now``."""

    stage: str
    pipeline: str
    date_entered: datetime
    date_exited: datetime | None
    latest_time_in_ms: Decimal
    cumulative_time_in_ms: Decimal
    entries: int
    current: bool


@dataclass(frozen=True)
class StageHistory:
    deal_id: int
    transitions: list[StageTransition]
    stages: list[StageTime]


def stage_history(session: Session, deal_id: str, now: datetime) -> StageHistory:
    """The transitions of a deal (oldest first) and the time spent per stage."""
    ident = parse_id(deal_id)
    if ident is None or not repo.deal_exists(session, ident):
        raise NotFound(f"Deal {deal_id} does not exist", context={"id": [deal_id]})
    transitions = list(repo.transitions_of(session, ident))
    per_stage: dict[str, dict[str, Any]] = {}
    for i, t in enumerate(transitions):
        left = transitions[i + 1].changed_at if i + 1 < len(transitions) else None
        spent = history.millis(t.changed_at, left or now)
        entry = per_stage.setdefault(
            t.to_stage,
            {
                "pipeline": t.to_pipeline,
                "entered": t.changed_at,
                "exited": None,
                "latest": Decimal(0),
                "cumulative": Decimal(0),
                "entries": 0,
            },
        )
        entry["entered"] = t.changed_at
        entry["entries"] += 1
        entry["latest"] = spent
        entry["cumulative"] += spent
        if left is not None:
            entry["exited"] = left
    current = transitions[-1].to_stage if transitions else None
    stages = [
        StageTime(
            stage,
            v["pipeline"],
            v["entered"],
            v["exited"],
            v["latest"],
            v["cumulative"],
            v["entries"],
            stage == current,
        )
        for stage, v in sorted(per_stage.items(), key=lambda kv: kv[1]["entered"])
    ]
    return StageHistory(ident, transitions, stages)
