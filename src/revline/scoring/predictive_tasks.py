"""Predictive score jobs: a weekly retrain with the active model's own settings and a daily
re-score (behaviour windows and date features move with time). Both do nothing while no
model is active."""

from __future__ import annotations

import logging
from datetime import time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from revline.jobs.registry import Schedule, register_schedule, task
from revline.logging import log_event

logger = logging.getLogger("revline.scoring")
RETRAIN = "scoring.predictive_retrain"
RESCORE = "scoring.predictive_rescore"


@task(RETRAIN)
def retrain(session: Session, payload: dict[str, Any]) -> None:
    # Imported here: scikit-learn is loaded by the processes that train or score, not by
    # every process that runs jobs (with SQLite, the server itself).
    from revline.scoring import predictive

    trained = predictive.retrain_active(session)
    if trained is None:
        log_event(logger, "scoring.predictive_retrain_nothing")


@task(RESCORE)
def rescore(session: Session, payload: dict[str, Any]) -> None:
    from revline.scoring import predictive

    summary = predictive.rescore_if_active(session)
    if summary is None:
        log_event(logger, "scoring.predictive_rescore_nothing")


# Early in the UTC day, after the daily segment refresh (00:10); the weekly retrain an hour
# later, so it never races the re-score of the same morning.
register_schedule(
    Schedule("scoring-predictive-rescore", RESCORE, every=timedelta(days=1), at=time(1, 0))
)
register_schedule(
    Schedule("scoring-predictive-retrain", RETRAIN, every=timedelta(days=7), at=time(2, 0))
)
