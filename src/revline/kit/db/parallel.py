"""Independent read statements of one report, run side by side on PostgreSQL.

A report made of several heavy statements (pipeline health: deals by stage, stays, entries)
takes the sum of their times in one session. On PostgreSQL each statement can instead run on
a connection of its own, at the same time; every one of them imports the snapshot the caller's
transaction exported (``pg_export_snapshot`` / ``SET TRANSACTION SNAPSHOT``), so together
they still read one consistent state of the database, as a single transaction would. Other
engines run the statements one after another in the caller's session.

Only for reads of committed data at the start of a unit of work: the side connections do not
see what the caller's transaction has written and not yet committed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

# What pg_export_snapshot() returns: hexadecimal parts joined by dashes.
_SNAPSHOT_ID = re.compile(r"^[0-9A-F]+(-[0-9A-F]+)+$")
# Room for the report's sorts, as kit.db.dialect.report_memory gives the caller's transaction.
_REPORT_WORK_MEM = "64MB"


def _engine_of(session: Session) -> Engine:
    return session.get_bind().engine


def run_side_by_side(session: Session, reads: Sequence[Callable[[Session], Any]]) -> list[Any]:
    """The results of ``reads`` (each given a session to query with), in order; reads of
    different kinds give results of different types, which the caller names."""
    if session.get_bind().dialect.name != "postgresql" or len(reads) < 2:
        return [read(session) for read in reads]
    snapshot = str(session.execute(text("SELECT pg_export_snapshot()")).scalar_one())
    if not _SNAPSHOT_ID.match(snapshot):
        raise RuntimeError(f"unexpected snapshot id from PostgreSQL: {snapshot!r}")
    engine = _engine_of(session)

    def run(read: Callable[[Session], Any]) -> Any:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # Must be the transaction's first statement; the id was checked above.
                conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                conn.exec_driver_sql(f"SET LOCAL work_mem = '{_REPORT_WORK_MEM}'")
                # The statements already share the cores; workers of their own would only
                # add processes to start and gather.
                conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
                with Session(bind=conn) as side:
                    return read(side)

    with ThreadPoolExecutor(max_workers=len(reads), thread_name_prefix="report") as pool:
        futures = [pool.submit(run, read) for read in reads]
        return [f.result() for f in futures]
