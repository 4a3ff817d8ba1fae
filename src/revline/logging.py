"""Structured logging: dotted event names with key=value context."""

from __future__ import annotations

import logging
from typing import Any


def configure(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def log_event(
    logger: logging.Logger, event: str, level: int = logging.INFO, **context: Any
) -> None:
    """Log ``event`` (a dotted name such as ``api.request``) with sorted key=value pairs."""
    pairs = " ".join(f"{k}={context[k]!r}" for k in sorted(context))
    logger.log(level, "%s %s", event, pairs)
