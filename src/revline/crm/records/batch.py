"""Batch reads and writes of records: up to 100 items per call, each one succeeding or
failing on its own.

Writes run the same validation as single-record writes (``service.prepare_many`` and
``service.unique_conflicts``) for the whole batch at once, then store every valid item with
set-based statements: one multi-row INSERT (or one UPDATE executemany per set of changed
columns), one executemany of history rows. Items that fail validation are reported and never
written. Should the set-based write itself fail (a concurrent writer took a unique value
after it was checked), it is rolled back to its savepoint and the items are written again
one per savepoint, so every item ends up either in ``results`` or in ``errors``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from revline.crm.associations import service as associations
from revline.crm.associations.service import AssociationSpec
from revline.crm.object_types import ObjectType, access_object_type
from revline.crm.properties import service as properties
from revline.crm.properties.service import Catalog
from revline.crm.properties.values import TypedValue
from revline.crm.records import repository as repo
from revline.crm.records import service
from revline.crm.records.context import StoredChange, WriteSource
from revline.crm.records.service import RecordView
from revline.errors import Conflict, ErrorDetail, NotFound, RevlineError, ValidationError
from revline.kit.pagination import parse_id
from revline.kit.time import utcnow
from revline.kit.validation import is_storable

MAX_INPUTS = 100
_BY_ID = ("", "hs_object_id")
_API = WriteSource()


@dataclass
class ItemError:
    """One failed input, rendered as one entry of a batch response's ``errors``."""

    category: str
    message: str
    context: dict[str, list[str]]
    errors: list[ErrorDetail] = field(default_factory=list)

    @classmethod
    def of(cls, exc: RevlineError, index: int, record_id: str | None = None) -> ItemError:
        context = {**exc.context, "inputIndex": [str(index)]}
        if record_id is not None:
            context["ids"] = [record_id]
        return cls(exc.category, exc.message, context, list(exc.errors))


@dataclass
class BatchResult:
    results: list[RecordView]
    errors: list[ItemError]
    started_at: datetime
    completed_at: datetime


def check_inputs(inputs: Any) -> list[Any]:
    """The ``inputs`` list: 1 to 100 items, or a 400 naming ``inputs``."""
    if not isinstance(inputs, list):
        raise ValidationError(
            "inputs must be a list",
            errors=[ErrorDetail("not a list", "INVALID_INPUTS", {"inputs": [""]})],
        )
    if not inputs or len(inputs) > MAX_INPUTS:
        raise ValidationError(
            f"inputs must hold 1 to {MAX_INPUTS} items; got {len(inputs)}",
            errors=[
                ErrorDetail(
                    f"between 1 and {MAX_INPUTS} inputs are allowed",
                    "INVALID_INPUTS",
                    {"inputs": [str(len(inputs))]},
                )
            ],
        )
    return inputs


def _malformed(what: str, index: int) -> ValidationError:
    return ValidationError(
        f"inputs[{index}] {what}",
        errors=[ErrorDetail(what, "INVALID_INPUT", {"inputs": [str(index)]})],
    )


def _id_text(item: Any, index: int) -> str:
    if not isinstance(item, dict):
        raise _malformed("must be an object", index)
    value = item.get("id")
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise _malformed('needs an "id" (a string)', index)
    return str(value)


# --- finding records --------------------------------------------------------------------


def _resolve(
    session: Session,
    ot: ObjectType,
    catalog: Catalog,
    keys: Sequence[tuple[str, str | None] | None],
    *,
    archived: bool,
) -> list[RowMapping | RevlineError | None]:
    """The record each (id text, id property) names, or None when there is none, or the
    error of a bad id property. The common case takes one query per id property; misses are
    looked up again through the single-record path (which normalises emails and domains)."""
    found: list[RowMapping | RevlineError | None] = [None] * len(keys)
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key is not None:
            groups.setdefault(key[1] or "", []).append(i)
    for id_property, indexes in groups.items():
        if id_property in _BY_ID:
            wanted = {i: parse_id(keys[i][0].strip()) for i in indexes}  # type: ignore[index]
            rows = repo.rows_by_id(
                session, ot, [v for v in wanted.values() if v is not None], archived=archived
            )
            for i, ident in wanted.items():
                found[i] = rows.get(ident) if ident is not None else None
            continue
        prop = catalog.get(id_property)
        if prop is None or not prop.has_unique_value:
            for i in indexes:
                found[i] = ValidationError(
                    f"idProperty '{id_property}' is not a unique-value property of {ot.name}",
                    errors=[
                        ErrorDetail(
                            "not a unique property",
                            "INVALID_ID_PROPERTY",
                            {"idProperty": [id_property]},
                        )
                    ],
                )
            continue
        texts = {i: keys[i][0].strip() for i in indexes}  # type: ignore[index]
        candidates = sorted({t for t in texts.values() if is_storable(t)})
        if prop.column is not None:
            matches = repo.ids_by_column(session, ot, prop.column, candidates)
        else:
            matches = repo.ids_by_custom(session, ot, prop.name, candidates)
        by_value = {str(value): record_id for record_id, value in sorted(matches, reverse=True)}
        rows = repo.rows_by_id(session, ot, sorted(set(by_value.values())), archived=archived)
        for i, text in texts.items():
            ident = by_value.get(text)
            found[i] = rows.get(ident) if ident is not None else None
    for i, key in enumerate(keys):
        # Text no database can store matches no record (and the drivers refuse to send it).
        if key is not None and found[i] is None and is_storable(key[0]):
            try:
                found[i] = service._find_row(
                    session, ot, catalog, key[0], key[1], archived=archived
                )
            except RevlineError as exc:
                found[i] = exc
    return found


