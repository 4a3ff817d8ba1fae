"""Owner routing rules: which new (or newly qualified) records go to which team, and how the
team shares them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from revline.kit.db import Base, JSONDocument, UTCDateTime
from revline.models._columns import BigId


class RoutingRule(Base):
    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    object_type: Mapped[str] = mapped_column(String(32), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    # "created", or "lifecycle_stage" with trigger_stage
    trigger: Mapped[str] = mapped_column(String(32), nullable=False)
    trigger_stage: Mapped[str | None] = mapped_column(String(100))
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, nullable=False)
    team_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("teams.id", ondelete="RESTRICT"), nullable=False
    )
    method: Mapped[str] = mapped_column(String(32), nullable=False)  # round_robin | least_open
    overwrite_owner: Mapped[bool] = mapped_column(Boolean, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # Round robin: the member who got the last record (the next one goes to the member after).
    last_assigned_user_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_routing_rules_type_position", "object_type", "position"),)
