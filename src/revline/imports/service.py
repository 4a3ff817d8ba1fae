"""Loading a planned deal import: the properties, pipeline, owners, teams and companies it
needs, then every deal's stage steps in time order.

All writes go through the services the API uses (properties, pipelines, auth, records in
batches, associations), with the step's historical time as ``now`` and
``WriteSource("IMPORT", <file name>)``, so property history, stage transitions and
time-in-stage values are the same as if the deals had been moved through the API on those
days. The work is split into units of work of about ``chunk_size`` steps (whole days: steps
at the same time stay together); each one commits on its own, so a failure keeps what the
chunks before it stored, and a re-run picks up from there (deals are found again by their
source id, a unique property)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from revline.auth import service as auth
from revline.crm.associations import types as association_types
from revline.crm.object_types import COMPANIES, DEALS, ObjectType
from revline.crm.pipelines import service as pipelines
from revline.crm.pipelines.service import StageInput
from revline.crm.properties import service as properties
from revline.crm.records import batch
from revline.crm.records import search as record_search
from revline.crm.records import service as records
from revline.crm.records.context import WriteSource
from revline.errors import RevlineError
from revline.imports.mapping import KeyProperty, Mapping, PropertySpec, mapping_error
from revline.imports.plan import REJECTED, ImportPlan, PlannedDeal, Problem

Units = Callable[[], AbstractContextManager[Session]]
CHUNK_SIZE = 500
_BATCH = batch.MAX_INPUTS
_DEAL_TO_COMPANY = association_types.PRIMARY[("deals", "companies")].type_id


@dataclass
class ImportResult:
    rows: int
    problems: list[Problem]
    owners_created: int = 0
    teams_created: int = 0
    companies_created: int = 0
    companies_updated: int = 0
    deals_created: int = 0
    deals_updated: int = 0
    transitions: int = 0
    chunks_committed: int = 0
    failed_keys: set[str] = field(default_factory=set)

    @property
    def rejected(self) -> list[Problem]:
        return [p for p in self.problems if p.level == REJECTED]

    @property
    def loaded(self) -> int:
        return self.rows - len(self.rejected)


class ImportInterrupted(RevlineError):
    """A chunk failed: ``result`` tells what the committed chunks stored."""

    status_code = 500
    category = "IMPORT_INTERRUPTED"

    def __init__(self, message: str, result: ImportResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class _Write:
    """One step of one deal: a create (with its company) or an update by source id."""

    deal: PlannedDeal
    at: datetime
    create: bool
    properties: dict[str, str]
    company_id: int | None = None


# --- set-up: properties, pipeline, owners, teams, companies ---------------------------


def _ensure_property(
    session: Session, ot: ObjectType, name: str, label: str, *, unique: bool, where: str
) -> None:
    catalog = properties.load_catalog(session, ot)
    found = catalog.get(name)
    if found is None:
        properties.create_property(
            session,
            ot,
            name=name,
            label=label,
            type="string",
            field_type="text",
            group_name=ot.group,
            description="Created by an import.",
            has_unique_value=unique,
        )
    elif unique and not found.has_unique_value:
        raise mapping_error(
            f"{where}: {ot.singular} property '{name}' exists but does not require unique "
            "values, so it cannot be the import's key",
            where,
        )


def _ensure_properties(
    session: Session, ot: ObjectType, key: KeyProperty, specs: dict[str, PropertySpec], where: str
) -> None:
    _ensure_property(session, ot, key.name, key.label, unique=True, where=f"{where}.key_property")
    catalog = properties.load_catalog(session, ot)
    for name, spec in specs.items():
        if catalog.get(name) is None:
            _ensure_property(
                session, ot, name, spec.label or name, unique=False, where=f"{where}.{name}"
            )


def _ensure_pipeline(session: Session, mapping: Mapping) -> bool:
    """Create the mapping's pipeline, or check that the existing one has its stages."""
    spec = mapping.pipeline
    existing = pipelines.get_pipeline(session, spec.id)
    if existing is not None:
        have = {s.id for s in pipelines.live_stages(existing)}
        missing = [s.id for s in spec.stages if s.id not in have]
        if existing.object_type != "deals" or existing.archived or missing:
            raise mapping_error(
                f"pipeline.id: pipeline '{spec.id}' exists but is not a live deal pipeline "
                f"with the stages {', '.join(missing) or '(archived)'}",
                "pipeline.id",
            )
        return False
    stages = []
    for i, s in enumerate(spec.stages):
        meta: dict[str, Any] = {"probability": str(s.probability), "isClosed": str(s.closed)}
        if s.required_properties is not None:
            meta["requiredProperties"] = ",".join(s.required_properties)
        stages.append(StageInput(s.label, i, meta, s.id))
    pipelines.create_pipeline(
        session,
        "deals",
        label=spec.label,
        display_order=spec.display_order,
        stages=stages,
        pipeline_id=spec.id,
    )
    return True


