"""What a type-specific rule sees while a record is being written, and what it is told once
the write is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from revline.crm.object_types import ObjectType
from revline.crm.properties.service import Catalog, property_problem
from revline.crm.properties.values import TypedValue
from revline.errors import ErrorDetail
from revline.kit.time import utcnow


@dataclass(frozen=True)
class WriteSource:
    """Where a change came from; kept with every history row."""

    source_type: str = "API"
    source_id: str | None = None
    user_id: int | None = None


@dataclass(frozen=True)
class StoredChange:
    """One record as just written: what it held before (None when created) and the values
    that changed. What rules that react to stored writes (lifecycle sync) are given."""

    record_id: int
    before: dict[str, Any] | None
    changed: dict[str, TypedValue]


@dataclass
class WriteContext:
    session: Session
    object_type: ObjectType
    catalog: Catalog
    values: dict[str, TypedValue]  # parsed incoming values; rules may normalise or add
    current: dict[str, Any] | None  # current property values by name (None when creating)
    problems: list[ErrorDetail] = field(default_factory=list)
    now: datetime | None = None  # when the write happens (date stamps use it)

    @property
    def at(self) -> datetime:
        return self.now or utcnow()

    @property
    def creating(self) -> bool:
        return self.current is None

    def effective(self, name: str) -> Any:
        """The value the record will hold after this write."""
        if name in self.values:
            return self.values[name]
        return None if self.current is None else self.current.get(name)

    def has_problem(self, name: str) -> bool:
        """Whether ``name`` already has a problem (rules then add no second one for it)."""
        return any(p.context.get("propertyName") == [name] for p in self.problems)

    def problem(self, name: str, code: str, message: str) -> None:
        self.problems.append(property_problem(name, code, message))
