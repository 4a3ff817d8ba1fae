"""What a fresh workspace holds before anyone touches it: built-in properties and groups,
and the default deal pipeline. Safe to run any number of times."""

from __future__ import annotations

from sqlalchemy.orm import Session

from revline.crm.pipelines import service as pipelines
from revline.crm.properties import service as properties


def ensure_defaults(session: Session) -> None:
    properties.ensure_builtin_definitions(session)
    pipelines.ensure_default_pipeline(session)
    pipelines.ensure_stage_properties(session)
