"""What every command module shares: the two consoles, the one way to fail, how a long command
stops on a signal and how it reports progress where no progress bar can be drawn."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import typer
from rich.console import Console
from rich.markup import escape

from paperfeed.text import terminal_safe
from paperfeed.util import stop_now

err = Console(stderr=True)
out = Console()

PROGRESS_EVERY_S = 30.0  # a progress line this often when stderr is no terminal (a log)


def fail(message: str) -> typer.Exit:
    """Print `error: message` to stderr and return the exit to raise (status 1)."""
    err.print(f"[red]error:[/red] {escape(terminal_safe(message))}", highlight=False)
    return typer.Exit(1)


def load_env_file(path: Path) -> list[str]:
    """Put a settings file's KEY=value lines into the environment (its values win), as systemd's
    EnvironmentFile= reads them: a value may hold spaces or be quoted; # starts a comment line.
    Returns what to warn about: a `# …` after a value, which systemd keeps in the value."""
    from dotenv import dotenv_values

    values = dotenv_values(path, interpolate=False)
    os.environ.update({k: v for k, v in values.items() if v is not None})
    return [
        f"{path} line {n}: systemd keeps {comment.strip()!r} in {key}'s value: put the "
        "comment on a line of its own"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if (match := _INLINE_COMMENT.match(line))
        for key, comment in [match.groups()]
    ]


_INLINE_COMMENT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*[^\s'\"#][^#]*?\s(#.*)$")


class Stopped(KeyboardInterrupt):
    """SIGTERM arrived: unwinds as Ctrl-C does (open transactions roll back, helpers end)."""


@contextmanager
def stoppable(
    command: str, then: str = "what it finished is kept: run the same command again to resume"
) -> Iterator[None]:
    """Run a long command so that Ctrl-C or SIGTERM ends it with one line saying what to do
    next (by default: what it finished is kept, running it again resumes); exit 130 or 143."""
    pid = os.getpid()

    def stop(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != pid:  # a forked helper process: end as SIGTERM means
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        stop_now(Stopped() if signum == signal.SIGTERM else KeyboardInterrupt())

    before = signal.signal(signal.SIGTERM, stop)
    # Ctrl-C too: neither cuts a database write in two (`util.uninterrupted`).
    before_int = signal.signal(signal.SIGINT, stop)
    try:
        yield
    except KeyboardInterrupt as exc:
        why = "stopped (SIGTERM)" if isinstance(exc, Stopped) else "interrupted"
        err.print(
            f"{command}: {why}; {then}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(143 if isinstance(exc, Stopped) else 130) from None
    finally:
        signal.signal(signal.SIGTERM, before)
        signal.signal(signal.SIGINT, before_int)


def progress_lines(
    label: str,
    unit: str,
    every: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    say: Callable[[str], None] | None = None,
) -> Callable[[int, int | None], None]:
    """A progress callback for logs: `label: done of total unit (n %)` at most once per `every`
    seconds (the first after `every`), for when stderr is no terminal."""
    interval = PROGRESS_EVERY_S if every is None else every
    write = say or (lambda line: err.print(line, highlight=False, soft_wrap=True))
    last = [clock()]

    def report(done: int, total: int | None) -> None:
        now = clock()
        if now - last[0] < interval:
            return
        last[0] = now
        of = f" of {total:,} {unit} ({100 * done // total} %)" if total else f" {unit}"
        write(f"{label}: {done:,}{of}")

    return report
