"""Loading a planned import.

A deal import: the properties, pipeline, owners, teams and companies it needs, then every
deal's stage steps in time order. A contact import: the property group and properties the
mapping defines, then the contacts, created or updated by their key (see
``run_contact_import``).

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
from revline.crm.lifecycle import stages as lifecycle_stages
from revline.crm.object_types import COMPANIES, CONTACTS, DEALS, ObjectType
from revline.crm.pipelines import service as pipelines
from revline.crm.pipelines.service import StageInput
from revline.crm.properties import service as properties
from revline.crm.records import batch
from revline.crm.records import search as record_search
from revline.crm.records import service as records
from revline.crm.records.context import WriteSource
from revline.errors import NotFound, RevlineError
from revline.imports.mapping import (
    KeyProperty,
    LifecycleMapping,
    Mapping,
    PropertySpec,
    mapping_error,
)
from revline.imports.plan import (
    FIELD_TYPES,
    REJECTED,
    ContactPlan,
    ImportPlan,
    PlannedContact,
    PlannedDeal,
    PlannedProperty,
    Problem,
)

Units = Callable[[], AbstractContextManager[Session]]
CHUNK_SIZE = 500
_BATCH = batch.MAX_INPUTS
_DEAL_TO_COMPANY = association_types.PRIMARY[("deals", "companies")].type_id


@dataclass
class LoadResult:
    """What any import did: the file's rows, every row problem (of the plan, then of the
    load), the units of work committed."""

    rows: int
    problems: list[Problem]
    chunks_committed: int = 0
    failed_keys: set[str] = field(default_factory=set)

    @property
    def rejected(self) -> list[Problem]:
        return [p for p in self.problems if p.level == REJECTED]

    @property
    def rejected_rows(self) -> int:
        """Rows not loaded (a row may be reported for several columns)."""
        return len({p.line for p in self.rejected})

    @property
    def loaded(self) -> int:
        return self.rows - self.rejected_rows


@dataclass
class ImportResult(LoadResult):
    owners_created: int = 0
    teams_created: int = 0
    companies_created: int = 0
    companies_updated: int = 0
    deals_created: int = 0
    deals_updated: int = 0
    transitions: int = 0


class ImportInterrupted(RevlineError):
    """A chunk failed: ``result`` tells what the committed chunks stored."""

    status_code = 500
    category = "IMPORT_INTERRUPTED"

    def __init__(self, message: str, result: LoadResult) -> None:
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


# --- contacts ------------------------------------------------------------------------------


@dataclass
class ContactImportResult(LoadResult):
    group_created: bool = False
    properties_created: int = 0
    options_added: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    # Contacts already in a later lifecycle stage than the file's: the import never moves
    # a stage back.
    stages_kept: int = 0


@dataclass
class _ContactWrite:
    contact: PlannedContact
    record_id: str | None  # None: a create
    properties: dict[str, str]

    @property
    def create(self) -> bool:
        return self.record_id is None


def _ensure_group(session: Session, plan: ContactPlan, result: ContactImportResult) -> str:
    spec = plan.mapping.group
    if spec is None:
        return CONTACTS.group
    try:
        properties.access_group(session, CONTACTS, spec.name)
    except NotFound:
        properties.create_group(session, CONTACTS, name=spec.name, label=spec.label)
        result.group_created = True
    return spec.name


def _added_options(prop: PlannedProperty, have: list[dict[str, Any]]) -> list[dict[str, Any]]:
    known = {str(o["value"]) for o in have}
    new = [o for o in prop.options or [] if str(o["value"]) not in known]
    after = max((int(o.get("displayOrder", 0)) for o in have), default=-1) + 1
    return [{**o, "displayOrder": after + i} for i, o in enumerate(new)]


def _ensure_contact_property(
    session: Session,
    prop: PlannedProperty,
    found: properties.PropertyDef | None,
    group: str,
    result: ContactImportResult,
) -> None:
    """Create the property of a mapped column from its definition, or check that the one
    there fits: its type, unique values for the key, and new options of an enumeration."""
    where = f"columns.{prop.column}"
    spec = prop.spec
    if found is None:
        if spec.type is None:
            raise mapping_error(
                f"{where}.property: contact property '{prop.name}' does not exist; give its "
                "type (and label) so the import creates it",
                f"{where}.property",
            )
        try:
            properties.create_property(
                session,
                CONTACTS,
                name=prop.name,
                label=spec.label or prop.column,
                type=spec.type,
                field_type=FIELD_TYPES[spec.type],
                group_name=group,
                description=spec.description or "",
                options=prop.options,
                has_unique_value=prop.key,
            )
        except RevlineError as exc:
            raise mapping_error(f"{where}: {exc.message}", where) from None
        result.properties_created += 1
        return
    if spec.type is not None and found.type != spec.type:
        raise mapping_error(
            f"{where}.type: contact property '{prop.name}' exists with the type {found.type}, "
            f"not {spec.type}",
            f"{where}.type",
        )
    if found.read_only_value:
        raise mapping_error(
            f"{where}.property: contact property '{prop.name}' is read-only", f"{where}.property"
        )
    if prop.key and (not found.has_unique_value or found.type != "string"):
        raise mapping_error(
            f"key_column: contact property '{prop.name}' is not a string property with unique "
            "values, so it cannot be the import's key",
            "key_column",
        )
    new = _added_options(prop, found.options) if found.type == "enumeration" else []
    if new and not found.hubspot_defined:
        properties.update_property(
            session, CONTACTS, prop.name, {"options": [*found.options, *new]}
        )
        result.options_added += len(new)


def _stage_ranks(session: Session, plan: ContactPlan) -> dict[str, int]:
    """Every lifecycle stage's rank, after checking that the mapping names live ones."""
    stages = lifecycle_stages.list_stages(session)
    live = [s.value for s in stages if not s.archived]
    spec = plan.mapping.lifecycle_stage
    named: list[tuple[str, str]] = []
    if isinstance(spec, str):
        named = [("lifecycle_stage", spec)]
    elif isinstance(spec, LifecycleMapping):
        named = [(f"lifecycle_stage.values.{k}", v) for k, v in spec.values.items() if v]
    for key, stage in named:
        if stage not in live:
            raise mapping_error(
                f"{key}: '{stage}' is not a lifecycle stage records can enter ({', '.join(live)})",
                key,
            )
    return {s.value: s.display_order for s in stages}


