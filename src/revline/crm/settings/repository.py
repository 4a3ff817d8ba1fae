"""SQL of the workspace settings table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from revline.models import WorkspaceSetting


def get_setting(session: Session, key: str) -> dict[str, Any] | None:
    row = session.get(WorkspaceSetting, key)
    return None if row is None else dict(row.value)


def put_setting(session: Session, key: str, value: dict[str, Any], at: datetime) -> None:
    row = session.get(WorkspaceSetting, key)
    if row is None:
        session.add(WorkspaceSetting(key=key, value=value, updated_at=at))
    else:
        row.value = value
        row.updated_at = at
    session.flush()
