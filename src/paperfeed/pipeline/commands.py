"""`paperfeed jobs list|run` and `paperfeed worker`."""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine

from paperfeed.cli_support import stoppable
from paperfeed.pipeline.plan import describe, in_words, outcome_words, plans
from paperfeed.pipeline.registry import Context, find_job, registry
from paperfeed.pipeline.runner import run_job
from paperfeed.pipeline.schedule import Scheduler, log_to_stderr
from paperfeed.settings import Settings
from paperfeed.store import jobs as db
from paperfeed.store import open_store

jobs_app = typer.Typer(
    help="The daily pipeline's jobs: list them, run one now.", no_args_is_help=True
)
err = Console(stderr=True)


def now() -> datetime:
    """The time the next runs are counted from (a seam for tests)."""
    return datetime.now(UTC)


@jobs_app.command("list")
def list_jobs(
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Every job with its last run and when it runs next; the schedule first."""
    settings = Settings()
    engine = open_store(settings)
    try:
        rows = job_rows(engine, settings, now())
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(rows))
        return
    typer.echo(_schedule_line(rows[0]["schedule"] if rows else {}))
    for row in rows:
        last_run = row["last_run"]
        state = "never run"
        if last_run:
            status = outcome_words(last_run["status"], last_run["counts"])
            state = f"{status} at {_shown(last_run['started_at'])}"
        typer.echo(f"{row['name']:<10} {state:<48} {row['help']}")
        if last_run and last_run["status"] != "ok" and last_run["error"]:
            typer.echo(f"{'':<10} why: {' '.join(str(last_run['error']).split())[:300]}")
        typer.echo(f"{'':<10} next: {row['next_run_words']}")


def _shown(iso: str) -> str:
    """A stored time as `jobs list` prints it, as its "next:" lines do: to the minute, in UTC."""
    return f"{datetime.fromisoformat(iso).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _aware(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with its offset."""
    return value.replace(tzinfo=UTC).isoformat() if value is not None else None


def job_rows(engine: Engine, settings: Settings, now: datetime) -> list[dict[str, Any]]:
    """Every job as `jobs list --json` prints it: its last run, its next, the schedule."""
    jobs = registry()
    with engine.connect() as conn:
        last = db.last_runs(conn)
        upcoming = {p.job: p for p in plans(conn, settings, jobs, now)}
        checked = db.last_schedule_check(conn)
    schedule = describe(settings) | {
        "last_check": checked[0].isoformat() if checked else None,
        "last_check_pid": checked[1] if checked else None,
    }
    zone = ZoneInfo(settings.pipeline_timezone)
    rows: list[dict[str, Any]] = []
    for job in jobs:
        run, then = last.get(job.name), upcoming[job.name]
        latest = None
        if run is not None:
            latest = {
                "status": run.status,
                "trigger": run.trigger,
                "started_at": _aware(run.started_at),
                "finished_at": _aware(run.finished_at),
                "counts": run.counts,
                "error": run.error,
                "node": run.node,
            }
        rows.append(
            {
                "name": job.name,
                "help": job.help,
                "last_run": latest,
                "next_run": then.at.astimezone(zone).isoformat() if then.at else None,
                "next_run_utc": then.at.astimezone(UTC).isoformat() if then.at else None,
                "next_run_reason": then.why,
                "next_run_words": in_words(then, settings.pipeline_timezone),
                "failed_runs_this_slot": then.failures,
                "schedule": schedule,
            }
        )
    return rows


def _schedule_line(schedule: dict[str, Any]) -> str:
    days = ",".join(schedule.get("days", []))
    said = f"schedule: {schedule.get('time')} {schedule.get('timezone')} on {days}; "
    if schedule.get("last_check"):
        checked = _shown(schedule["last_check"])
        said += f"last checked {checked} by process {schedule['last_check_pid']}"
    else:
        said += "never checked yet: no `paperfeed serve` (without --no-jobs) or `worker` ran"
    return said


@jobs_app.command("run")
def run(name: Annotated[str, typer.Argument(help="The job to run (see `jobs list`).")]) -> None:
    """Run one job now (if another process is running it, says so at once; a source that fails
    is retried after PAPERFEED_JOB_RETRY_DELAY seconds, doubling, as on schedule)."""
    job = find_job(name)
    if job is None:
        names = ", ".join(j.name for j in registry())
        err.print(f"[red]error:[/red] no job {name!r}; jobs: {names}", highlight=False)
        raise typer.Exit(1)
    settings = Settings()
    stop = threading.Event()  # SIGTERM: the job ends where it can, recorded; run again to resume
    before = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        outcome = run_job(Context(open_store(settings), settings, stop=stop), job, "manual")
    finally:
        signal.signal(signal.SIGTERM, before)
    if outcome.status == "busy":
        typer.echo(f"{name} is already running elsewhere; nothing done")
        return
    if outcome.status == "interrupted":
        err.print(f"{name} stopped ({outcome.error}); run it again to resume", highlight=False)
        raise typer.Exit(143)
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
    log_to_stderr()
    try:
        Scheduler(open_store(settings), settings, digests=digests).run_forever(stop)
    except KeyboardInterrupt:
        stop.set()


# --- backups and moves ------------------------------------------------------------------------

FileArg = Annotated[Path, typer.Argument(help="The backup file.")]


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(1)


def backup(path: FileArg) -> None:
    """Back the store up to FILE (SQLite: online backup, safe while the site runs)."""
    from paperfeed.store.backup import BackupError, open_as_is
    from paperfeed.store.backup import backup as make_backup

    engine = open_as_is(Settings())
    try:
        counts = make_backup(engine, path)
    except BackupError as exc:
        raise _fail(str(exc)) from exc
    finally:
        engine.dispose()
    typer.echo(f"backed up {sum(counts.values()):,} rows in {len(counts)} tables to {path}")


def restore(path: FileArg) -> None:
    """Restore a backup FILE into the configured store, which must be empty."""
    from paperfeed.store.backup import BackupError, verify
    from paperfeed.store.backup import restore as load

    engine = open_store(Settings())
    try:
        with stoppable(
            "restore", "nothing was written (the restore is one transaction): run it again"
        ):
            counts = load(engine, path)
        mismatches = verify(engine, counts)
    except BackupError as exc:
        raise _fail(str(exc)) from exc
    finally:
        engine.dispose()
    _report(counts, mismatches, False)


def migrate_store(
    to: Annotated[str, typer.Option("--to", help="URL of the empty target store.")],
    as_json: Annotated[bool, typer.Option("--json", help="End with one JSON object.")] = False,
) -> None:
    """Copy everything from the configured store into an empty PostgreSQL or SQLite store."""
    from paperfeed.store.backup import BackupError, copy_store, unknown_tables, verify

    settings = Settings()
    source = open_store(settings)
    target_settings = settings.model_copy(update={"database_url": to})
    if to.startswith("sqlite:///"):
        Path(to.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        target = open_store(target_settings)
    except Exception as exc:  # noqa: BLE001 - a target that cannot be opened is the --to's fault
        source.dispose()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise _fail(
            f"--to {to!r}: cannot open that store ({reason}); give a URL like "
            "postgresql://user@host/db or sqlite:///path/to/new.db"
        ) from exc
    try:
        with stoppable(
            "migrate-store", "nothing was copied (the copy is one transaction): run it again"
        ):
            counts = copy_store(source, target)
        for name in unknown_tables(source):
            err.print(f"not copied (no paperfeed module declares it): {name}", highlight=False)
        mismatches = verify(target, counts)
    except BackupError as exc:
        raise _fail(str(exc)) from exc
    finally:
        source.dispose()
        target.dispose()
    _report(counts, mismatches, as_json)


def _report(counts: dict[str, int], mismatches: list[str], as_json: bool) -> None:
    for name, rows in counts.items():
        typer.echo(
            f"{name:<24} {rows:>10,} copied, verified" if not mismatches else f"{name} {rows}"
        )
    for problem in mismatches:
        err.print(f"count mismatch: {problem}", highlight=False)
    if as_json:
        typer.echo(json.dumps(counts))
    if mismatches:
        raise typer.Exit(1)


def doctor() -> None:
    """Check settings, mail, model, store and indexes; exit 1 with what to fix."""
    from paperfeed.doctor import diagnose

    found = diagnose(Settings())
    for note in found.notes:
        typer.echo(f"note: {note}")
    for problem in found.problems:
        typer.echo(f"problem: {problem}")
    if found.problems:
        typer.echo(f"{len(found.problems)} problem(s) to fix")
        raise typer.Exit(1)
    typer.echo("all is well")


def register(app: typer.Typer) -> None:
    """Add jobs, worker, backup, restore and migrate-store to the `paperfeed` command."""
    app.add_typer(jobs_app, name="jobs")
    app.command()(worker)
    app.command()(backup)
    app.command()(restore)
    app.command("migrate-store")(migrate_store)
    app.command()(doctor)
