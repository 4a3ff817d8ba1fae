"""Rules for pipelines and stages: unique labels, probabilities, the default pipeline."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from revline.crm.money import service as money
from revline.crm.pipelines import repository as repo
from revline.crm.pipelines import stage_rules
from revline.crm.properties.values import format_number
from revline.errors import ErrorDetail, NotFound, ValidationError
from revline.kit.time import utcnow
from revline.kit.validation import check_int32, check_text
from revline.models import Pipeline, PipelineStage

PIPELINE_OBJECT_TYPES = {"deals": "deals", "deal": "deals", "0-3": "deals"}

DEFAULT_PIPELINE_ID = "default"
DEFAULT_STAGES: list[tuple[str, str, str, bool]] = [
    ("appointmentscheduled", "Appointment Scheduled", "0.2", False),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", False),
    ("presentationscheduled", "Presentation Scheduled", "0.6", False),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
    ("contractsent", "Contract Sent", "0.9", False),
    ("closedwon", "Closed Won", "1.0", True),
    ("closedlost", "Closed Lost", "0.0", True),
]


@dataclass(frozen=True)
class StageInput:
    label: str
    display_order: int
    metadata: dict[str, Any]
    stage_id: str | None = None


def object_type_for(path_type: str) -> str:
    found = PIPELINE_OBJECT_TYPES.get(path_type.strip().lower())
    if found is None:
        raise NotFound(
            f"Pipelines are not available for object type '{path_type}' (supported: deals)",
            context={"objectType": [path_type]},
        )
    return found


def _new_id(session: Session, model: type[Pipeline] | type[PipelineStage]) -> str:
    while True:
        candidate = str(secrets.randbelow(10**9) + 10**8)
        if not repo.id_taken(session, model, candidate):
            return candidate


def _parse_metadata(meta: dict[str, Any], where: str) -> tuple[Decimal | None, bool]:
    """Stage metadata arrives as strings (``{"probability": "0.4", "isClosed": "false"}``)."""
    probability: Decimal | None = None
    raw_prob = meta.get("probability")
    if raw_prob is not None and raw_prob != "":
        try:
            probability = Decimal(str(raw_prob))
        except InvalidOperation:
            probability = None
        if probability is None or not probability.is_finite() or not 0 <= probability <= 1:
            raise ValidationError(
                f"{where}: metadata.probability must be a number between 0.0 and 1.0, "
                f"got '{raw_prob}'",
                errors=[
                    ErrorDetail(
                        "invalid probability",
                        "INVALID_PROBABILITY",
                        {"probability": [str(raw_prob)]},
                    )
                ],
            )
    raw_closed = meta.get("isClosed", False)
    closed_text = str(raw_closed).strip().lower()
    if closed_text not in ("true", "false"):
        raise ValidationError(
            f"{where}: metadata.isClosed must be 'true' or 'false', got '{raw_closed}'",
            errors=[
                ErrorDetail(
                    "invalid isClosed", "INVALID_IS_CLOSED", {"isClosed": [str(raw_closed)]}
                )
            ],
        )
    closed = closed_text == "true"
    if probability is None:
        raise ValidationError(
            f"{where}: deal stages need metadata.probability (0.0 to 1.0)",
            errors=[ErrorDetail("probability is required", "REQUIRED", {"probability": [""]})],
        )
    return probability, closed


def _stage_rules(
    session: Session,
    meta: dict[str, Any],
    probability: Decimal | None,
    closed: bool,
    current: PipelineStage | None,
    label: str,
) -> stage_rules.StageRules:
    won = closed and probability is not None and probability >= 1
    return stage_rules.parse_stage_rules(
        session,
        meta,
        closed=closed,
        won=won,
        current=None if current is None else stage_rules.rules_of(current),
        where=f"stage '{label}'",
    )


def _new_stage(
    session: Session,
    *,
    pipeline_id: str,
    stage_id: str,
    label: str,
    display_order: int,
    probability: Decimal | None,
    closed: bool,
    meta: dict[str, Any],
) -> PipelineStage:
    """Add a stage with its rules and its time-in-stage properties."""
    now = utcnow()
    row = PipelineStage(
        id=stage_id,
        pipeline_id=pipeline_id,
        label=label,
        display_order=display_order,
        probability=probability,
        is_closed=closed,
        created_at=now,
        updated_at=now,
    )
    stage_rules.apply_rules(row, _stage_rules(session, meta, probability, closed, None, label))
    repo.add(session, row)
    stage_rules.define_time_properties(session, row.id, label)
    return row


def ensure_stage_properties(session: Session) -> None:
    """Every deal stage has its time-in-stage properties (stages made before they existed)."""
    stage_rules.define_missing_time_properties(
        session,
        [
            (stage.id, stage.label)
            for archived in (False, True)
            for pipeline in repo.list_pipelines(session, "deals", archived=archived)
            for stage in pipeline.stages
        ],
    )


def _check_label(label: str, where: str) -> str:
    label = check_text(label or "", "label").strip()
    if not label:
        raise ValidationError(
            f"{where}: label must not be empty",
            errors=[ErrorDetail("empty label", "REQUIRED", {"label": [""]})],
        )
    return label


def _check_new_id(
    session: Session, model: type[Pipeline] | type[PipelineStage], ident: str, field: str
) -> None:
    """A client-chosen id must fit the column and be free (ids are global, not per pipeline)."""
    check_text(ident, field)
    if len(ident) > 64 or repo.id_taken(session, model, ident):
        raise ValidationError(
            f"{field} '{ident}' is taken or longer than 64 characters",
            errors=[ErrorDetail("id not available", "INVALID_ID", {field: [ident]})],
        )


def _check_stage_list(
    session: Session, stages: list[StageInput], display_order: int
) -> tuple[list[str], list[tuple[Decimal | None, bool]]]:
    """Validate a whole stage list: the clean labels and (probability, closed) per stage."""
    if not stages:
        raise ValidationError(
            "A pipeline needs at least one stage",
            errors=[ErrorDetail("no stages", "REQUIRED", {"stages": [""]})],
        )
    labels = [_check_label(s.label, f"stage {i}") for i, s in enumerate(stages)]
    _check_unique_stage_labels(labels)
    parsed = [_parse_metadata(s.metadata, f"stage '{s.label}'") for s in stages]
    for s, (prob, closed) in zip(stages, parsed, strict=True):
        # Validate the rule keys of every stage before anything is written.
        _stage_rules(session, s.metadata, prob, closed, None, s.label)
    check_int32(display_order, "displayOrder")
    for s in stages:
        check_int32(s.display_order, "stages.displayOrder")
    return labels, parsed


def _check_unique_stage_labels(labels: list[str]) -> None:
    seen: set[str] = set()
    for label in labels:
        key = label.casefold()
        if key in seen:
            raise ValidationError(
                f"Stage labels must be unique within a pipeline; '{label}' appears twice",
                errors=[
                    ErrorDetail("duplicate stage label", "DUPLICATE_LABEL", {"label": [label]})
                ],
            )
        seen.add(key)


def _check_unique_pipeline_label(
    session: Session, object_type: str, label: str, exclude_id: str | None
) -> None:
    for p in repo.list_pipelines(session, object_type, archived=False):
        if p.id != exclude_id and p.label.casefold() == label.casefold():
            raise ValidationError(
                f"A pipeline labelled '{label}' already exists (id {p.id})",
                errors=[
                    ErrorDetail("duplicate pipeline label", "DUPLICATE_LABEL", {"label": [label]})
                ],
            )


def ensure_default_pipeline(session: Session) -> bool:
    """Create HubSpot's default "Sales Pipeline" if the database has never had it."""
    if repo.get_pipeline(session, DEFAULT_PIPELINE_ID) is not None:
        return False
    now = utcnow()
    pipeline = Pipeline(
        id=DEFAULT_PIPELINE_ID,
        object_type="deals",
        label="Sales Pipeline",
        display_order=0,
        created_at=now,
        updated_at=now,
    )
    repo.add(session, pipeline)
    for order, (sid, label, prob, closed) in enumerate(DEFAULT_STAGES):
        _new_stage(
            session,
            pipeline_id=pipeline.id,
            stage_id=sid,
            label=label,
            display_order=order,
            probability=Decimal(prob),
            closed=closed,
            meta={},
        )
    return True


