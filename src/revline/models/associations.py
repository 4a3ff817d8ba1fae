"""Association edges between records. Each link is stored in both directions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, UniqueConstraint, false
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
    # Archived with one of its two records: hidden from reads, restored with the record.
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=false())

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
        # Its leading columns (from_type, from_id, to_type, to_id) serve every read: no
        # second index of them (migration 0021 dropped it).
    )


class AssociationLabel(Base):
    """A user-defined association type (a label) in one direction; its inverse is another row."""

    __tablename__ = "association_labels"

    type_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    from_type: Mapped[str] = mapped_column(String(32), nullable=False)
    to_type: Mapped[str] = mapped_column(String(32), nullable=False)
    label: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    inverse_type_id: Mapped[int] = mapped_column(Integer, nullable=False)
    category: Mapped[str] = mapped_column(String(32), nullable=False, default="USER_DEFINED")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_association_labels_pair", "from_type", "to_type"),)