def _ensure_owners(session: Session, plan: ImportPlan, result: ImportResult) -> dict[str, int]:
    ids: dict[str, int] = {}
    for owner in plan.owners.values():
        user = auth.get_user_by_email(session, owner.email)
        if user is None:
            team_is_new = (
                owner.team is not None and auth.get_team_by_name(session, owner.team) is None
            )
            user = auth.create_user(
                session,
                email=owner.email,
                first_name=owner.first_name,
                last_name=owner.last_name or None,
                role=owner.role,
                team=owner.team,
            )
            result.owners_created += 1
            result.teams_created += int(team_is_new)
        ids[owner.email] = user.id
    return ids


def _ensure_companies(
    session: Session, plan: ImportPlan, result: ImportResult, now: datetime
) -> dict[str, int]:
    spec = plan.mapping.companies
    if spec is None:
        return {}
    source = WriteSource("IMPORT", plan.file_name)
    found = _existing(session, COMPANIES, spec.key_property.name, list(plan.companies), ())
    ids: dict[str, int] = {}
    for key, company in plan.companies.items():
        props = {**company.properties, spec.key_property.name: key}
        if key in found:
            view = records.update_record(
                session,
                COMPANIES,
                key,
                props,
                id_property=spec.key_property.name,
                source=source,
                now=now,
            )
            result.companies_updated += 1
        else:
            # A company exists before its first deal: created the day its first deal was.
            view = records.create_record(
                session, COMPANIES, props, source=source, now=company.first_at or now
            )
            result.companies_created += 1
        ids[key] = view.id
    return ids


def _existing(
    session: Session, ot: ObjectType, key_property: str, keys: list[str], extra: tuple[str, ...]
) -> dict[str, dict[str, str | None]]:
    """The records whose ``key_property`` is one of ``keys``: key -> their properties."""
    found: dict[str, dict[str, str | None]] = {}
    for start in range(0, len(keys), record_search.MAX_VALUES):
        wanted = keys[start : start + record_search.MAX_VALUES]
        request = record_search.parse_search_request(
            {
                "filterGroups": [
                    {
                        "filters": [
                            {"propertyName": key_property, "operator": "IN", "values": wanted}
                        ]
                    }
                ],
                "properties": [key_property, *extra],
                "limit": record_search.MAX_LIMIT,
            }
        )
        for view in record_search.search_records(session, ot, request).items:
            key = view.properties.get(key_property)
            if key is not None:
                found[key] = view.properties
    return found


# --- the deals' steps --------------------------------------------------------------------


def _writes(
    plan: ImportPlan,
    existing: dict[str, dict[str, str | None]],
    owners: dict[str, int],
    companies: dict[str, int],
    now: datetime,
) -> list[_Write]:
    """Every write of every deal. A deal already there (a re-run) gets the steps after the
    stage it is in; when it is in none of them, one update at ``now`` brings it to the
    file's stage and values."""
    m = plan.mapping
    key_name = m.deals.key_property.name
    out: list[_Write] = []
    for deal in plan.deals:
        common = {**deal.properties, key_name: deal.key}
        if deal.owner_email is not None:
            common["hubspot_owner_id"] = str(owners[deal.owner_email])
        company_id = companies.get(deal.company_key) if deal.company_key else None
        current = existing.get(deal.key)
        if current is None:
            first, *rest = deal.steps
            props = {**common, **first.properties, "pipeline": m.pipeline.id}
            props["dealstage"] = first.stage
            out.append(_Write(deal, first.at, True, props, company_id))
            later = rest
        else:
            stages = [s.stage for s in deal.steps]
            stage = current.get("dealstage")
            if current.get("pipeline") == m.pipeline.id and stage in stages:
                later = deal.steps[stages.index(stage) + 1 :]
            else:
                later = []
            if not later:
                last = deal.steps[-1]
                props = {**common, **last.properties, "pipeline": m.pipeline.id}
                props["dealstage"] = last.stage
                out.append(_Write(deal, now, False, props))
                continue
            # The values that are not tied to a stage go with its next step.
            later[0] = type(later[0])(
                later[0].stage, later[0].at, {**common, **later[0].properties}
            )
        for step in later:
            props = {**step.properties, "pipeline": m.pipeline.id, "dealstage": step.stage}
            out.append(_Write(deal, step.at, False, props))
    # Creates before updates at the same time; a deal's own steps keep their order.
    out.sort(key=lambda w: (w.at, not w.create))
    return out


def _batches(writes: list[_Write]) -> Iterator[list[_Write]]:
    """Runs of writes that one batch call can take: the same time, the same kind, at most
    100, and no deal twice."""
    current: list[_Write] = []
    keys: set[str] = set()
    for w in writes:
        if current and (
            w.at != current[0].at
            or w.create != current[0].create
            or len(current) >= _BATCH
            or w.deal.key in keys
        ):
            yield current
            current, keys = [], set()
        current.append(w)
        keys.add(w.deal.key)
    if current:
        yield current