def list_pipelines(session: Session, object_type: str, *, archived: bool = False) -> list[Pipeline]:
    return list(repo.list_pipelines(session, object_type, archived=archived))


def get_pipeline(session: Session, pipeline_id: str) -> Pipeline | None:
    return repo.get_pipeline(session, pipeline_id)


def get_stage(session: Session, stage_id: str) -> PipelineStage | None:
    return repo.get_stage(session, stage_id)


def access_pipeline(
    session: Session, object_type: str, pipeline_id: str, *, archived: bool = False
) -> Pipeline:
    pipeline = repo.get_pipeline(session, pipeline_id)
    if pipeline is None or pipeline.object_type != object_type or pipeline.archived != archived:
        raise NotFound(
            f"Pipeline {pipeline_id} does not exist", context={"pipelineId": [pipeline_id]}
        )
    return pipeline


def live_stages(pipeline: Pipeline) -> list[PipelineStage]:
    return [s for s in pipeline.stages if not s.archived]


def access_stage(
    session: Session, object_type: str, pipeline_id: str, stage_id: str, *, archived: bool = False
) -> PipelineStage:
    pipeline = access_pipeline(session, object_type, pipeline_id)
    for stage in pipeline.stages:
        if stage.id == stage_id and stage.archived == archived:
            return stage
    raise NotFound(
        f"Stage {stage_id} does not exist in pipeline {pipeline_id}",
        context={"stageId": [stage_id]},
    )


