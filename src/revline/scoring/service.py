"""Score models: saving them, recomputing scores (all contacts or the ones a change
concerns), explaining a contact's score, and its history.

A recompute measures the model's rules set-based (``engine``), counts points vectorised
(``rules.score``), and writes only the contacts whose score or label changed: their two
properties, a ``score_history`` row with the cause, and, where the new score crossed a
threshold, a forward-only lifecycle move (``crm.lifecycle.sync.advance``). Segments then
re-evaluate the contacts whose score changed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from revline.crm import signals
from revline.crm.lifecycle import stages as lifecycle_stages
from revline.crm.lifecycle import sync as lifecycle_sync
from revline.crm.object_types import CONTACTS
from revline.crm.properties import service as properties
from revline.crm.records import repository as records_repo
from revline.crm.records.context import WriteSource
from revline.errors import Conflict, ErrorDetail, NotFound, ValidationError
from revline.kit.db.dialect import rebuild_memory
from revline.kit.pagination import parse_after, parse_id
from revline.kit.time import utcnow
from revline.models import ScoreChange, ScoreModel
from revline.scoring import engine
from revline.scoring import repository as repo
from revline.scoring.rules import (
    NAME,
    Definition,
    Rule,
    Vector,
    grid_label,
    invalid,
    label_property,
    parse_definition,
    rule_points,
    score_property,
)
from revline.segments import repository as segments_repo
from revline.segments import service as segments_service

MAX_PAGE = 100
_MODEL_FIELDS = {"name", "label", "description", "active"}
_DEFINITION_FIELDS = {"kind", "groups", "components", "grid", "maxScore", "thresholds", "labels"}
SCORING_SOURCE = "scoring"


@dataclass(frozen=True)
class Recompute:
    """What one recompute of one model did."""

    model_id: int
    name: str
    scored: int
    changed: int
    moved: int  # contacts moved forward in lifecycle by a threshold
    # Why the model could not be scored (a property or event type it reads was archived
    # since it was saved); None when it was.
    problem: str | None = None


@dataclass(frozen=True)
class ModelView:
    model: ScoreModel
    definition: Definition
    recompute: Recompute | None = None


def _bad(field_name: str, code: str, message: str) -> ValidationError:
    return ValidationError(message, errors=[ErrorDetail(message, code, {"field": [field_name]})])


def load_definition(model: ScoreModel) -> Definition:
    return parse_definition(model.definition)


# --- saving -----------------------------------------------------------------------------


def _split(body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(body, dict):
        raise _bad("body", "INVALID_BODY", "the body must be a JSON object")
    extra = sorted(set(body) - _MODEL_FIELDS - _DEFINITION_FIELDS)
    if extra:
        raise _bad(extra[0], "UNKNOWN_FIELD", f"unexpected field(s) {', '.join(extra)}")
    return (
        {k: v for k, v in body.items() if k in _MODEL_FIELDS},
        {k: v for k, v in body.items() if k in _DEFINITION_FIELDS},
    )


def _text(value: Any, field_name: str, limit: int, *, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise _bad(
            field_name,
            "INVALID_TEXT",
            f"{field_name} must be {'non-empty ' if required else ''}text of at most "
            f"{limit} characters",
        )
    return value.strip()


def _flag(value: Any, field_name: str) -> bool:
    if not isinstance(value, bool):
        raise _bad(field_name, "INVALID_BOOLEAN", f"{field_name} must be true or false")
    return value


def check_against_database(
    session: Session, definition: Definition, *, own: ScoreModel | None, active: bool
) -> None:
    """Every property, event type, lifecycle stage and component the model names exists."""
    today = utcnow().date()
    _, problems = engine.statement(session, definition, own_name=None, today=today, ids=[])
    ranks = lifecycle_stages.rank_of(properties.load_catalog(session, CONTACTS))
    for i, t in enumerate(definition.thresholds):
        if t.lifecycle_stage not in ranks:
            problems.append(
                ErrorDetail(
                    f"thresholds[{i}].lifecycleStage: '{t.lifecycle_stage}' is not a "
                    "lifecycle stage",
                    "INVALID_STAGE",
                    {"field": [f"thresholds[{i}].lifecycleStage"]},
                )
            )
    for rule in definition.rules:
        if rule.component is None:
            continue
        other = repo.model_by_name(session, rule.component)
        path = f"{rule.path}.model"
        if other is None or (own is not None and other.id == own.id):
            problems.append(
                ErrorDetail(
                    f"{path}: no other score model is named '{rule.component}'",
                    "MODEL_NOT_FOUND",
                    {"field": [path]},
                )
            )
        elif other.kind != "rules":
            problems.append(
                ErrorDetail(
                    f"{path}: '{rule.component}' is itself combined; combine rule models",
                    "INVALID_COMPONENT",
                    {"field": [path]},
                )
            )
        elif active and not other.active:
            problems.append(
                ErrorDetail(
                    f"{path}: '{rule.component}' is not active, so contacts have no score "
                    "under it; activate it first",
                    "INACTIVE_COMPONENT",
                    {"field": [path]},
                )
            )
    if problems:
        invalid(problems)


def _label_options(session: Session, definition: Definition) -> list[tuple[str, str]]:
    if not definition.grid:
        return [(lab.label, lab.label) for lab in definition.labels]
    names = [r.component for r in definition.rules if r.component is not None]
    sides = []
    for name in names:
        other = repo.model_by_name(session, name)
        assert other is not None
        sides.append([lab.label for lab in load_definition(other).labels])
    return [(a + b, a + b) for a in sides[0] for b in sides[1]]


def _define_properties(session: Session, model: ScoreModel, definition: Definition) -> None:
    properties.define_calculated_property(
        session,
        CONTACTS,
        name=model.score_property,
        label=f"{model.label} score",
        type="number",
        field_type="number",
        description=f"The contact's score under the score model '{model.name}'.",
    )
    options = _label_options(session, definition)
    if options:
        model.label_property = label_property(model.name)
        properties.define_calculated_property(
            session,
            CONTACTS,
            name=model.label_property,
            label=f"{model.label} label",
            type="enumeration",
            field_type="select",
            description=f"The contact's tier under the score model '{model.name}'.",
            options=options,
        )
    elif model.label_property is not None:
        properties.archive_property(session, CONTACTS, model.label_property)
        model.label_property = None


def definition_for(session: Session, raw: Any, path: str = "model") -> tuple[str, Definition]:
    """A model to evaluate without saving anything (backtests): ``{"model": "<name or id>"}``
    names a stored one (active or draft); any other object is a draft definition, checked
    like a new model's (``name``, ``label`` and ``description`` optional). Returns its name
    and definition."""
    if isinstance(raw, dict) and set(raw) == {"model"}:
        stored = access_model(session, str(raw["model"]))
        return stored.name, load_definition(stored)
    if not isinstance(raw, dict):
        raise _bad(path, "INVALID_MODEL", f"{path} must be an object")
    meta, definition_raw = _split(raw)
    name = meta.get("name", "draft")
    if not isinstance(name, str) or not name.strip():
        raise _bad(f"{path}.name", "INVALID_NAME", "name must be text")
    try:
        definition = parse_definition(definition_raw)
        check_against_database(session, definition, own=None, active=False)
    except ValidationError as error:
        # Name each problem by its place in the request (``model.groups[0]...``).
        raise ValidationError(
            error.message,
            errors=[
                ErrorDetail(
                    f"{path}.{e.message}",
                    e.code,
                    {**e.context, "field": [f"{path}.{f}" for f in e.context.get("field", [])]},
                )
                for e in error.errors
            ],
        ) from None
    return name.strip(), definition


def inactive(model: ScoreModel) -> ValidationError:
    return _bad(
        "active", "INACTIVE_MODEL", f"score model '{model.name}' is a draft; activate it first"
    )


def create_model(session: Session, body: Any, *, now: datetime | None = None) -> ModelView:
    """Save a model; an active one scores every contact at once."""
    now = now or utcnow()
    meta, raw = _split(body)
    name = meta.get("name")
    if not isinstance(name, str) or not NAME.match(name) or name.endswith("_label"):
        raise _bad(
            "name",
            "INVALID_NAME",
            "name must be 1 to 40 lowercase letters, digits or underscores, starting with a "
            "letter and not ending with _label (it names the score property "
            "revline_score_<name> and the label property revline_score_<name>_label)",
        )
    if repo.model_by_name(session, name) is not None:
        raise Conflict(f"A score model named '{name}' already exists", context={"name": [name]})
    label = _text(meta.get("label", name), "label", 255, required=True)
    description = _text(meta.get("description"), "description", 2000, required=False)
    active = _flag(meta.get("active", True), "active")
    definition = parse_definition(raw)
    check_against_database(session, definition, own=None, active=active)
    model = ScoreModel(
        name=name,
        label=label,
        description=description,
        kind=definition.kind,
        active=active,
        definition=raw,
        dependencies=definition.dependencies(),
        score_property=score_property(name),
        label_property=None,
        version=1,
        created_at=now,
        updated_at=now,
    )
    repo.add_model(session, model)
    _define_properties(session, model, definition)
    result = None
    if active:
        result = recompute(session, model, cause="model", detail="v1", now=now)
    session.flush()
    return ModelView(model, definition, result)


def access_model(session: Session, ident: str | int) -> ScoreModel:
    """A live model by id or by name, or a 404."""
    model = None
    number = parse_id(str(ident))
    if number is not None:
        model = repo.get_model(session, number)
    if model is None and isinstance(ident, str) and NAME.match(ident):
        model = repo.model_by_name(session, ident)
    if model is None or model.archived:
        raise NotFound(f"Score model {ident} does not exist", context={"id": [str(ident)]})
    return model


def _readers(session: Session, model: ScoreModel) -> list[str]:
    return [
        m.name
        for m in repo.live_models(session)
        if model.name in m.dependencies.get("models", []) and m.id != model.id
    ]


def update_model(
    session: Session, ident: str | int, body: Any, *, now: datetime | None = None
) -> ModelView:
    """Change a model's label, description, activity or definition. A new definition is a
    new version; an active model is recomputed for every contact (cause ``model``)."""
    now = now or utcnow()
    model = access_model(session, ident)
    meta, raw = _split(body)
    if "name" in meta and meta["name"] != model.name:
        raise _bad("name", "READ_ONLY", "a model's name cannot change (it names its property)")
    if "label" in meta:
        model.label = _text(meta["label"], "label", 255, required=True)
    if "description" in meta:
        model.description = _text(meta["description"], "description", 2000, required=False)
    was_active = model.active
    active = _flag(meta.get("active", model.active), "active")
    if raw:
        merged = dict(raw)
        merged.setdefault("kind", model.kind)
        definition = parse_definition(merged)
    else:
        definition = load_definition(model)
    if not active and was_active and _readers(session, model):
        raise Conflict(
            f"Score model '{model.name}' is a component of "
            f"{', '.join(sorted(_readers(session, model)))}; deactivate those first",
            context={"active": ["false"]},
        )
    check_against_database(session, definition, own=model, active=active)
    if raw:
        model.definition = definition.raw or raw
        model.kind = definition.kind
        model.dependencies = definition.dependencies()
        model.version += 1
    model.active = active
    model.updated_at = now
    _define_properties(session, model, definition)
    result = None
    if active and (raw or not was_active):
        result = recompute(session, model, cause="model", detail=f"v{model.version}", now=now)
        _recompute_readers(session, model, now)
    elif not active and was_active:
        repo.clear_scores(session, model.score_property)
    session.flush()
    return ModelView(model, definition, result)


def _recompute_readers(session: Session, model: ScoreModel, now: datetime) -> None:
    for other in repo.live_models(session, active_only=True):
        if model.name in other.dependencies.get("models", []):
            recompute(
                session, other, cause="model", detail=f"{model.name} v{model.version}", now=now
            )


def archive_model(session: Session, ident: str | int) -> None:
    """Archive a model: its properties are archived and the scores cleared. Refused while a
    combined model reads it."""
    model = access_model(session, ident)
    readers = _readers(session, model)
    if readers:
        raise Conflict(
            f"Score model '{model.name}' is a component of {', '.join(sorted(readers))}; "
            "change those first",
            context={"id": [str(model.id)]},
        )
    now = utcnow()
    repo.clear_scores(session, model.score_property)
    for name in (model.score_property, model.label_property):
        if name is not None:
            properties.archive_property(session, CONTACTS, name)
    model.active = False
    model.archived = True
    model.archived_at = now
    model.updated_at = now
    session.flush()


def get_model(session: Session, ident: str | int) -> ModelView:
    model = access_model(session, ident)
    return ModelView(model, load_definition(model))


def list_models(
    session: Session, *, after: str | None, limit: int
) -> tuple[list[ModelView], str | None]:
    if not 1 <= limit <= MAX_PAGE:
        raise _bad("limit", "INVALID_LIMIT", f"limit must be between 1 and {MAX_PAGE}")
    rows = repo.models_page(session, after=parse_after(after), limit=limit + 1)
    views = [ModelView(m, load_definition(m)) for m in rows[:limit]]
    return views, (str(rows[limit - 1].id) if len(rows) > limit else None)


# --- recomputing ------------------------------------------------------------------------


def recompute(
    session: Session,
    model: ScoreModel,
    *,
    ids: Collection[int] | None = None,
    cause: str,
    detail: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
    signal: bool = True,
) -> Recompute:
    """Score every live contact (or those among ``ids``) under ``model`` and write the
    differences."""
    now = now or utcnow()
    today = today or now.date()
    definition = load_definition(model)
    query, problems = engine.statement(
        session, definition, own_name=model.name, today=today, ids=ids, with_rules=False
    )
    if problems:
        invalid(problems)
    thresholds = sorted(definition.thresholds, key=lambda t: -t.min_score)
    ranks = (
        lifecycle_stages.rank_of(properties.load_catalog(session, CONTACTS)) if thresholds else {}
    )
    scored = 0
    changed_ids: list[int] = []
    targets: dict[int, str] = {}
    cut = detail[:255] if detail else None
    if ids is None:
        memory = rebuild_memory(session.get_bind().dialect.name)
        if memory is not None:
            session.execute(memory)
    for chunk in engine.measure(session, query, definition, with_rules=False):
        new = chunk.totals
        old = np.array([np.nan if v is None else v for v in chunk.old_scores], dtype=np.float64)
        labels = _labels(definition, new, chunk)
        moved_score = np.isnan(old) | (np.abs(np.nan_to_num(old, nan=0.0) - new) >= 0.001)
        writes: list[tuple[int, str, str | None]] = []
        history: list[tuple[Any, ...]] = []
        for i in np.flatnonzero(
            moved_score
            | (np.array(labels, dtype=object) != np.array(chunk.old_labels, dtype=object))
        ):
            contact_id, value, label = chunk.contact_ids[i], float(new[i]), labels[i]
            before = None if np.isnan(old[i]) else float(old[i])
            text = f"{value:.2f}"
            writes.append((contact_id, text, label))
            history.append(
                (
                    model.id,
                    contact_id,
                    now,
                    None if before is None else f"{before:.2f}",
                    text,
                    chunk.old_labels[i],
                    label,
                    cause,
                    cut,
                )
            )
            for t in thresholds:
                if value >= t.min_score and (before is None or before < t.min_score):
                    stage = chunk.stages[i]
                    if stage is None or ranks.get(stage, -1) < ranks.get(t.lifecycle_stage, -1):
                        targets[contact_id] = t.lifecycle_stage
                    break
        scored += len(chunk.contact_ids)
        repo.write_scores(session, model.score_property, writes)
        repo.add_history(session, history)
        changed_ids += [w[0] for w in writes]
    moved: dict[int, str] = {}
    if targets:
        source = WriteSource(source_type="AUTOMATION", source_id=f"scoring:{model.name}")
        moved = lifecycle_sync.advance_and_cascade(
            session, CONTACTS, targets, now, source, SCORING_SOURCE
        )
    if ids is None:
        repo.touch(session, model, now)
    if signal and changed_ids:
        names = [model.score_property, *([model.label_property] if model.label_property else [])]
        signals.contacts_changed(session, ids=changed_ids, properties=names, scoring=False)
        if moved:
            signals.contacts_changed(session, ids=list(moved), properties=["lifecyclestage"])
    return Recompute(model.id, model.name, scored, len(changed_ids), len(moved))


def _labels(definition: Definition, scores: Vector, chunk: engine.Measured) -> list[str | None]:
    """Each contact's label: a grid's two component labels joined, else the model's label
    for the score."""
    if definition.grid:
        return [grid_label(first, second) for first, second in chunk.component_labels]
    return definition.labels_of(scores)


def _ordered(models: Sequence[ScoreModel]) -> list[ScoreModel]:
    """Rule models before the combined models that read them."""
    return sorted(models, key=lambda m: (m.kind == "combined", m.id))


def recompute_all(
    session: Session,
    *,
    cause: str,
    detail: str | None = None,
    only_time_based: bool = False,
    today: date | None = None,
    now: datetime | None = None,
) -> list[Recompute]:
    """Recompute every active model (or those that time alone changes, and the combined
    models reading them) for every contact."""
    results: list[Recompute] = []
    redone: set[str] = set()
    for model in _ordered(repo.live_models(session, active_only=True)):
        reads = set(model.dependencies.get("models", []))
        if only_time_based and not load_definition(model).time_based and not reads & redone:
            continue
        results.append(
            _recompute_or_report(
                session, model, ids=None, cause=cause, detail=detail, today=today, now=now
            )
        )
        redone.add(model.name)
    return results


def _affects(model: ScoreModel, payload: dict[str, Any], changed_models: set[str]) -> bool:
    deps = model.dependencies
    props = {str(p) for p in payload.get("properties", [])}
    events = {str(e) for e in payload.get("events", [])}
    links = bool(payload.get("associations"))
    if set(deps.get("models", [])) & changed_models:
        return True
    if payload.get("object_type") == "companies":
        company = set(deps.get("companyProperties", []))
        return bool(company) and ("*" in props or bool(company & props) or links)
    return (
        "*" in props
        or bool(set(deps.get("properties", [])) & props)
        or bool(set(deps.get("events", [])) & events)
        or (links and bool(deps.get("associations")))
    )


def _cause(payload: dict[str, Any]) -> tuple[str, str | None]:
    events = [str(e) for e in payload.get("events", [])]
    props = [str(p) for p in payload.get("properties", [])]
    if payload.get("object_type") == "companies":
        return "company", ",".join(props)[:255] or None
    if events:
        return "event", ",".join(events)[:255]
    if props and props != ["*"]:
        return "property", ",".join(props)[:255]
    if payload.get("associations"):
        return "association", None
    return "record", None


def apply_changes(
    session: Session, payload: dict[str, Any], *, today: date | None = None
) -> list[Recompute]:
    """The ``scoring.recompute`` job: recompute the models a change can affect, for the
    contacts it concerns (contacts of changed companies included)."""
    ids = {int(i) for i in payload.get("ids", [])}
    if payload.get("object_type") == "companies":
        ids = segments_repo.contacts_of_companies(session, ids)
    if not ids:
        return []
    cause, detail = _cause(payload)
    results: list[Recompute] = []
    changed_models: set[str] = set()
    for model in _ordered(repo.live_models(session, active_only=True)):
        if not _affects(model, payload, changed_models):
            continue
        result = _recompute_or_report(
            session, model, ids=ids, cause=cause, detail=detail, today=today
        )
        results.append(result)
        if result.changed:
            changed_models.add(model.name)
    return results


def _recompute_or_report(
    session: Session,
    model: ScoreModel,
    *,
    ids: Collection[int] | None,
    cause: str,
    detail: str | None,
    today: date | None,
    now: datetime | None = None,
) -> Recompute:
    """A job's recompute of one model: a model that no longer compiles (something it reads
    was archived) is reported and skipped, so it neither fails the job nor holds back the
    other models; its scores stay as they were until the model is changed."""
    try:
        with session.begin_nested():
            return recompute(
                session, model, ids=ids, cause=cause, detail=detail, today=today, now=now
            )
    except ValidationError as error:
        return Recompute(model.id, model.name, 0, 0, 0, problem=error.message)


def merge_payloads(payloads: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Several queued change payloads as one per object type, changes with events apart
    from the others (so history names each cause)."""
    return segments_service.merge_payloads(payloads, apart_events=True)


