"""Pipelines and their ordered stages."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from revline.kit.db import Base, JSONDocument, Number, UTCDateTime


class Pipeline(Base):
    __tablename__ = "pipelines"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False)
    label: Mapped[str] = mapped_column(String(255), nullable=False)
    display_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    stages: Mapped[list[PipelineStage]] = relationship(
        back_populates="pipeline",
        order_by="(PipelineStage.display_order, PipelineStage.created_at)",
        lazy="selectin",
    )

    __table_args__ = (Index("ix_pipelines_object_type", "object_type"),)


class PipelineStage(Base):
    __tablename__ = "pipeline_stages"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pipeline_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("pipelines.id", ondelete="CASCADE"), nullable=False
    )
    label: Mapped[str] = mapped_column(String(255), nullable=False)
    display_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    probability: Mapped[Decimal | None] = mapped_column(Number)
    is_closed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Properties a deal must hold to enter the stage (checked on every move into it).
    required_properties: Mapped[list[str]] = mapped_column(
        JSONDocument, nullable=False, server_default=text("'[]'")
    )
    # A deal is stuck after this many days in the stage (None: learnt from won deals).
    rot_days: Mapped[int | None] = mapped_column(Integer)
    # PIPELINE, BEST_CASE, COMMIT, CLOSED or OMIT; None: derived from the stage.
    forecast_category: Mapped[str | None] = mapped_column(String(16))
    write_permissions: Mapped[str] = mapped_column(
        String(32), nullable=False, default="CRM_PERMISSIONS_ENFORCEMENT"
    )
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    pipeline: Mapped[Pipeline] = relationship(back_populates="stages")

    __table_args__ = (Index("ix_pipeline_stages_pipeline", "pipeline_id", "display_order"),)