def create_pipeline(
    session: Session,
    object_type: str,
    *,
    label: str,
    display_order: int,
    stages: list[StageInput],
    pipeline_id: str | None = None,
) -> Pipeline:
    label = _check_label(label, "pipeline")
    _check_unique_pipeline_label(session, object_type, label, None)
    labels, parsed = _check_stage_list(session, stages, display_order)
    if pipeline_id:
        _check_new_id(session, Pipeline, pipeline_id, "pipelineId")
    chosen = [s.stage_id for s in stages if s.stage_id]
    for stage_id in chosen:
        _check_new_id(session, PipelineStage, stage_id, "stageId")
    if len(set(chosen)) != len(chosen):
        raise ValidationError(
            "Stage ids must be unique",
            errors=[ErrorDetail("duplicate stage id", "INVALID_ID", {"stageId": chosen})],
        )
    now = utcnow()
    pipeline = Pipeline(
        id=pipeline_id or _new_id(session, Pipeline),
        object_type=object_type,
        label=label,
        display_order=display_order,
        created_at=now,
        updated_at=now,
    )
    repo.add(session, pipeline)
    for s, stage_label, (prob, closed) in zip(stages, labels, parsed, strict=True):
        _new_stage(
            session,
            pipeline_id=pipeline.id,
            stage_id=s.stage_id or _new_id(session, PipelineStage),
            label=stage_label,
            display_order=s.display_order,
            probability=prob,
            closed=closed,
            meta=s.metadata,
        )
    session.refresh(pipeline)
    return pipeline


def update_pipeline(
    session: Session,
    object_type: str,
    pipeline_id: str,
    *,
    label: str | None,
    display_order: int | None,
    archived: bool | None,
) -> Pipeline:
    pipeline = repo.get_pipeline(session, pipeline_id)
    if pipeline is None or pipeline.object_type != object_type:
        raise NotFound(
            f"Pipeline {pipeline_id} does not exist", context={"pipelineId": [pipeline_id]}
        )
    if archived is False and pipeline.archived:
        pipeline.archived = False
        pipeline.archived_at = None
    elif pipeline.archived:
        raise NotFound(
            f"Pipeline {pipeline_id} does not exist", context={"pipelineId": [pipeline_id]}
        )
    if label is not None:
        label = _check_label(label, "pipeline")
        _check_unique_pipeline_label(session, object_type, label, pipeline.id)
        pipeline.label = label
    if display_order is not None:
        pipeline.display_order = check_int32(display_order, "displayOrder")
    if archived is True:
        _archive_pipeline(session, pipeline)
    pipeline.updated_at = utcnow()
    session.flush()
    return pipeline