# --- explaining -------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    rule: Rule
    group: str
    measured: float
    points: float
    why: str


@dataclass(frozen=True)
class Explanation:
    model: ScoreModel
    score: float
    stored: float | None
    label: str | None
    groups: list[tuple[str, float, float | None]]  # name, points after cap, cap
    contributions: list[Contribution]
    # Why the model cannot be scored now (something it reads was archived).
    problem: str | None = None


def _why(rule: Rule, measured: float, points: float, value: Any) -> str:
    if rule.condition is not None:
        f = rule.condition.filter
        shown = f.value if f.values is None else ", ".join(map(str, f.values))
        target = "company's " if rule.condition.company else ""
        condition = f"{target}{f.property_name} {f.operator}" + (
            f" {shown}" if shown is not None else ""
        )
        if measured:
            held = f" (value: {value})" if value is not None else ""
            return f"{condition}: met{held}, {rule.points:g} points"
        return f"{condition}: not met{f' (value: {value})' if value is not None else ''}"
    if rule.event is not None:
        leaf = rule.event
        where = f" matching {len(leaf.where)} condition(s)" if leaf.where else ""
        if rule.decay_days is not None:
            span = f"decaying linearly over {rule.decay_days} days (weighted count {measured:g})"
        elif leaf.in_last_days is not None:
            span = f"in the last {leaf.in_last_days} days: {measured:g}"
        else:
            span = f"ever: {measured:g}"
        text = f"{leaf.event_type}{where} {span} x {rule.points:g} points"
        raw = measured * rule.points
        if rule.max_points is not None and abs(raw) > rule.max_points:
            text += f", capped at {rule.max_points:g}"
        return text + f" = {points:g}"
    return f"score under {rule.component}: {measured:g} x weight {rule.points:g} = {points:g}"


