"""Property definitions, property groups and the history of every value change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from revline.kit.db import Base, JSONDocument, UTCDateTime
from revline.models._columns import BigId


class PropertyGroup(Base):
    __tablename__ = "property_groups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    label: Mapped[str] = mapped_column(String(255), nullable=False)
    display_order: Mapped[int] = mapped_column(Integer, nullable=False, default=-1)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())

    __table_args__ = (UniqueConstraint("object_type", "name", name="uq_property_groups_name"),)


class PropertyDefinition(Base):
    __tablename__ = "property_definitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    label: Mapped[str] = mapped_column(String(255), nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    field_type: Mapped[str] = mapped_column(String(32), nullable=False)
    group_name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    display_order: Mapped[int] = mapped_column(Integer, nullable=False, default=-1)
    options: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONDocument, nullable=False, default=list
    )
    hidden: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    form_field: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    has_unique_value: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    hubspot_defined: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    calculated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    read_only_value: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    read_only_definition: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_user_id: Mapped[int | None] = mapped_column(BigId)
    updated_user_id: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (UniqueConstraint("object_type", "name", name="uq_property_definitions_name"),)


class PropertyHistory(Base):
    """One row per change of one property value of one record."""

    __tablename__ = "property_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False)
    record_id: Mapped[int] = mapped_column(BigId, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    value: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    source_type: Mapped[str] = mapped_column(String(32), nullable=False)
    source_id: Mapped[str | None] = mapped_column(String(255))
    updated_by_user_id: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (
        Index("ix_property_history_record", "object_type", "record_id", "name", "changed_at"),
    )


class CatalogRevision(Base):
    """A counter per shared catalog (``property_catalog``): every change to what it covers
    increments it in the same transaction, so a process may keep a copy of the catalog for as
    long as the counter it read has not moved."""

    __tablename__ = "catalog_revisions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False)
