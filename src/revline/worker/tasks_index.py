"""Every module that registers job handlers or schedules (``@task``, ``register_schedule``).

The worker imports each of them before it runs anything. A package that adds a ``tasks.py``
appends its module name here; a name that cannot be imported stops the worker at start-up
rather than leaving that package's jobs to fail one by one.
"""

from __future__ import annotations

TASK_MODULES: tuple[str, ...] = (
    "revline.jobs.tasks",
    "revline.crm.money.tasks",
    "revline.forecasting.tasks",
    "revline.events.tasks",
    "revline.segments.tasks",
    "revline.scoring.tasks",
    "revline.scoring.predictive_tasks",
)
