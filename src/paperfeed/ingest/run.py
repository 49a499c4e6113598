"""The shared ingest loop: batches, one transaction per batch with its checkpoint, a report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Protocol

from sqlalchemy import Engine

from paperfeed.models import Paper, RecordError
from paperfeed.store.checkpoints import clear_checkpoint, get_checkpoint, set_checkpoint
from paperfeed.store.papers import UpsertCounts, mark_withdrawn, upsert_papers

MAX_REPORTED_ERRORS = 1000


@dataclass(frozen=True)
class Withdrawn:
    """A record deleted upstream: the paper stays, flagged withdrawn."""

    id: str


@dataclass(frozen=True)
class Checkpoint:
    """Resume state, stored in the same transaction as the papers before it (None clears)."""

    name: str
    value: str | None


Item = Paper | RecordError | Withdrawn | Checkpoint
ReadCheckpoint = Callable[[str], str | None]


class Source(Protocol):
    """An importer: yields papers, errors, withdrawals and checkpoints."""

    name: str

    def items(self, read_checkpoint: ReadCheckpoint) -> Iterator[Item]:
        """Yield items, resuming from stored checkpoints."""
        ...


class SourceError(RuntimeError):
    """A whole source failed (unreadable file, unreachable server): one clear message."""


@dataclass
class Report:
    """The summary every ingest run ends with."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    withdrawn: int = 0
    errors: list[RecordError] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape printed by `paperfeed ingest --json`."""
        return asdict(self)

    def merge(self, other: Report) -> None:
        """Add another run's report (several files in one command)."""
        for name in ("read", "inserted", "updated", "unchanged", "skipped", "withdrawn"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors[: MAX_REPORTED_ERRORS - len(self.errors)]


def run_source(
    engine: Engine,
    source: Source,
    batch_size: int = 5000,
    on_progress: Callable[[Report], None] | None = None,
) -> Report:
    """Run one source into the store; every batch commits atomically with its checkpoint."""
    report = Report()
    batch: list[Paper] = []
    gone: list[str] = []
    marks: dict[str, str | None] = {}
    try:
        for item in source.items(lambda name: _read_checkpoint(engine, name)):
            if isinstance(item, Checkpoint):
                marks[item.name] = item.value
                continue
            _count(report, item, batch, gone)
            if len(batch) + len(gone) >= batch_size:
                _flush(engine, batch, gone, marks, report)
                if on_progress:
                    on_progress(report)
    finally:
        # Keep what was read before a source failed, with its checkpoint, so a rerun resumes.
        _flush(engine, batch, gone, marks, report)
    return report


def _count(report: Report, item: Item, batch: list[Paper], gone: list[str]) -> None:
    report.read += 1
    if isinstance(item, Paper):
        batch.append(item)
    elif isinstance(item, Withdrawn):
        gone.append(item.id)
    elif isinstance(item, RecordError):
        report.skipped += 1
        if len(report.errors) < MAX_REPORTED_ERRORS:
            report.errors.append(item)


def _flush(
    engine: Engine,
    batch: list[Paper],
    gone: list[str],
    marks: dict[str, str | None],
    report: Report,
) -> None:
    with engine.begin() as conn:
        counts = upsert_papers(conn, batch) if batch else UpsertCounts()
        report.withdrawn += mark_withdrawn(conn, gone) if gone else 0
        for name, value in marks.items():
            if value is None:
                clear_checkpoint(conn, name)
            else:
                set_checkpoint(conn, name, value)
    report.inserted += counts.inserted
    report.updated += counts.updated
    report.unchanged += counts.unchanged
    batch.clear()
    gone.clear()
    marks.clear()


def _read_checkpoint(engine: Engine, name: str) -> str | None:
    with engine.connect() as conn:
        return get_checkpoint(conn, name)