def explain(session: Session, contact_id: str, *, today: date | None = None) -> list[Explanation]:
    """Per active model: the contact's score now, each rule's contribution and why."""
    ident = parse_id(contact_id) or 0
    rows = records_repo.rows_by_id(session, CONTACTS, [ident], archived=False) if ident > 0 else {}
    if ident not in rows:
        raise NotFound(f"Contact {contact_id} does not exist", context={"id": [contact_id]})
    row = rows[ident]
    today = today or utcnow().date()
    out: list[Explanation] = []
    for model in _ordered(repo.live_models(session, active_only=True)):
        definition = load_definition(model)
        query, problems = engine.statement(
            session, definition, own_name=model.name, today=today, ids=[ident]
        )
        if problems:
            # The model's fault, not the request's: shown, not refused.
            message = "; ".join(p.message for p in problems)
            out.append(Explanation(model, 0.0, None, None, [], [], problem=message))
            continue
        chunk = next(iter(engine.measure(session, query, definition)))
        per_rule = rule_points(definition, chunk.values)[0]
        total = float(chunk.totals[0])
        contributions = []
        for j, rule in enumerate(definition.rules):
            value = None
            if rule.condition is not None and not rule.condition.company:
                value = _value_of(row, rule.condition.filter.property_name)
            contributions.append(
                Contribution(
                    rule,
                    definition.groups[rule.group].name,
                    float(chunk.values[0, j]),
                    float(per_rule[j]),
                    _why(rule, float(chunk.values[0, j]), float(per_rule[j]), value),
                )
            )
        groups = []
        for g, group in enumerate(definition.groups):
            summed = sum(c.points for c in contributions if c.rule.group == g)
            capped = min(summed, group.max_points) if group.max_points is not None else summed
            groups.append((group.name, round(capped, 2), group.max_points))
        out.append(
            Explanation(
                model,
                total,
                chunk.old_scores[0],
                _labels(definition, chunk.totals, chunk)[0],
                groups,
                contributions,
            )
        )
    return out


