"""Alembic migrations, shipped inside the package so an installed Revline can upgrade itself."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

HERE = Path(__file__).resolve().parent


def alembic_config(engine: Engine | None = None, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option(
        "file_template",
        "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s",
    )
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave the search indexes out of schema comparisons: FTS5 tables (and their shadow
    tables) on SQLite, trigram indexes on PostgreSQL and ``lower(...)`` indexes are built by
    migration 0003 from ``kit/db/dialect.py``, not declared on the models."""
    if name is None:
        return True
    if type_ == "table" and ("_fts_" in name or name.endswith("_fts")):
        return False
    return not (type_ == "index" and name.endswith(("_trgm", "_lower")))


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (default: the newest)."""
    command.upgrade(alembic_config(engine), revision)


def current_heads(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def expected_heads() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())
