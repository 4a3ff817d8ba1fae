"""Association edges between records. Each link is stored in both directions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from revline.kit.db import Base, UTCDateTime
from revline.models._columns import BigId


class Association(Base):
    __tablename__ = "associations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    from_type: Mapped[str] = mapped_column(String(32), nullable=False)
    from_id: Mapped[int] = mapped_column(BigId, nullable=False)
    to_type: Mapped[str] = mapped_column(String(32), nullable=False)
    to_id: Mapped[int] = mapped_column(BigId, nullable=False)
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    type_id: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint(
            "from_type",
            "from_id",
            "to_type",
            "to_id",
            "category",
            "type_id",
            name="uq_associations_edge",
        ),
        Index("ix_associations_from", "from_type", "from_id", "to_type", "to_id"),
    )