def _chunks(writes: list[_Write], size: int) -> Iterator[list[list[_Write]]]:
    """Batches grouped into units of work of about ``size`` writes, cut between days."""
    chunk: list[list[_Write]] = []
    count = 0
    for b in _batches(writes):
        if count >= size and b[0].at.date() != chunk[-1][0].at.date():
            yield chunk
            chunk, count = [], 0
        chunk.append(b)
        count += len(b)
    if chunk:
        yield chunk


def _refused(w: _Write, error: batch.ItemError, result: ImportResult) -> None:
    fld = ""
    for detail in error.errors:
        for values in detail.context.values():
            if values and values[0]:
                fld = values[0]
                break
        if fld:
            break
    step = "" if w.create else f" (moving to {w.properties.get('dealstage')})"
    result.problems.append(
        Problem(w.deal.line, w.deal.key, fld, "REFUSED", f"{error.message}{step}")
    )
    result.failed_keys.add(w.deal.key)


def _store(
    session: Session,
    plan: ImportPlan,
    run: list[_Write],
    result: ImportResult,
    stages: dict[str, str | None],
) -> None:
    """Write one batch; ``stages`` (source id -> stage) tracks where each deal stands, to
    count the stage transitions the writes make."""
    source = WriteSource("IMPORT", plan.file_name)
    run = [w for w in run if w.deal.key not in result.failed_keys]
    if not run:
        return
    at = run[0].at
    if run[0].create:
        inputs: list[dict[str, Any]] = []
        for w in run:
            item: dict[str, Any] = {"properties": w.properties}
            if w.company_id is not None:
                item["associations"] = [
                    {
                        "to": {"id": str(w.company_id)},
                        "types": [
                            {
                                "associationCategory": "HUBSPOT_DEFINED",
                                "associationTypeId": _DEAL_TO_COMPANY,
                            }
                        ],
                    }
                ]
            inputs.append(item)
        done = batch.create_batch(session, DEALS, inputs, source=source, now=at)
    else:
        inputs = [{"id": w.deal.key, "properties": w.properties} for w in run]
        done = batch.update_batch(
            session,
            DEALS,
            inputs,
            id_property=plan.mapping.deals.key_property.name,
            source=source,
            now=at,
        )
    failed = {int(e.context["inputIndex"][0]) for e in done.errors}
    for error in done.errors:
        _refused(run[int(error.context["inputIndex"][0])], error, result)
    for i, w in enumerate(run):
        if i in failed:
            continue
        stage = w.properties["dealstage"]
        if w.create:
            result.deals_created += 1
        if stages.get(w.deal.key) != stage:
            result.transitions += 1
            stages[w.deal.key] = stage


def run_import(
    plan: ImportPlan,
    units: Units,
    *,
    now: datetime,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Load ``plan``: one unit of work (from ``units``) for the set-up, then one per chunk of
    about ``chunk_size`` deal writes. ``now`` is the import's time: updates that belong to
    no dated step (a re-run bringing a deal to the file's values) happen then."""
    result = ImportResult(plan.rows, list(plan.problems))
    m = plan.mapping
    with units() as session:
        _ensure_properties(
            session, DEALS, m.deals.key_property, m.deals.properties, "deals.properties"
        )
        if m.companies is not None:
            _ensure_properties(
                session,
                COMPANIES,
                m.companies.key_property,
                m.companies.properties,
                "companies.properties",
            )
        _ensure_pipeline(session, m)
        owners = _ensure_owners(session, plan, result)
        companies = _ensure_companies(session, plan, result, now)
        existing = _existing(
            session,
            DEALS,
            m.deals.key_property.name,
            [d.key for d in plan.deals],
            ("pipeline", "dealstage"),
        )
    result.chunks_committed = 1
    writes = _writes(plan, existing, owners, companies, now)
    stages = {key: props.get("dealstage") for key, props in existing.items()}
    done = 0
    for chunk in _chunks(writes, chunk_size):
        try:
            with units() as session:
                for run in chunk:
                    _store(session, plan, run, result, stages)
        except Exception as exc:
            raise ImportInterrupted(
                f"the import stopped after {result.chunks_committed} committed units of work "
                f"(the set-up and {result.chunks_committed - 1} chunks): {exc}",
                result,
            ) from exc
        result.chunks_committed += 1
        done += sum(len(r) for r in chunk)
        if progress is not None:
            progress(done, len(writes))
    # An existing deal counts once however many steps it was given.
    result.deals_updated = len(
        {w.deal.key for w in writes if not w.create and w.deal.key in existing} - result.failed_keys
    )
    return result
