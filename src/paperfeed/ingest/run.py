"""The shared ingest loop: batches, one transaction per batch with its checkpoint, a report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError, StatementError

from paperfeed.ingest.dates import announced_on
from paperfeed.ingest.validate import BadRecord, check_paper
from paperfeed.models import Paper, RecordError
from paperfeed.store.checkpoints import (
    all_checkpoints,
    clear_checkpoint,
    get_checkpoint,
    set_checkpoint,
)
from paperfeed.store.jobs import storing_papers
from paperfeed.store.papers import UpsertCounts, mark_withdrawn, upsert_papers
from paperfeed.util import fewer_collections, is_disk_full, uninterrupted

MAX_REPORTED_ERRORS = 1000
# What a malformed record can raise while a source parses it: reported, never fatal.
RECORD_FAULTS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError)
# What one record can make the database refuse; other errors (locked, disk full) stop the run.
_ROW_FAULTS = (DataError, IntegrityError, ValueError, OverflowError, TypeError)


@dataclass(frozen=True)
class Withdrawn:
    """A record deleted upstream: the paper stays, flagged withdrawn."""

    id: str


@dataclass(frozen=True)
class Checkpoint:
    """Resume state, stored in the same transaction as the papers before it (None clears)."""

    name: str
    value: str | None


@dataclass(frozen=True)
class Checked:
    """A paper that passed `check_paper`, with notes on what was dropped from it."""

    paper: Paper
    notes: tuple[str, ...] = ()


Item = Paper | Checked | RecordError | Withdrawn | Checkpoint
ReadCheckpoint = Callable[[str], str | None]


class Source(Protocol):
    """An importer: yields papers, errors, withdrawals and checkpoints."""

    name: str

    def items(self, read_checkpoint: ReadCheckpoint) -> Iterator[Item]:
        """Yield items, resuming from stored checkpoints."""
        ...


class SourceError(RuntimeError):
    """A whole source failed (unreadable file, unreachable server): one clear message."""

    report: Report | None = None  # what the run stored before it failed


class StoreFull(SourceError):
    """The store's disk is full: the run stopped; what it committed stays, a rerun resumes."""

    last_stored: str | None = None  # the id of the last paper this run committed

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"the disk is full ({reason}); what was stored is kept. "
            "Free some disk space and run it again: it resumes where it stopped."
        )
        self.reason = reason


@dataclass
class Report:
    """The summary every ingest run ends with."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    withdrawn: int = 0
    duplicates: int = 0  # records repeating an id read just before them, merged into it
    errors: list[RecordError] = field(default_factory=list)
    warnings: list[RecordError] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape printed by `paperfeed ingest --json`."""
        return asdict(self)

    def merge(self, other: Report) -> None:
        """Add another run's report (several files in one command)."""
        counted = ("read", "inserted", "updated", "unchanged", "skipped", "withdrawn", "duplicates")
        for name in counted:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors[: MAX_REPORTED_ERRORS - len(self.errors)]
        self.warnings += other.warnings[: MAX_REPORTED_ERRORS - len(self.warnings)]

    def skip(self, error: RecordError) -> None:
        """Count a record that was not stored, keeping the first reasons."""
        self.skipped += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def warn(self, where: str, reason: str) -> None:
        """Note a part of a stored record that was dropped."""
        if len(self.warnings) < MAX_REPORTED_ERRORS:
            self.warnings.append(RecordError(where, reason))


def run_source(
    engine: Engine,
    source: Source,
    batch_size: int = 5000,
    on_progress: Callable[[Report], None] | None = None,
    parallel: bool = False,
) -> Report:
    """Run one source into the store; every batch commits atomically with its checkpoint.

    With `parallel`, a picklable source is parsed and checked in a child process.
    """
    report = Report()
    last: list[str] = []  # the id of the last paper committed, once there is one
    try:
        # Marked while it stores: digests composed meanwhile wait for the days it completes.
        with storing_papers(engine), fewer_collections() if parallel else nullcontext():
            _run(engine, source, batch_size, on_progress, parallel, report, last)
    except SourceError as exc:
        exc.report = report
        raise
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        full = StoreFull(_first_line(exc))
        full.report, full.last_stored = report, last[-1] if last else None
        raise full from exc
    return report


