"""Workspace switches for the lifecycle sync rules (all on by default, as in HubSpot)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from sqlalchemy.orm import Session

from revline.crm.settings import repository as workspace
from revline.errors import ErrorDetail, ValidationError
from revline.kit.time import utcnow

KEY = "lifecycle_sync"
_CACHE = "revline.lifecycle_settings"


@dataclass(frozen=True)
class LifecycleSettings:
    # A new deal moves its associated contacts and companies to "opportunity".
    deal_created_to_opportunity: bool = True
    # A deal entering a closed-won stage moves its contacts and companies to "customer".
    deal_won_to_customer: bool = True
    # A company moves up to the most advanced stage among its associated contacts.
    company_follows_contacts: bool = True
    # A company's stage is pushed down to its associated contacts that are behind it.
    contacts_follow_company: bool = True


_NAMES = {f.name for f in fields(LifecycleSettings)}


def load(session: Session) -> LifecycleSettings:
    """The workspace's settings, read once per unit of work."""
    cached = session.info.get(_CACHE)
    if isinstance(cached, LifecycleSettings):
        return cached
    stored = workspace.get_setting(session, KEY) or {}
    settings = LifecycleSettings(**{k: bool(v) for k, v in stored.items() if k in _NAMES})
    session.info[_CACHE] = settings
    return settings


def to_api(settings: LifecycleSettings) -> dict[str, bool]:
    return {_camel(k): v for k, v in asdict(settings).items()}


def update(session: Session, changes: Any) -> LifecycleSettings:
    """Apply ``{settingName: true|false}`` (camelCase, as the API shows them)."""
    if not isinstance(changes, dict):
        raise ValidationError(
            "The body must be an object of setting names and booleans",
            errors=[ErrorDetail("not an object", "INVALID_INPUT", {"body": [""]})],
        )
    by_camel = {_camel(n): n for n in _NAMES}
    problems = []
    picked: dict[str, bool] = {}
    for key, value in changes.items():
        name = by_camel.get(key)
        if name is None:
            problems.append(
                ErrorDetail(
                    f"unknown setting (known: {', '.join(sorted(by_camel))})",
                    "UNKNOWN_SETTING",
                    {"setting": [str(key)]},
                )
            )
        elif not isinstance(value, bool):
            problems.append(
                ErrorDetail("must be true or false", "INVALID_TYPE", {"setting": [str(key)]})
            )
        else:
            picked[name] = value
    if problems:
        raise ValidationError("Invalid lifecycle settings", errors=problems)
    settings = replace(load(session), **picked)
    workspace.put_setting(session, KEY, asdict(settings), utcnow())
    session.info[_CACHE] = settings
    return settings


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