def _value_of(row: Any, name: str) -> Any:
    if name != "custom" and name in row:
        return row[name]
    custom = row.get("custom") or {}
    return custom.get(name)


def history(
    session: Session,
    contact_id: str,
    *,
    model: str | None,
    after: str | None,
    limit: int,
) -> tuple[list[tuple[ScoreChange, str]], str | None]:
    """A contact's score changes, newest first (optionally under one model), paged."""
    if not 1 <= limit <= MAX_PAGE:
        raise _bad("limit", "INVALID_LIMIT", f"limit must be between 1 and {MAX_PAGE}")
    ident = parse_id(contact_id) or 0
    if ident < 1 or not records_repo.rows_by_id(session, CONTACTS, [ident], archived=None):
        raise NotFound(f"Contact {contact_id} does not exist", context={"id": [contact_id]})
    model_id = access_model(session, model).id if model is not None else None
    rows = repo.history_of(
        session, ident, model_id=model_id, before_id=parse_after(after), limit=limit + 1
    )
    names = {m.id: m.name for m in repo.all_models(session)}
    # The predictive score's changes carry model id 0 (its versions are not score models).
    page = [
        (r, names.get(r.model_id, "predictive" if r.model_id == 0 else str(r.model_id)))
        for r in rows[:limit]
    ]
    return page, (str(rows[limit - 1].id) if len(rows) > limit else None)