def _run(
    engine: Engine,
    source: Source,
    batch_size: int,
    on_progress: Callable[[Report], None] | None,
    parallel: bool,
    report: Report,
    last: list[str],
) -> None:
    batch: list[Paper] = []
    gone: list[str] = []
    marks: dict[str, str | None] = {}
    try:
        for item in _items(engine, source, parallel, 2 * batch_size):
            if isinstance(item, Checkpoint):
                marks[item.name] = item.value
                continue
            _count(report, item, batch, gone)
            if len(batch) + len(gone) >= batch_size:
                newest = batch[-1].id if batch else None
                _flush(engine, batch, gone, marks, report)
                last[:] = [newest] if newest else last
                if on_progress:
                    on_progress(report)
    except BaseException as exc:
        # Keep what was read before a source failed, with its checkpoint, so a rerun resumes.
        # Not after Ctrl-C or SIGTERM: raised between any two steps, it may have left a write
        # half done on a connection still holding SQLite's lock, and this write waited out the
        # busy timeout (60 s) and failed; the rerun reads the batch again from its checkpoint.
        if not is_disk_full(exc) and not isinstance(exc, KeyboardInterrupt):
            _flush(engine, batch, gone, marks, report)
        raise
    _flush(engine, batch, gone, marks, report)


def _items(engine: Engine, source: Source, parallel: bool, ahead: int) -> Iterator[Item]:
    if not parallel:
        return checked(source.items(lambda name: _read_checkpoint(engine, name)))
    with engine.connect() as conn:
        stored = all_checkpoints(conn)
    return _in_child(source, stored, checked, ahead)


def _in_child(
    source: Source,
    stored: dict[str, str],
    prepare: Callable[[Iterator[Item]], Iterator[Item]],
    ahead: int,
) -> Iterator[Item]:
    from paperfeed.ingest.parallel import items_in_child  # it imports this module

    return items_in_child(source, stored, prepare, ahead)


def checked(items: Iterator[Item]) -> Iterator[Item]:
    """The items with each Paper passed through `check_paper` (a refused one becomes an error)."""
    for item in items:
        if isinstance(item, Paper):
            try:
                paper, notes = check_paper(item)
            except BadRecord as exc:
                yield RecordError(item.id, str(exc))
                continue
            yield Checked(paper, tuple(notes))
        else:
            yield item


def _count(report: Report, item: Item, batch: list[Paper], gone: list[str]) -> None:
    report.read += 1
    if isinstance(item, Checked):
        batch.append(item.paper)
        for note in item.notes:
            report.warn(item.paper.id, note)
    elif isinstance(item, Withdrawn):
        gone.append(item.id)
    elif isinstance(item, RecordError):
        report.skip(item)


def _flush(
    engine: Engine,
    batch: list[Paper],
    gone: list[str],
    marks: dict[str, str | None],
    report: Report,
) -> None:
    try:
        with uninterrupted(), engine.begin() as conn:  # a stop waits for the batch's commit
            counts = upsert_papers(conn, batch, announced_on) if batch else UpsertCounts()
            report.withdrawn += mark_withdrawn(conn, gone) if gone else 0
            _set_marks(conn, marks)
    except (*_ROW_FAULTS, StatementError) as exc:
        if not _is_row_fault(exc):
            raise
        # One record the database refuses must not lose the batch: store the rest one by one.
        counts = _one_by_one(engine, batch, report)
        with uninterrupted(), engine.begin() as conn:
            report.withdrawn += mark_withdrawn(conn, gone) if gone else 0
            _set_marks(conn, marks)
    report.inserted += counts.inserted
    report.updated += counts.updated
    report.unchanged += counts.unchanged
    report.duplicates += counts.duplicates
    batch.clear()
    gone.clear()
    marks.clear()


def _set_marks(conn: Connection, marks: dict[str, str | None]) -> None:
    for name, value in marks.items():
        if value is None:
            clear_checkpoint(conn, name)
        else:
            set_checkpoint(conn, name, value)


def _is_row_fault(exc: BaseException) -> bool:
    if isinstance(exc, StatementError) and not isinstance(exc, DataError | IntegrityError):
        return isinstance(exc.orig, _ROW_FAULTS)
    return True


def _one_by_one(engine: Engine, batch: list[Paper], report: Report) -> UpsertCounts:
    counts = UpsertCounts()
    for paper in batch:
        try:
            with engine.begin() as conn:
                counts.add(upsert_papers(conn, [paper], announced_on))
        except (*_ROW_FAULTS, StatementError) as exc:
            if not _is_row_fault(exc):
                raise
            report.skip(RecordError(paper.id, f"the database refused it: {_first_line(exc)}"))
    return counts


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _read_checkpoint(engine: Engine, name: str) -> str | None:
    with engine.connect() as conn:
        return get_checkpoint(conn, name)