# --- reading ----------------------------------------------------------------------------


def read_batch(
    session: Session,
    ot: ObjectType,
    inputs: Any,
    *,
    id_property: str | None = None,
    archived: bool = False,
    properties_: Sequence[str] | None = None,
    with_history: Sequence[str] | None = None,
) -> BatchResult:
    started = utcnow()
    items = check_inputs(inputs)
    catalog = properties.load_catalog(session, ot)
    errors: list[ItemError] = []
    keys: list[tuple[str, str | None] | None] = []
    for i, item in enumerate(items):
        try:
            keys.append((_id_text(item, i), id_property))
        except ValidationError as exc:
            errors.append(ItemError.of(exc, i))
            keys.append(None)
    rows: dict[int, RowMapping] = {}
    for i, (key, row) in enumerate(
        zip(keys, _resolve(session, ot, catalog, keys, archived=archived), strict=True)
    ):
        if key is None:
            continue
        if isinstance(row, RevlineError):
            errors.append(ItemError.of(row, i, key[0]))
        elif row is None:
            missing = NotFound(f"{ot.singular.title()} {key[0]} does not exist")
            errors.append(ItemError.of(missing, i, key[0]))
        else:
            rows.setdefault(int(row["id"]), row)
    views = service._views(
        session,
        ot,
        catalog,
        list(rows.values()),
        properties_=properties_,
        with_history=with_history,
        associations_=None,
    )
    return BatchResult(views, errors, started, utcnow())


# --- writing ----------------------------------------------------------------------------


@dataclass
class _Write:
    """One input on its way to being stored."""

    index: int
    raw: Any
    row: RowMapping | None = None  # the record being updated; None when creating
    specs: list[AssociationSpec] = field(default_factory=list)
    key: str | None = None  # the id the client gave, for error context
    values: dict[str, TypedValue] = field(default_factory=dict)
    row_values: dict[str, Any] = field(default_factory=dict)  # current values of ``row``
    error: ItemError | None = None
    record_id: int | None = None
    new: bool = False

    def fail(self, exc: RevlineError) -> None:
        self.error = ItemError.of(exc, self.index, self.key)

    @property
    def current(self) -> dict[str, Any] | None:
        return None if self.row is None else self.row_values


def _validate(
    session: Session, ot: ObjectType, catalog: Catalog, writes: list[_Write], at: datetime
) -> None:
    live = [w for w in writes if w.error is None]
    for w in live:
        if w.row is not None:
            w.row_values = service._current_values(catalog, w.row)
    prepared = service.prepare_many(
        session, ot, catalog, [(w.raw, w.current) for w in live], now=at
    )
    for w, result in zip(live, prepared, strict=True):
        if isinstance(result, ValidationError):
            w.fail(result)
        else:
            w.values = result
    live = [w for w in live if w.error is None]
    clashes = service.unique_conflicts(
        session,
        ot,
        catalog,
        [(w.values, None if w.row is None else int(w.row["id"])) for w in live],
    )
    for w, clash in zip(live, clashes, strict=True):
        if clash is not None:
            w.fail(clash)
    _check_targets(session, [w for w in live if w.error is None and w.specs])


def _check_targets(session: Session, writes: list[_Write]) -> None:
    """Fail the inputs whose association targets are missing: one query per target type."""
    if not writes:
        return
    specs = [spec for w in writes for spec in w.specs]
    types = {spec.to_type: access_object_type(spec.to_type) for spec in specs}
    live = associations.live_targets(session, types, specs)
    for w in writes:
        missing = [s for s in w.specs if (s.to_type, s.to_id) not in live]
        if missing:
            target = types[missing[0].to_type]
            w.fail(
                ValidationError(
                    f"Cannot associate with {target.singular} {missing[0].to_id}: "
                    "it does not exist",
                    errors=[
                        ErrorDetail(
                            "association target not found",
                            "ASSOCIATION_TARGET_MISSING",
                            {"toObjectId": [str(missing[0].to_id)]},
                        )
                    ],
                )
            )


