"""Engine creation and the unit of work (one transaction per request, job or command)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


class Database:
    """Owns the engine and hands out units of work. Nothing connects until first use."""

    def __init__(self, url: str, *, sqlite_busy_timeout_ms: int = 10_000, echo: bool = False):
        self.url = url
        self.engine: Engine = _make_engine(url, sqlite_busy_timeout_ms, echo)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """Commit when the block ends normally, roll back when it raises."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str, busy_timeout_ms: int, echo: bool) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # Plan every statement with its actual parameters. The driver prepares repeated
        # statements, and PostgreSQL would then settle on a generic plan made while the tables
        # were small (a sequential scan, say) and keep it on that connection until the next
        # ANALYZE: with a growing table that is a plan that gets slower with every row.
        options = parsed.query.get("options", "")
        if isinstance(options, tuple):
            options = " ".join(options)
        # No JIT compilation: report statements (pipeline health over a year of transitions)
        # cost above jit_above_cost and spent 100-400 ms compiling each, far more than JIT
        # saved them; Revline's other statements are short and never reach the threshold.
        options = f"{options} -c plan_cache_mode=force_custom_plan -c jit=off".strip()
        return create_engine(
            url, echo=echo, pool_pre_ping=True, future=True, connect_args={"options": options}
        )

    connect_args: dict[str, Any] = {"check_same_thread": False, "isolation_level": None}
    engine = create_engine(url, echo=echo, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        if parsed.database and parsed.database != ":memory:":
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # After each checkpoint the WAL file is cut back to 64 MiB: under steady load, when a
        # checkpoint can never find a moment without readers, it would otherwise keep the size
        # of its largest burst (gigabytes during a bulk load) and slow every read.
        cur.execute("PRAGMA journal_size_limit=67108864")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
        # instead of one failing with "database is locked" when it upgrades its lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
