"""`paperfeed jobs list|run` and `paperfeed worker`."""

from __future__ import annotations

import json
import signal
import threading
from typing import Annotated, Any

import typer
from rich.console import Console

from paperfeed.pipeline.registry import Context, find_job, registry
from paperfeed.pipeline.runner import run_job
from paperfeed.pipeline.schedule import Scheduler
from paperfeed.settings import Settings
from paperfeed.store import jobs as db
from paperfeed.store import open_store

jobs_app = typer.Typer(
    help="The daily pipeline's jobs: list them, run one now.", no_args_is_help=True
)
err = Console(stderr=True)


@jobs_app.command("list")
def list_jobs(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Every job with its last run."""
    with open_store(Settings()).connect() as conn:
        last = db.last_runs(conn)
    rows: list[dict[str, Any]] = []
    for job in registry():
        run = last.get(job.name)
        latest = None
        if run is not None:
            latest = {
                "status": run.status,
                "started_at": run.started_at.isoformat(),
                "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                "counts": run.counts,
                "error": run.error,
                "node": run.node,
            }
        rows.append({"name": job.name, "help": job.help, "last_run": latest})
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        last_run = row["last_run"]
        state = f"{last_run['status']} at {last_run['started_at']}" if last_run else "never run"
        typer.echo(f"{row['name']:<10} {state:<40} {row['help']}")


@jobs_app.command("run")
def run(name: Annotated[str, typer.Argument(help="The job to run (see `jobs list`).")]) -> None:
    """Run one job now (waits for nothing: if another process is running it, says so)."""
    job = find_job(name)
    if job is None:
        names = ", ".join(j.name for j in registry())
        err.print(f"[red]error:[/red] no job {name!r}; jobs: {names}", highlight=False)
        raise typer.Exit(1)
    settings = Settings()
    outcome = run_job(Context(open_store(settings), settings), job, "manual")
    if outcome.status == "busy":
        typer.echo(f"{name} is already running elsewhere; nothing done")
        return
    typer.echo(json.dumps({"job": name, "status": outcome.status, "counts": outcome.counts}))
    if outcome.status == "failed":
        err.print(f"[red]error:[/red] {outcome.error}", highlight=False)
        raise typer.Exit(1)


def worker(
    digests: Annotated[
        bool, typer.Option("--digests/--no-digests", help="Also send due email digests.")
    ] = True,
) -> None:
    """Run the daily pipeline on schedule (for deployments that keep web and jobs apart)."""
    settings = Settings()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    err.print("paperfeed worker: running the job schedule", highlight=False)
    try:
        Scheduler(open_store(settings), settings, digests=digests).run_forever(stop)
    except KeyboardInterrupt:
        stop.set()


def register(app: typer.Typer) -> None:
    """Add `jobs` and `worker` to the `paperfeed` command."""
    app.add_typer(jobs_app, name="jobs")
    app.command()(worker)
