"""All SQL for property definitions, groups and value history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Table, and_, insert, select, update
from sqlalchemy.orm import Session

from revline.kit.db.dialect import json_has_key
from revline.models import CatalogRevision, PropertyDefinition, PropertyGroup, PropertyHistory
from revline.models.pipelines import Pipeline, PipelineStage
from revline.models.records import RECORD_MODELS
from revline.models.routing import RoutingRule
from revline.models.scoring import ScoreModel
from revline.models.segments import Segment


def catalog_revision(session: Session, name: str) -> int:
    """The current value of a catalog's revision counter (0 when it has none yet)."""
    value = session.scalar(select(CatalogRevision.revision).where(CatalogRevision.name == name))
    return int(value or 0)


def bump_catalog_revision(session: Session, name: str) -> None:
    """Move a catalog's counter forward, inside the caller's transaction."""
    moved = session.execute(
        update(CatalogRevision)
        .where(CatalogRevision.name == name)
        .values(revision=CatalogRevision.revision + 1)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        session.execute(insert(CatalogRevision).values(name=name, revision=1))


def list_definitions(
    session: Session, object_type: str, *, archived: bool | None = False
) -> Sequence[PropertyDefinition]:
    stmt = select(PropertyDefinition).where(PropertyDefinition.object_type == object_type)
    if archived is not None:
        stmt = stmt.where(PropertyDefinition.archived.is_(archived))
    stmt = stmt.order_by(PropertyDefinition.display_order, PropertyDefinition.name)
    return session.scalars(stmt).all()


def get_definition(session: Session, object_type: str, name: str) -> PropertyDefinition | None:
    return session.scalars(
        select(PropertyDefinition).where(
            PropertyDefinition.object_type == object_type, PropertyDefinition.name == name
        )
    ).one_or_none()


def list_groups(
    session: Session, object_type: str, *, archived: bool = False
) -> Sequence[PropertyGroup]:
    return session.scalars(
        select(PropertyGroup)
        .where(PropertyGroup.object_type == object_type, PropertyGroup.archived.is_(archived))
        .order_by(PropertyGroup.display_order, PropertyGroup.name)
    ).all()


def get_group(session: Session, object_type: str, name: str) -> PropertyGroup | None:
    return session.scalars(
        select(PropertyGroup).where(
            PropertyGroup.object_type == object_type, PropertyGroup.name == name
        )
    ).one_or_none()


def existing_group_names(session: Session) -> set[tuple[str, str]]:
    return {(g.object_type, g.name) for g in session.scalars(select(PropertyGroup)).all()}


def existing_definition_names(session: Session) -> set[tuple[str, str]]:
    rows = session.execute(select(PropertyDefinition.object_type, PropertyDefinition.name)).all()
    return {(r[0], r[1]) for r in rows}


def add(session: Session, obj: PropertyDefinition | PropertyGroup) -> None:
    session.add(obj)
    session.flush()


def add_all(session: Session, objs: Iterable[PropertyDefinition | PropertyGroup]) -> None:
    session.add_all(list(objs))
    session.flush()


def custom_value_exists(
    session: Session, table: str, engagement_type: str | None, name: str
) -> bool:
    """Whether any record of the table holds a value for custom property ``name``."""
    model_table: Table = RECORD_MODELS[table].__table__  # type: ignore[attr-defined]
    cond = json_has_key(session.get_bind().dialect.name, model_table.c.custom, name)
    if engagement_type is not None:
        cond = and_(cond, model_table.c.engagement_type == engagement_type)
    return session.execute(select(model_table.c.id).where(cond).limit(1)).first() is not None


def add_history(session: Session, rows: list[PropertyHistory]) -> None:
    if rows:
        session.add_all(rows)


def history_for(
    session: Session, object_type: str, record_ids: Sequence[int], names: Sequence[str]
) -> Sequence[PropertyHistory]:
    if not record_ids or not names:
        return []
    return session.scalars(
        select(PropertyHistory)
        .where(
            PropertyHistory.object_type == object_type,
            PropertyHistory.record_id.in_(record_ids),
            PropertyHistory.name.in_(names),
        )
        .order_by(
            PropertyHistory.record_id,
            PropertyHistory.name,
            PropertyHistory.changed_at.desc(),
            PropertyHistory.id.desc(),
        )
    ).all()


# --- what reads a property ------------------------------------------------------------------

# Routing rules on contacts name their primary company's properties with this prefix.
_COMPANY_PREFIX = "company."


def property_users(session: Session, object_type: str, name: str) -> list[tuple[str, str, str]]:
    """What still reads the property ``name`` of ``object_type``, as (kind, id, name) triples:
    live dynamic segments and live score models (from the ``dependencies`` they store:
    ``properties`` are contact properties, ``companyProperties`` those of the contact's
    primary company), routing rules (a condition's ``propertyName``; ``company.<name>`` on
    a contact rule), and live pipeline stages that require it. These are few rows, read
    whole and checked here."""
    found: list[tuple[str, str, str]] = []
    key = {"contacts": "properties", "companies": "companyProperties"}.get(object_type)
    if key is not None:
        segments = session.execute(
            select(Segment.id, Segment.name, Segment.dependencies)
            .where(Segment.archived.is_(False))
            .order_by(Segment.id)
        )
        found += [
            ("segment", str(i), n) for i, n, deps in segments if name in (deps or {}).get(key, [])
        ]
        models = session.execute(
            select(ScoreModel.name, ScoreModel.label, ScoreModel.dependencies)
            .where(ScoreModel.archived.is_(False))
            .order_by(ScoreModel.name)
        )
        found += [
            ("scoreModel", n, label)
            for n, label, deps in models
            if name in (deps or {}).get(key, [])
        ]
    wanted = {(object_type, name)}
    if object_type == "companies":
        wanted.add(("contacts", _COMPANY_PREFIX + name))
    rules = session.execute(
        select(
            RoutingRule.id, RoutingRule.name, RoutingRule.object_type, RoutingRule.conditions
        ).order_by(RoutingRule.id)
    )
    found += [
        ("routingRule", str(i), n)
        for i, n, ot, conditions in rules
        if any((ot, c.get("propertyName")) in wanted for c in conditions or [])
    ]
    stages = session.execute(
        select(PipelineStage.id, PipelineStage.label, PipelineStage.required_properties)
        .join(Pipeline, Pipeline.id == PipelineStage.pipeline_id)
        .where(
            Pipeline.object_type == object_type,
            Pipeline.archived.is_(False),
            PipelineStage.archived.is_(False),
        )
        .order_by(PipelineStage.pipeline_id, PipelineStage.display_order)
    )
    found += [("pipelineStage", i, label) for i, label, req in stages if name in (req or [])]
    return found
