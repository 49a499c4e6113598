"""The commands that serve the site: serve, and demo (the README's run command)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Annotated

import typer

from paperfeed.cli_support import err
from paperfeed.secret import InsecureSettings, secret_key
from paperfeed.settings import Settings, record_served
from paperfeed.store import open_store
from paperfeed.store.listings import has_papers
from paperfeed.web.commands.checks import (
    _as_listening,
    _check_port,
    _check_proxy_settings,
    _check_writable,
    _explain_links,
    _reserve_port,
    listen_url,
)

# The web stack (uvicorn, FastAPI, the app) is imported by the commands that serve, so that
# every other `paperfeed` command starts without it (web/server.py).

HostOpt = Annotated[str, typer.Option(help="Address to listen on.")]
PortOpt = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]
WorkersOpt = Annotated[
    int, typer.Option(min=1, max=64, help="Worker processes (each keeps its own caches).")
]
DigestsOpt = Annotated[
    bool,
    typer.Option("--digests/--no-digests", help="Also send due email digests on schedule."),
]

JobsOpt = Annotated[
    bool, typer.Option("--jobs/--no-jobs", help="Run the daily pipeline on schedule here.")
]


def _serve(
    host: str, port: int, workers: int, digests: bool = True, jobs: bool = True, demo: bool = False
) -> None:
    settings = Settings()
    try:
        secret_key(settings)
    except InsecureSettings as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    _check_proxy_settings(settings)
    from paperfeed.web import reuseport, server

    _check_port(host, port)
    _check_writable(settings)
    reservation = _reserve_port(host, port) if workers > 1 and reuseport.SUPPORTED else None
    listen = listen_url(host, port)
    settings = _as_listening(settings, listen, demo)
    err.print(f"paperfeed at {listen}{settings.root_path}/", highlight=False)  # under its path
    _explain_links(settings, host, listen)
    record_served(settings, listen)
    if jobs:
        stop = _start_jobs(settings, digests)
    else:
        stop = _start_digests(settings) if digests else (lambda: None)
    # uvicorn re-raises SIGTERM once it has shut down: end with SystemExit, so cleanup runs.
    signal.signal(signal.SIGTERM, _stop_on_signal)
    try:
        server.run_uvicorn(host, port, workers, reservation)
    finally:
        stop()
        record_served(settings, None)
        if reservation is not None:
            reservation.close()


def _stop_on_signal(_signum: int, _frame: object) -> None:
    # A stop asked for and carried out: status 0, as `--workers 2` (uvicorn's supervisor) ends;
    # one process used to end with 143.
    raise SystemExit(0)


Stopper = Callable[[], object]  # ends a background loop of `serve`'s


def _start_digests(settings: Settings) -> Stopper:
    """Send due email digests on schedule in this process, as cron + `digest run` would."""
    from paperfeed.digest import run_scheduler_forever  # the digest stack loads only when used

    stop = threading.Event()
    args = (settings, open_store(settings), stop)
    threading.Thread(target=run_scheduler_forever, args=args, name="digests", daemon=True).start()
    return stop.set


def _start_jobs(settings: Settings, digests: bool) -> Stopper:
    """The daily pipeline (and due digests, held for late sources) in this process, and, with
    digests, the sending of what is due in the outbox beside it (a long job in the pipeline
    held confirmations and notices back); stopping waits for the job under way to end (an
    embedding run after its batch)."""
    from paperfeed.pipeline import start_scheduler

    close = start_scheduler(settings, open_store(settings), digests).close
    if not digests:
        return close
    stop_mail = _start_mail(settings)

    def stop() -> None:
        stop_mail()
        close()

    return stop


def _start_mail(settings: Settings) -> Stopper:
    """Send what is due in the outbox on schedule in this process."""
    from paperfeed.digest import send_due_forever  # the digest stack loads only when used

    stop = threading.Event()
    args = (settings, open_store(settings), stop)
    threading.Thread(target=send_due_forever, args=args, name="mail", daemon=True).start()
    return stop.set


def serve(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    workers: WorkersOpt = 1,
    digests: DigestsOpt = True,
    jobs: JobsOpt = True,
) -> None:
    """Serve the site (pages, JSON API, feeds) from the configured store."""
    open_store(Settings()).dispose()
    _serve(host, port, workers, digests, jobs)


def demo(
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    workers: WorkersOpt = 1,
    digests: DigestsOpt = True,
) -> None:
    """Fill an empty store with the bundled real papers, then serve the site."""
    _check_port(host, port)  # before minutes of loading
    settings = Settings()
    engine = open_store(settings)
    with engine.connect() as conn:
        empty = not has_papers(conn)
    if empty:
        from paperfeed.pipeline import load_demo

        err.print("loading the bundled sample of real papers…", highlight=False)
        report = load_demo(engine, settings)
        err.print(f"stored {report.inserted:,} papers", highlight=False)
    else:
        err.print(
            "this store holds papers already: serving them as they are (the sample is loaded "
            "into an empty store only; a new PAPERFEED_DATA_DIR gives one)",
            highlight=False,
        )
    engine.dispose()
    _serve(host, port, workers, digests, jobs=False, demo=True)  # the demo stays the sample
