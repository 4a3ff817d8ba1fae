"""Typed settings, read from the environment (prefix ``REVLINE_``) once at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("revline.db")


class Settings(BaseSettings):
    """Everything Revline can be configured with. Build it at the edge and pass it down."""

    model_config = SettingsConfigDict(env_prefix="REVLINE_", env_file=None, extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH}",
        description="SQLAlchemy URL. sqlite:///path.db (embedded default) or postgresql://...",
    )
    host: str = Field(default="127.0.0.1", description="Address `revline serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `revline serve` binds to.")
    auto_migrate: bool = Field(
        default=True, description="Run pending migrations when the server starts."
    )
    public_url: str | None = Field(
        default=None, description="Base URL used in paging links; defaults to the request's."
    )
    log_level: str = Field(default="INFO", description="Python log level name.")
    sqlite_busy_timeout_ms: int = Field(
        default=10_000, ge=0, description="How long SQLite waits for a write lock."
    )
    run_worker: bool | None = Field(
        default=None,
        description="Run the job worker inside `revline serve`. Default: on for SQLite, off "
        "for PostgreSQL (where `revline worker run` processes do the work).",
    )
    worker_poll_seconds: float = Field(
        default=2.0, gt=0, le=3600, description="How long an idle worker waits between polls."
    )
    worker_lease_seconds: int = Field(
        default=600,
        ge=10,
        description="How long a claimed job belongs to its worker before another may take it.",
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        # Plain postgresql:// URLs would pick psycopg2; Revline ships psycopg 3.
        if value.startswith("postgres://"):
            value = "postgresql://" + value[len("postgres://") :]
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value[len("postgresql://") :]
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def worker_in_process(self) -> bool:
        """Whether `revline serve` runs the worker loop itself."""
        return self.is_sqlite if self.run_worker is None else self.run_worker