def replace_pipeline(
    session: Session,
    object_type: str,
    pipeline_id: str,
    *,
    label: str,
    display_order: int,
    stages: list[StageInput],
) -> Pipeline:
    """PUT semantics: the stage list becomes exactly ``stages`` (matched by id or label)."""
    pipeline = access_pipeline(session, object_type, pipeline_id)
    label = _check_label(label, "pipeline")
    _check_unique_pipeline_label(session, object_type, label, pipeline.id)
    labels, parsed = _check_stage_list(session, stages, display_order)
    current = {s.id: s for s in live_stages(pipeline)}
    by_label = {s.label.casefold(): s for s in current.values()}
    kept: set[str] = set()
    now = utcnow()
    for s, stage_label, (prob, closed) in zip(stages, labels, parsed, strict=True):
        match = current.get(s.stage_id or "") or by_label.get(stage_label.casefold())
        if match is not None:
            rules = _stage_rules(session, s.metadata, prob, closed, match, stage_label)
            changed = (match.probability, match.is_closed, match.forecast_category) != (
                prob,
                closed,
                rules.forecast_category,
            )
            match.label, match.display_order = stage_label, s.display_order
            match.probability, match.is_closed, match.updated_at = prob, closed, now
            stage_rules.apply_rules(match, rules)
            stage_rules.define_time_properties(session, match.id, stage_label)
            kept.add(match.id)
            if changed:
                session.flush()
                sync_deals_with_stage(session, match)
        else:
            _new_stage(
                session,
                pipeline_id=pipeline.id,
                stage_id=_new_id(session, PipelineStage),
                label=stage_label,
                display_order=s.display_order,
                probability=prob,
                closed=closed,
                meta=s.metadata,
            )
    # Reload the stage list so the new stages count when the last-stage rule is checked.
    session.flush()
    session.refresh(pipeline)
    for stage in current.values():
        if stage.id not in kept:
            _archive_stage(session, stage)
    pipeline.label, pipeline.display_order, pipeline.updated_at = label, display_order, now
    session.flush()
    session.refresh(pipeline)
    return pipeline


def _archive_pipeline(session: Session, pipeline: Pipeline) -> None:
    held = repo.deal_count_in_pipeline(session, pipeline.id)
    if held:
        raise ValidationError(
            f"Pipeline {pipeline.id} still holds {held} deal(s); move or archive them first",
            errors=[
                ErrorDetail(
                    "pipeline holds deals", "PIPELINE_NOT_EMPTY", {"pipelineId": [pipeline.id]}
                )
            ],
        )
    now = utcnow()
    pipeline.archived, pipeline.archived_at, pipeline.updated_at = True, now, now


def archive_pipeline(session: Session, object_type: str, pipeline_id: str) -> None:
    _archive_pipeline(session, access_pipeline(session, object_type, pipeline_id))
    session.flush()


def create_stage(
    session: Session, object_type: str, pipeline_id: str, stage: StageInput
) -> PipelineStage:
    pipeline = access_pipeline(session, object_type, pipeline_id)
    label = _check_label(stage.label, "stage")
    _check_unique_stage_labels([s.label for s in live_stages(pipeline)] + [label])
    prob, closed = _parse_metadata(stage.metadata, f"stage '{label}'")
    check_int32(stage.display_order, "displayOrder")
    row = _new_stage(
        session,
        pipeline_id=pipeline.id,
        stage_id=_new_id(session, PipelineStage),
        label=label,
        display_order=stage.display_order,
        probability=prob,
        closed=closed,
        meta=stage.metadata,
    )
    pipeline.updated_at = utcnow()
    session.refresh(pipeline)
    return row