def _store(
    session: Session,
    ot: ObjectType,
    catalog: Catalog,
    writes: list[_Write],
    at: datetime,
    source: WriteSource,
) -> None:
    """Write every item, all at once; ids land in ``record_id``."""
    creates = [w for w in writes if w.row is None]
    updates = [w for w in writes if w.row is not None]
    new_rows = []
    for w in creates:
        columns, custom = service._split(catalog, w.values, {})
        columns.setdefault("created_at", at)
        new_rows.append({**columns, "custom": custom, "updated_at": at, "archived": False})
    for w, new_id in zip(creates, repo.insert_rows(session, ot, new_rows), strict=True):
        w.record_id = new_id
    history: list[dict[str, Any]] = []
    for w in creates:
        assert w.record_id is not None
        present: dict[str, TypedValue] = {k: v for k, v in w.values.items() if v is not None}
        history.extend(service.history_values(ot, catalog, w.record_id, present, at, source))
    changes: list[tuple[int, dict[str, Any]]] = []
    changed_by_update: list[tuple[int, dict[str, TypedValue]]] = []
    for w in updates:
        assert w.row is not None
        w.record_id = int(w.row["id"])
        changed = service.changed_values(catalog, w.values, w.row_values)
        changed_by_update.append((w.record_id, changed))
        columns, custom = service._split(catalog, changed, w.row["custom"] or {})
        changes.append((w.record_id, {**columns, "custom": custom, "updated_at": at}))
        history.extend(service.history_values(ot, catalog, w.record_id, changed, at, source))
    repo.update_rows(session, ot, changes)
    repo.insert_history(session, history)
    links = [(w.record_id, spec) for w in creates if w.record_id is not None for spec in w.specs]
    if links:
        associations.link_new_records(session, ot.name, links)
    stored = [StoredChange(w.record_id, None, w.values) for w in creates if w.record_id]
    stored += [
        StoredChange(record_id, w.row_values, changed)
        for w, (record_id, changed) in zip(updates, changed_by_update, strict=True)
    ]
    service.after_store(session, ot, stored, at, source)
    session.flush()


def _write(
    session: Session,
    ot: ObjectType,
    catalog: Catalog,
    writes: list[_Write],
    *,
    source: WriteSource,
    now: datetime | None,
    started: datetime,
) -> BatchResult:
    at = now or utcnow()
    _validate(session, ot, catalog, writes, at)
    valid = [w for w in writes if w.error is None]
    try:
        with session.begin_nested():
            _store(session, ot, catalog, valid, at, source)
    except (IntegrityError, RevlineError):
        # Someone else took a value after it was checked: find which items still fit.
        for w in valid:
            w.record_id = None
            try:
                with session.begin_nested():
                    _store(session, ot, catalog, [w], at, source)
            except IntegrityError as exc:
                w.fail(
                    Conflict(f"{ot.singular.title()} conflicts with an existing record: {exc.orig}")
                )
            except RevlineError as exc:
                w.fail(exc)
    stored = [w for w in writes if w.error is None]
    rows = repo.rows_by_id(session, ot, [w.record_id for w in stored if w.record_id], archived=None)
    views = []
    for w in stored:
        assert w.record_id is not None
        view = service._render(
            catalog, [rows[w.record_id]], [*ot.default_properties, *w.values.keys()]
        )[0]
        view.extra["new"] = w.new
        views.append(view)
    errors = [w.error for w in sorted(writes, key=lambda w: w.index) if w.error is not None]
    return BatchResult(views, errors, started, utcnow())


def create_batch(
    session: Session,
    ot: ObjectType,
    inputs: Any,
    *,
    source: WriteSource = _API,
    now: datetime | None = None,
) -> BatchResult:
    """Create up to 100 records (``{properties, associations?}`` each)."""
    started = utcnow()
    items = check_inputs(inputs)
    catalog = properties.load_catalog(session, ot)
    writes: list[_Write] = []
    for i, item in enumerate(items):
        w = _Write(i, item.get("properties") if isinstance(item, dict) else None, new=True)
        writes.append(w)
        if not isinstance(item, dict):
            w.fail(_malformed("must be an object", i))
            continue
        try:
            w.specs = service.parse_association_inputs(ot, item.get("associations"))
        except ValidationError as exc:
            w.fail(exc)
    return _write(
        session,
        ot,
        catalog,
        writes,
        source=source,
        now=now,
        started=started,
    )


