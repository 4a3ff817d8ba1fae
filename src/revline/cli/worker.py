"""`revline worker` runs background jobs; `revline jobs` inspects and retries them."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

from revline.cli.common import (
    DatabaseUrl,
    console,
    make_settings,
    open_database,
    run_in_unit_of_work,
)
from revline.jobs import queue
from revline.logging import configure
from revline.setup import is_current
from revline.worker import runner

app = typer.Typer(help="Run background jobs and schedules.", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs: status, failures, retries.", no_args_is_help=True)


@app.command("run")
def run(
    once: Annotated[bool, typer.Option("--once", help="Run what is due now, then exit.")] = False,
    poll: Annotated[
        float | None,
        typer.Option("--poll", min=0.05, help="Seconds between polls when idle (default 2)."),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Run due schedules and jobs until stopped (SIGINT or SIGTERM finishes the job in hand)."""
    settings = make_settings(database_url, worker_poll_seconds=poll)
    configure(settings.log_level)
    db = open_database(settings)
    try:
        if not is_current(db):
            console.print("[red]error:[/red] the database schema is not current; run "
                          "`revline db upgrade` first")  # fmt: skip
            raise typer.Exit(code=1)
        try:
            runner.load_task_modules()
        except RuntimeError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=1) from exc
        lease = timedelta(seconds=settings.worker_lease_seconds)
        if once:
            ran = runner.run_once(db, lease=lease)
            console.print(f"Ran {ran} job{'' if ran == 1 else 's'}")
            return
        stop = threading.Event()

        def _stop(_signum: int, _frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        runner.run_forever(db, stop, settings.worker_poll_seconds, lease=lease)
    finally:
        db.dispose()


def _last_line(error: str | None, width: int = 90) -> str:
    if not error:
        return ""
    lines = [line for line in error.strip().splitlines() if line.strip()]
    last = lines[-1].strip() if lines else ""
    return last if len(last) <= width else last[: width - 1] + "…"


@jobs_app.command("list")
def list_jobs(
    status: Annotated[str | None, typer.Option(help="queued, running, done or failed.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 50,
    database_url: DatabaseUrl = None,
) -> None:
    """Count jobs by status and list the newest (with the last error of each)."""

    def work(session: Any) -> None:
        counts = queue.job_counts(session)
        jobs = queue.list_jobs(session, status=status, kind=kind, limit=limit)
        console.print("  ".join(f"{name}: {count}" for name, count in counts.items()))
        table = Table("id", "kind", "status", "attempts", "run at", "finished", "last error")
        for job in jobs:
            table.add_row(
                str(job.id),
                job.kind,
                job.status,
                f"{job.attempts}/{job.max_attempts}",
                job.run_at.isoformat(timespec="seconds"),
                job.finished_at.isoformat(timespec="seconds") if job.finished_at else "",
                _last_line(job.last_error),
            )
        console.print(table)

    run_in_unit_of_work(database_url, work)


@jobs_app.command("show")
def show(job_id: int, database_url: DatabaseUrl = None) -> None:
    """Show one job, its payload and its full last error."""

    def work(session: Any) -> None:
        job = queue.get_job(session, job_id)
        if job is None:
            console.print(f"[red]error:[/red] no job with id {job_id}")
            raise typer.Exit(code=1)
        console.print(
            f"Job {job.id} {job.kind}: {job.status}, attempt {job.attempts} of "
            f"{job.max_attempts}, run at {job.run_at.isoformat()}"
        )
        console.print(f"payload: {job.payload}", soft_wrap=True, markup=False)
        if job.unique_key:
            console.print(f"unique key: {job.unique_key}", markup=False)
        if job.correlation_id:
            console.print(f"correlation id: {job.correlation_id}", markup=False)
        if job.last_error:
            console.print(job.last_error, markup=False, soft_wrap=True)

    run_in_unit_of_work(database_url, work)


@jobs_app.command("retry")
def retry(job_id: int, database_url: DatabaseUrl = None) -> None:
    """Queue a failed job again, to run now with a fresh set of attempts."""

    def work(session: Any) -> None:
        job = queue.retry_job(session, job_id)
        console.print(f"Job {job.id} ({job.kind}) queued again")

    run_in_unit_of_work(database_url, work)