def _contact_writes(
    plan: ContactPlan,
    existing: dict[str, dict[str, str | None]],
    ranks: dict[str, int],
    result: ContactImportResult,
) -> list[_ContactWrite]:
    """A create for each new key; an update, by record id, for each key already there.
    An update leaves out the key (it found the record, so it is unchanged) and a lifecycle
    stage that would not move the contact forward."""
    key_property = plan.mapping.key_property
    creates: list[_ContactWrite] = []
    updates: list[_ContactWrite] = []
    for contact in plan.contacts:
        current = existing.get(contact.key)
        if current is None:
            creates.append(_ContactWrite(contact, None, contact.properties))
            continue
        props = {k: v for k, v in contact.properties.items() if k != key_property}
        stage, have = props.get("lifecyclestage"), current.get("lifecyclestage")
        if stage is not None and have is not None and ranks.get(stage, -1) <= ranks.get(have, -1):
            del props["lifecyclestage"]
            result.stages_kept += int(stage != have)
        updates.append(_ContactWrite(contact, current["hs_object_id"], props))
    return creates + updates


def _contact_chunks(writes: list[_ContactWrite], size: int) -> Iterator[list[list[_ContactWrite]]]:
    """Batches (of one kind, at most 100) grouped into units of work of about ``size``."""
    chunk: list[list[_ContactWrite]] = []
    count = 0
    current: list[_ContactWrite] = []
    for w in writes:
        if current and (w.create != current[0].create or len(current) >= _BATCH):
            chunk.append(current)
            count += len(current)
            current = []
            if count >= size:
                yield chunk
                chunk, count = [], 0
        current.append(w)
    if current:
        chunk.append(current)
    if chunk:
        yield chunk


def _contact_refused(
    plan: ContactPlan, w: _ContactWrite, error: batch.ItemError, result: ContactImportResult
) -> None:
    """One problem per property the records service refused, named by its column."""
    contact = w.contact
    # A refused value names its property in each detail; a conflict names the unique
    # property in the error's context.
    found = [(d.context.get("propertyName", [""])[0], d.message) for d in error.errors] or [
        (next((k for k in error.context if plan.column_of(k)), ""), error.message)
    ]
    for name, message in found:
        column = plan.column_of(name) if name else ""
        result.problems.append(Problem(contact.line, contact.key, column, "REFUSED", message))
    result.failed_keys.add(contact.key)


def _store_contacts(
    session: Session,
    plan: ContactPlan,
    run: list[_ContactWrite],
    result: ContactImportResult,
    now: datetime,
) -> int:
    """Write one batch; returns how many contacts it stored."""
    source = WriteSource("IMPORT", plan.file_name)
    if run[0].create:
        done = batch.create_batch(
            session, CONTACTS, [{"properties": w.properties} for w in run], source=source, now=now
        )
    else:
        done = batch.update_batch(
            session,
            CONTACTS,
            [{"id": w.record_id, "properties": w.properties} for w in run],
            source=source,
            now=now,
        )
    for error in done.errors:
        _contact_refused(plan, run[int(error.context["inputIndex"][0])], error, result)
    return len(done.results)


def run_contact_import(
    plan: ContactPlan,
    units: Units,
    *,
    now: datetime,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> ContactImportResult:
    """Load ``plan``: one unit of work (from ``units``) creates the mapping's property group
    and properties (or checks those there, adding new options of from-data enumerations)
    and finds the contacts already imported by their key; then units of about
    ``chunk_size`` contacts create the new ones and update the others through the batch
    service, all at ``now``. Empty cells are not sent, so they never clear a value."""
    result = ContactImportResult(plan.rows, list(plan.problems))
    with units() as session:
        group = _ensure_group(session, plan, result)
        catalog = properties.load_catalog(session, CONTACTS)
        for prop in plan.properties:
            _ensure_contact_property(session, prop, catalog.get(prop.name), group, result)
        ranks = _stage_ranks(session, plan)
        existing = _existing(
            session,
            CONTACTS,
            plan.mapping.key_property,
            [c.key for c in plan.contacts],
            ("hs_object_id", "lifecyclestage"),
        )
    result.chunks_committed = 1
    writes = _contact_writes(plan, existing, ranks, result)
    done = 0
    for chunk in _contact_chunks(writes, chunk_size):
        stored = {True: 0, False: 0}
        try:
            with units() as session:
                for run in chunk:
                    stored[run[0].create] += _store_contacts(session, plan, run, result, now)
        except Exception as exc:
            raise ImportInterrupted(
                f"the import stopped after {result.chunks_committed} committed units of work "
                f"(the set-up and {result.chunks_committed - 1} chunks): {exc}",
                result,
            ) from exc
        # Counted once committed: an interrupted import reports what it stored.
        result.contacts_created += stored[True]
        result.contacts_updated += stored[False]
        result.chunks_committed += 1
        done += sum(len(r) for r in chunk)
        if progress is not None:
            progress(done, len(writes))
    return result