def _duplicate(ot: ObjectType, w: _Write, first: int) -> Conflict:
    return Conflict(
        f"{ot.singular.title()} {w.key} appears more than once in this batch "
        f"(first at input {first})",
        context={"inputIndex": [str(first)]},
    )


def _attach_rows(
    session: Session,
    ot: ObjectType,
    catalog: Catalog,
    writes: list[_Write],
    keys: list[tuple[str, str | None] | None],
    *,
    create_missing: bool,
) -> None:
    """Find the record each write names; a second write to the same record is a conflict."""
    seen: dict[int, int] = {}
    for w, key, row in zip(
        writes, keys, _resolve(session, ot, catalog, keys, archived=False), strict=True
    ):
        if key is None or w.error is not None:
            continue
        if isinstance(row, RevlineError):
            w.fail(row)
        elif row is None:
            if not create_missing:
                w.fail(NotFound(f"{ot.singular.title()} {key[0]} does not exist"))
            else:
                w.new = True
        elif int(row["id"]) in seen:
            w.fail(_duplicate(ot, w, seen[int(row["id"])]))
        else:
            seen[int(row["id"])] = w.index
            w.row = row


def _keyed_writes(
    items: list[Any], pick: Callable[[_Write, Any], str | ValidationError | None]
) -> tuple[list[_Write], list[tuple[str, str | None] | None]]:
    """One write per input, with the (id, idProperty) that names its record; ``pick`` chooses
    the idProperty of an input (or refuses it). Inputs without a usable id fail alone."""
    writes: list[_Write] = []
    keys: list[tuple[str, str | None] | None] = []
    for i, item in enumerate(items):
        w = _Write(i, item.get("properties") if isinstance(item, dict) else None)
        writes.append(w)
        try:
            w.key = _id_text(item, i)
        except ValidationError as exc:
            w.fail(exc)
            keys.append(None)
            continue
        chosen = pick(w, item)
        if isinstance(chosen, ValidationError):
            w.fail(chosen)
            keys.append(None)
            continue
        keys.append((w.key, chosen))
    return writes, keys


def update_batch(
    session: Session,
    ot: ObjectType,
    inputs: Any,
    *,
    id_property: str | None = None,
    source: WriteSource = _API,
    now: datetime | None = None,
) -> BatchResult:
    """Change up to 100 records (``{id, properties, idProperty?}`` each)."""
    started = utcnow()
    items = check_inputs(inputs)
    catalog = properties.load_catalog(session, ot)

    def pick(_w: _Write, item: Any) -> str | None:
        own = item.get("idProperty")
        return own if isinstance(own, str) else id_property

    writes, keys = _keyed_writes(items, pick)
    _attach_rows(session, ot, catalog, writes, keys, create_missing=False)
    return _write(session, ot, catalog, writes, source=source, now=now, started=started)


def upsert_batch(
    session: Session,
    ot: ObjectType,
    inputs: Any,
    *,
    source: WriteSource = _API,
    now: datetime | None = None,
) -> BatchResult:
    """Create or update up to 100 records named by a unique value (``{id, idProperty,
    properties}`` each); results carry ``new``."""
    started = utcnow()
    items = check_inputs(inputs)
    catalog = properties.load_catalog(session, ot)

    def pick(w: _Write, item: Any) -> str | ValidationError:
        id_property = item.get("idProperty") or ot.unique_id_property
        prop = catalog.get(id_property) if isinstance(id_property, str) else None
        if prop is None or not prop.has_unique_value:
            return ValidationError(
                f"idProperty must name a unique-value property of {ot.name}; got {id_property!r}",
                errors=[
                    ErrorDetail(
                        "not a unique property",
                        "INVALID_ID_PROPERTY",
                        {"idProperty": [str(id_property)]},
                    )
                ],
            )
        # The unique value named by the id is also the new record's value when created.
        if isinstance(w.raw, dict) and prop.name not in w.raw:
            w.raw = {**w.raw, prop.name: w.key}
        return prop.name

    writes, keys = _keyed_writes(items, pick)
    _attach_rows(session, ot, catalog, writes, keys, create_missing=True)
    return _write(session, ot, catalog, writes, source=source, now=now, started=started)


def archive_batch(session: Session, ot: ObjectType, inputs: Any) -> None:
    """Archive up to 100 records by id. Like HubSpot, ids that name no live record are
    skipped: archiving is idempotent."""
    items = check_inputs(inputs)
    for i, item in enumerate(items):
        record_id = _id_text(item, i)
        try:
            service.archive_record(session, ot, record_id)
        except NotFound:
            continue
