"""Writing a run's composed digests to the outbox, in a process of its own when the run is large.

A large run's outbox writes (inserting each packed message and the papers it carries,
committing) are about a quarter of its CPU, and they do not need the ranking process: batches
go, in order, to one writer process that owns its own database connection, while the caller
ranks and renders the next ones on the other CPU. A thread would not do: SQLite releases the
GIL for every row, and a thread that must take it back after each one waits for the caller's
Python code every time (measured: an insert of 60,000 rows took 0.1 s alone and 355 s beside
a busy Python thread).

Each batch is one transaction, as in-process, so a killed run leaves whole batches or nothing;
batches are written in the order given, and after a failed one nothing more is written and its
error is raised to the caller. Small runs, one-CPU machines, in-memory databases and a writer
that cannot start write in-process (the same rows).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from sqlalchemy import Engine

from paperfeed.digest.assembly import leave_with, usable_cpus
from paperfeed.settings import Settings
from paperfeed.store import connect, in_memory
from paperfeed.store import digests as db
from paperfeed.util import is_disk_full

log = logging.getLogger(__name__)


class OutboxWriteError(Exception):
    """A batch the writer process could not write: the error's type and text, and whether it
    was a full disk (`is_disk_full` reads that). The error itself may not cross processes:
    SQLAlchemy's carries the batch's parameters, and some of those cannot be pickled."""

    def __init__(self, text: str, disk_full: bool = False) -> None:
        super().__init__(text)
        self.disk_full = disk_full

    def __reduce__(self) -> tuple[type[OutboxWriteError], tuple[str, bool]]:
        return OutboxWriteError, (str(self), self.disk_full)


PROCESS_MIN_MESSAGES = 20_000  # smaller runs write in-process: starting a process costs ~1 s
MIN_CPUS = 2
_WAITING = 3  # batches handed over and not yet written: memory stays bounded


class OutboxWriter:
    """Writes batches of outbox rows in order (in a writer process for large runs); use as a
    context manager, or call `close`. `empty` and `composed` add up the rows written."""

    def __init__(self, settings: Settings, engine: Engine, messages: int) -> None:
        self.engine = engine
        self.empty = 0
        self.composed = 0
        self.pool: ProcessPoolExecutor | None = None
        # Batches handed over, oldest first, with their rows (kept until written).
        self.pending: deque[tuple[list[db.NewMessage], Future[tuple[int, int]]]] = deque()
        self.started = False  # the writer process has answered once
        if messages >= PROCESS_MIN_MESSAGES and usable_cpus() >= MIN_CPUS:
            self.pool = _start(settings, engine)
        if self.pool is not None:  # started now: it connects while the run ranks
            self.pending.append(([], self.pool.submit(_write_there, [])))

    def write(self, rows: list[db.NewMessage]) -> None:
        """Write one batch (one transaction), here or in the writer process."""
        while self.pool is not None and len(self.pending) >= _WAITING:
            self._collect()
        if self.pool is not None:
            try:
                self.pending.append((rows, self.pool.submit(_write_there, rows)))
                return
            except BrokenProcessPool:
                if self.started:
                    raise
                while self.pending:  # it never started: those waiting are written here first
                    self._collect()
                self._stop_pool()
        self._count(write_rows(self.engine, rows))

    def _collect(self) -> None:
        rows, future = self.pending.popleft()
        try:
            counts = future.result()
        except BrokenProcessPool as exc:
            if self.started:  # it died mid-run: what it wrote last is unknown, so stop
                raise
            # It never started, so it wrote nothing: this batch and those waiting are
            # written here, in order, and so is the rest of the run.
            log.warning("the outbox writer process did not start (%r); writing in-process", exc)
            self._stop_pool()
            waiting = [rows] + [r for r, _ in self.pending]
            self.pending.clear()
            for batch in waiting:
                self._count(write_rows(self.engine, batch))
            return
        self.started = True
        self._count(counts)

    def _count(self, counts: tuple[int, int]) -> None:
        self.empty += counts[0]
        self.composed += counts[1]

    def close(self) -> None:
        """Wait until every batch is written; the first failed batch's error is raised."""
        try:
            while self.pending:
                self._collect()
        finally:
            self._stop_pool()

    def _stop_pool(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> OutboxWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_rest: object) -> None:
        if kind is None:
            self.close()
            return
        try:  # the caller's own error is the one to see; batches handed over still land
            self.close()
        except Exception as exc:  # noqa: BLE001
            log.warning("an outbox write failed too: %r", exc)


def write_rows(engine: Engine, rows: list[db.NewMessage]) -> tuple[int, int]:
    """Record one batch in one transaction; (empty, composed) rows."""
    with engine.begin() as conn:
        db.record_messages(conn, rows)
    empty = sum(m.status == "empty" for m in rows)
    return empty, len(rows) - empty


def _start(settings: Settings, engine: Engine) -> ProcessPoolExecutor | None:
    if in_memory(engine):
        return None  # another process cannot see this database
    try:
        there = settings.model_copy(update={"database_url": engine.url.render_as_string(False)})
        context = multiprocessing.get_context("spawn")  # no fork of a threaded process
        return ProcessPoolExecutor(
            1, mp_context=context, initializer=_init, initargs=(there, os.getpid())
        )
    except Exception as exc:  # noqa: BLE001 - no writer process: written in-process
        log.warning("no outbox writer process (%r); writing in-process", exc)
        return None


_ENGINE: Engine | None = None
_FAILED = False  # a batch failed here: later ones are refused (the run stops at the first)


def _init(settings: Settings, parent: int) -> None:
    global _ENGINE  # noqa: PLW0603 - one connection pool per writer process
    _ENGINE = connect(settings)
    leave_with(parent)  # a killed run's writer leaves too (a batch in hand rolls back)


def _write_there(rows: list[db.NewMessage]) -> tuple[int, int]:
    global _FAILED  # noqa: PLW0603 - one run per writer process
    assert _ENGINE is not None, "writer process not initialised"
    if _FAILED:
        raise OutboxWriteError("not written: an earlier batch of this run failed")
    if not rows:
        return 0, 0
    try:
        return write_rows(_ENGINE, rows)
    except Exception as exc:
        _FAILED = True
        text = f"{type(exc).__name__}: {exc}".split("\n[SQL:")[0]  # not the whole statement
        raise OutboxWriteError(text, is_disk_full(exc)) from None