def update_stage(
    session: Session,
    object_type: str,
    pipeline_id: str,
    stage_id: str,
    *,
    label: str | None,
    display_order: int | None,
    metadata: dict[str, Any] | None,
    archived: bool | None,
) -> PipelineStage:
    pipeline = access_pipeline(session, object_type, pipeline_id)
    stage = next((s for s in pipeline.stages if s.id == stage_id), None)
    if stage is None or (stage.archived and archived is not False):
        raise NotFound(
            f"Stage {stage_id} does not exist in pipeline {pipeline_id}",
            context={"stageId": [stage_id]},
        )
    if archived is False:
        stage.archived, stage.archived_at = False, None
    if label is not None:
        label = _check_label(label, "stage")
        _check_unique_stage_labels(
            [s.label for s in live_stages(pipeline) if s.id != stage.id] + [label]
        )
        stage.label = label
        stage_rules.define_time_properties(session, stage.id, label)
    if display_order is not None:
        stage.display_order = check_int32(display_order, "displayOrder")
    if metadata is not None:
        merged = {
            "probability": str(stage.probability) if stage.probability is not None else None,
            "isClosed": "true" if stage.is_closed else "false",
            **metadata,
        }
        prob, closed = _parse_metadata(merged, f"stage '{stage.label}'")
        rules = _stage_rules(session, metadata, prob, closed, stage, stage.label)
        stage.probability, stage.is_closed = prob, closed
        stage_rules.apply_rules(stage, rules)
    if archived is True:
        _archive_stage(session, stage)
    stage.updated_at = utcnow()
    session.flush()
    if metadata is not None:
        sync_deals_with_stage(session, stage)
    return stage


def sync_deals_with_stage(session: Session, stage: PipelineStage) -> None:
    """Bring the stage-derived fields of every deal in ``stage`` in line with its metadata.

    One set-based statement per field, whatever the number of deals; each deal whose value
    changes gets a history row with source CALCULATED.
    """
    closed, won, lost = stage_outcome(stage)
    probability = stage.probability if stage.probability is not None else Decimal(0)
    now = utcnow()
    repo.sync_deals_in_stage(
        session,
        stage.id,
        {
            "hs_deal_stage_probability": (probability, format_number(probability)),
            "hs_is_closed": (closed, "true" if closed else "false"),
            "hs_is_closed_won": (won, "true" if won else "false"),
            "hs_is_closed_lost": (lost, "true" if lost else "false"),
        },
        now,
    )
    category = "CLOSED" if won else "OMIT" if closed else stage_rules.stage_forecast_category(stage)
    repo.sync_deals_in_stage(
        session,
        stage.id,
        {"hs_forecast_category": (category, category)},
        now,
        unless_set=None if closed else "hs_manual_forecast_category",
    )
    changed: list[tuple[int, str, Decimal | None]] = []
    for deal_id, amount, before, home, home_before in repo.projected_amounts_in_stage(
        session, stage.id
    ):
        after = money.projected_amount(amount, probability)
        if after != before:
            changed.append((deal_id, "hs_projected_amount", after))
        home_after = money.projected_amount(home, probability)
        if home_after != home_before:
            changed.append((deal_id, "hs_projected_amount_in_home_currency", home_after))
    repo.set_projected_amounts(session, changed, now)


def _archive_stage(session: Session, stage: PipelineStage) -> None:
    held = repo.deal_count_in_stage(session, stage.id)
    if held:
        raise ValidationError(
            f"Stage '{stage.label}' ({stage.id}) still holds {held} deal(s); "
            "move them to another stage before archiving it",
            errors=[ErrorDetail("stage holds deals", "STAGE_NOT_EMPTY", {"stageId": [stage.id]})],
        )
    if len([s for s in stage.pipeline.stages if not s.archived]) <= 1:
        raise ValidationError(
            "A pipeline must keep at least one stage",
            errors=[ErrorDetail("last stage", "LAST_STAGE", {"stageId": [stage.id]})],
        )
    now = utcnow()
    stage.archived, stage.archived_at, stage.updated_at = True, now, now


def archive_stage(session: Session, object_type: str, pipeline_id: str, stage_id: str) -> None:
    _archive_stage(session, access_stage(session, object_type, pipeline_id, stage_id))
    session.flush()


def stage_outcome(stage: PipelineStage) -> tuple[bool, bool, bool]:
    """(is_closed, is_won, is_lost): a closed stage with probability 1 is won, else lost."""
    if not stage.is_closed:
        return False, False, False
    won = stage.probability is not None and stage.probability >= 1
    return True, won, not won
